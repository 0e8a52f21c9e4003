using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Connections;

/// <summary>What Connect-CrmSync keeps after a successful login (Az.Accounts' -Scope).</summary>
public enum ConnectionScope
{
    /// <summary>Only this process remembers the credentials (<see cref="CrmConnectionRegistry"/>); nothing secret touches the disk.</summary>
    Process,

    /// <summary>The credentials are saved, encrypted for the current user, so scheduled tasks can run unattended (the default).</summary>
    CurrentUser,
}

/// <summary>
/// The parameters of Connect-CrmSync / <c>crmsync connect</c>. Secrets are <see cref="SecretValue"/>s: the connector copies
/// what it keeps, and <see cref="Dispose"/> zeroes the request's own values (the caller may do so as soon as the command ran).
/// </summary>
public sealed class ConnectionRequest : IDisposable
{
    /// <summary>Which CRM (Salesforce now; Dynamics options are accepted and refused by the client factory until it lands).</summary>
    public CrmKind Crm { get; init; } = CrmKind.Salesforce;

    /// <summary>The profile to create or update (default "default").</summary>
    public string Profile { get; init; } = ProfileName.Default;

    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }

    /// <summary>What is kept after the login (default <see cref="ConnectionScope.CurrentUser"/>).</summary>
    public ConnectionScope Scope { get; init; } = ConnectionScope.CurrentUser;

    /// <summary>The sync user's name; null for the client-credentials flow.</summary>
    public string? Username { get; init; }

    /// <summary>The sync user's password.</summary>
    public SecretValue? Password { get; init; }

    /// <summary>Salesforce: the sync user's security token (appended to the password).</summary>
    public SecretValue? SecurityToken { get; init; }

    /// <summary>Salesforce: use the sandbox login host (test.salesforce.com) when <see cref="LoginUrl"/> is not given.</summary>
    public bool Sandbox { get; init; }

    /// <summary>Salesforce: a login host (My Domain, the emulator); Dynamics: the token authority. Null: the CRM's default.</summary>
    public Uri? LoginUrl { get; init; }

    /// <summary>OAuth client id (Salesforce consumer key, Entra application id).</summary>
    public string? ClientId { get; init; }

    /// <summary>OAuth client secret (Salesforce consumer secret).</summary>
    public SecretValue? ClientSecret { get; init; }

    /// <summary>Dynamics: the organization URL (https://org.crm.dynamics.com).</summary>
    public Uri? Url { get; init; }

    /// <summary>Dynamics: the Entra tenant.</summary>
    public string? TenantId { get; init; }

    /// <summary>Dynamics: the boolean field that limits which records sync (e.g. new_synctomkto).</summary>
    public string? SyncFilterField { get; init; }

    /// <summary>
    /// Forces a sign-in method; null (the default) infers it: no user name → client credentials; a client id → the OAuth
    /// password grant; otherwise the password (Salesforce: SOAP login with the security token).
    /// </summary>
    public CrmAuthMethod? AuthMethod { get; init; }

    /// <summary>The sign-in method used: <see cref="AuthMethod"/> or the inferred one.</summary>
    public CrmAuthMethod EffectiveAuthMethod =>
        AuthMethod ?? (string.IsNullOrWhiteSpace(Username) ? CrmAuthMethod.ClientCredentials
            : !string.IsNullOrWhiteSpace(ClientId) ? CrmAuthMethod.OAuthPassword
            : CrmAuthMethod.Password);

    /// <summary>Zeroes the request's secrets.</summary>
    public void Dispose()
    {
        Password?.Dispose();
        SecurityToken?.Dispose();
        ClientSecret?.Dispose();
    }

    /// <summary>A description without secrets.</summary>
    public override string ToString() =>
        $"{Crm} {EffectiveAuthMethod} {Username ?? ClientId ?? "?"} profile '{Profile}' scope {Scope}";
}
