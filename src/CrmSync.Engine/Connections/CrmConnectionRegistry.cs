using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Connections;

/// <summary>
/// The connections made with <c>Connect-CrmSync -Scope Process</c>: sign-in settings with private copies of their secrets,
/// kept in memory for the life of the process and never written anywhere. <see cref="ProfileConnector.OpenClientAsync"/>
/// prefers an entry here over the secrets saved for the current user. Keyed by profile name and database file, so
/// two data folders (or two -DatabasePath files) never share an entry. Thread-safe.
/// </summary>
public sealed class CrmConnectionRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, CrmConnectionSettings> _entries = new(StringComparer.Ordinal);

    /// <summary>The registry of this process (what the cmdlets and the CLI use).</summary>
    public static CrmConnectionRegistry Process { get; } = new();

    /// <summary>
    /// Remembers <paramref name="settings"/> for the profile at <paramref name="location"/>, replacing (and zeroing) an earlier
    /// entry. The registry keeps its own copies of the secrets: the caller may dispose its values.
    /// </summary>
    public void Register(ProfileLocation location, CrmConnectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(settings);
        var copy = Copy(settings);
        CrmConnectionSettings? previous;
        lock (_gate)
        {
            _entries.TryGetValue(Key(location), out previous);
            _entries[Key(location)] = copy;
        }
        if (previous is not null)
            Zero(previous);
    }

    /// <summary>True when this process holds a connection for the profile at <paramref name="location"/>.</summary>
    public bool Contains(ProfileLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        lock (_gate)
            return _entries.ContainsKey(Key(location));
    }

    /// <summary>Forgets (and zeroes) the connection of the profile at <paramref name="location"/>. False when there was none.</summary>
    public bool Remove(ProfileLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        CrmConnectionSettings? removed;
        lock (_gate)
        {
            if (!_entries.Remove(Key(location), out removed))
                return false;
        }
        Zero(removed);
        return true;
    }

    /// <summary>
    /// Runs <paramref name="use"/> on the registered settings (under the registry's lock, so they cannot be zeroed meanwhile)
    /// and returns true; false when the profile has no entry. <paramref name="use"/> must copy what it keeps (the CRM
    /// clients do).
    /// </summary>
    internal bool TryUse<T>(ProfileLocation location, Func<CrmConnectionSettings, T> use, out T? result)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(Key(location), out var settings))
            {
                result = default;
                return false;
            }
            result = use(settings);
            return true;
        }
    }

    private static string Key(ProfileLocation location)
    {
        var path = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            ? location.DatabasePath.ToUpperInvariant()
            : location.DatabasePath;
        return location.ProfileName.ToUpperInvariant() + "\n" + path;
    }

    /// <summary>A copy of <paramref name="settings"/> whose secrets are new buffers.</summary>
    internal static CrmConnectionSettings Copy(CrmConnectionSettings settings) => new()
    {
        Kind = settings.Kind,
        AuthMethod = settings.AuthMethod,
        LoginUrl = settings.LoginUrl,
        OrganizationUrl = settings.OrganizationUrl,
        Sandbox = settings.Sandbox,
        Username = settings.Username,
        Password = settings.Password is null ? null : SecretValue.Copy(settings.Password.Span),
        SecurityToken = settings.SecurityToken is null ? null : SecretValue.Copy(settings.SecurityToken.Span),
        ClientId = settings.ClientId,
        ClientSecret = settings.ClientSecret is null ? null : SecretValue.Copy(settings.ClientSecret.Span),
        TenantId = settings.TenantId,
        ApiVersion = settings.ApiVersion,
    };

    private static void Zero(CrmConnectionSettings settings)
    {
        settings.Password?.Dispose();
        settings.SecurityToken?.Dispose();
        settings.ClientSecret?.Dispose();
    }
}
