namespace CrmSync.Emulator.Salesforce.Auth;

/// <summary>
/// The users and the connected app the emulator accepts. Defaults are documented in the emulator README;
/// they are test credentials of a local emulator, never real secrets.
/// </summary>
public sealed record EmulatorCredentials
{
    /// <summary>Default sync user name.</summary>
    public const string DefaultUsername = "sync@crmsync.emulator";
    /// <summary>Default sync user password.</summary>
    public const string DefaultPassword = "password";
    /// <summary>Default security token (appended to the password).</summary>
    public const string DefaultSecurityToken = "emulatortoken";
    /// <summary>Default connected-app consumer key.</summary>
    public const string DefaultClientId = "crmsync-emulator-consumer-key";
    /// <summary>Default connected-app consumer secret.</summary>
    public const string DefaultClientSecret = "crmsync-emulator-consumer-secret";
    /// <summary>Restricted user name.</summary>
    public const string DefaultRestrictedUsername = "restricted@crmsync.emulator";
    /// <summary>CRM admin user name (the user behind CRM-side changes).</summary>
    public const string DefaultAdminUsername = "admin@crmsync.emulator";

    /// <summary>Sync user name.</summary>
    public string Username { get; init; } = DefaultUsername;
    /// <summary>Sync user password.</summary>
    public string Password { get; init; } = DefaultPassword;
    /// <summary>Sync user security token.</summary>
    public string SecurityToken { get; init; } = DefaultSecurityToken;
    /// <summary>Consumer key.</summary>
    public string ClientId { get; init; } = DefaultClientId;
    /// <summary>Consumer secret.</summary>
    public string ClientSecret { get; init; } = DefaultClientSecret;
    /// <summary>Restricted user name (same password and token as the sync user).</summary>
    public string RestrictedUsername { get; init; } = DefaultRestrictedUsername;
    /// <summary>CRM admin user name (same password and token as the sync user).</summary>
    public string AdminUsername { get; init; } = DefaultAdminUsername;
}

/// <summary>An org user the emulator knows.</summary>
/// <param name="Id">18-character user id.</param>
/// <param name="Username">Login name.</param>
/// <param name="FullName">Display name.</param>
/// <param name="Restricted">Field-level security hides some fields from this user.</param>
public sealed record EmulatorUser(string Id, string Username, string FullName, bool Restricted);
