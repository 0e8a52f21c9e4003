using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync connect --crm salesforce --login-url URL --username USER [--sandbox] [--client-id ID] [--scope S] [--password-stdin]</c>
/// or <c>crmsync connect --crm dynamics --url ORG [--username USER] [--client-id ID] [--tenant-id T] [--login-url AUTHORITY]</c>:
/// Connect-CrmSync for shells. Secrets come from CRMSYNC_PASSWORD, CRMSYNC_SECURITY_TOKEN and CRMSYNC_CLIENT_SECRET, or from
/// standard input with --password-stdin; never from arguments.
/// </summary>
public sealed class ConnectVerb : ICliVerb
{
    /// <summary>The environment variable holding the sync user's password.</summary>
    public const string PasswordVariable = ProfileConnector.PasswordVariable;
    /// <summary>The environment variable holding the Salesforce security token.</summary>
    public const string SecurityTokenVariable = ProfileConnector.SecurityTokenVariable;
    /// <summary>The environment variable holding the connected app's consumer secret.</summary>
    public const string ClientSecretVariable = ProfileConnector.ClientSecretVariable;

    public string Name => "connect";

    public string Summary => "Logs in to the CRM and saves the profile only if the login works (Connect-CrmSync).";

    public string Description =>
        "Logs in for real as the sync user and, only when that works, creates or updates the profile and saves its secrets\n" +
        "encrypted for the current user (--scope currentuser, the default) so scheduled runs work unattended. --scope process\n" +
        "only checks the login and saves the profile without secrets: every later command (start, sync-field, ...) then reads\n" +
        "them from CRMSYNC_PASSWORD / CRMSYNC_SECURITY_TOKEN (CRMSYNC_CLIENT_SECRET) in its environment (containers, runbooks, CI).\n" +
        "Secrets are never command-line arguments (other users can read those): set CRMSYNC_PASSWORD, CRMSYNC_SECURITY_TOKEN\n" +
        "and CRMSYNC_CLIENT_SECRET, or give --password-stdin and write to standard input: line 1 the password, line 2 the\n" +
        "security token (empty when the login IP range is trusted), line 3 (optional) the connected app's client secret.\n" +
        "Without --username the client-credentials grant is used (--client-id, CRMSYNC_CLIENT_SECRET, a My Domain --login-url).\n" +
        "Dynamics 365: --crm dynamics --url https://<org>.crm.dynamics.com with --username (user@domain or DOMAIN\\user) and\n" +
        "CRMSYNC_PASSWORD (the Entra password grant; --client-id and CRMSYNC_CLIENT_SECRET optional), or without --username the\n" +
        "Application User: --tenant-id, --client-id and CRMSYNC_CLIENT_SECRET. --login-url is then the Entra authority (default\n" +
        "https://login.microsoftonline.com). With --password-stdin: line 1 the password (empty without --username), line 2 the\n" +
        "client secret. The login is real (token, WhoAmI, one read of each synced entity) before anything is saved.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("crm", TakesValue: true, "CRM", "salesforce (the default) or dynamics") { Completions = ["salesforce", "dynamics"] },
        new("url", TakesValue: true, "URL", "dynamics: the organization URL (https://<org>.crm.dynamics.com)"),
        new("tenant-id", TakesValue: true, "TENANT", "dynamics: the Entra tenant id or domain (required without --username)"),
        new("sync-filter-field", TakesValue: true, "FIELD", "dynamics: the Two Options field that limits which records sync (default new_synctomkto)"),
        new("login-url", TakesValue: true, "URL", "the login host: My Domain or emulator URL (default: login.salesforce.com); dynamics: the Entra authority"),
        new("username", TakesValue: true, "USER", "the sync user's name (dynamics: user@domain or DOMAIN\\user)"),
        new("sandbox", TakesValue: false, "", "log in at the sandbox host test.salesforce.com"),
        new("client-id", TakesValue: true, "ID", "the connected app's consumer key (OAuth instead of the SOAP login); dynamics: the Entra application id"),
        new("scope", TakesValue: true, "SCOPE", "currentuser (default: save the secrets encrypted) or process (save none)") { Completions = ["currentuser", "process"] },
        new("password-stdin", TakesValue: false, "", "read password, security token and client secret from standard input, one per line (dynamics: password, client secret)"),
    ]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        string crm = options.Value("crm") ?? "salesforce";
        CrmKind kind;
        if (crm.Equals("salesforce", StringComparison.OrdinalIgnoreCase)) kind = CrmKind.Salesforce;
        else if (crm.Equals("dynamics", StringComparison.OrdinalIgnoreCase)) kind = CrmKind.Dynamics;
        else return Usage(console, $"unknown CRM '{crm}'; --crm takes salesforce or dynamics");
        Uri? loginUrl = null;
        if (options.Value("login-url") is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out loginUrl) || loginUrl.Scheme is not ("https" or "http")))
            return Usage(console, $"--login-url '{url}' is not an absolute http(s) URL");
        Uri? orgUrl = null;
        if (kind == CrmKind.Dynamics)
        {
            if (options.Value("url") is not { } org)
                return Usage(console, "--crm dynamics needs the organization URL: --url https://<org>.crm.dynamics.com");
            if (!Uri.TryCreate(org, UriKind.Absolute, out orgUrl) || orgUrl.Scheme is not ("https" or "http"))
                return Usage(console, $"--url '{org}' is not an absolute http(s) URL");
            if (options.Has("sandbox"))
                return Usage(console, "--sandbox is a Salesforce option");
            if (options.Value("username") is null && (options.Value("tenant-id") is null || options.Value("client-id") is null))
                return Usage(console, "without --username, Dynamics 365 signs in as the Application User: give --tenant-id and --client-id (and CRMSYNC_CLIENT_SECRET)");
        }
        else if (options.Value("url") is not null || options.Value("tenant-id") is not null || options.Value("sync-filter-field") is not null)
        {
            return Usage(console, "--url, --tenant-id and --sync-filter-field are Dynamics 365 options; give --crm dynamics with them");
        }
        ConnectionScope scope;
        switch (options.Value("scope")?.ToLowerInvariant())
        {
            case null or "currentuser": scope = ConnectionScope.CurrentUser; break;
            case "process": scope = ConnectionScope.Process; break;
            default: return Usage(console, $"--scope takes currentuser or process, not '{options.Value("scope")}'");
        }

        var (password, token, clientSecret) = options.Has("password-stdin") ? ReadStandardInput(console, kind) : ReadEnvironment(console, kind);
        string? username = options.Value("username");
        if (username is not null && password is null)
        {
            token?.Dispose();
            clientSecret?.Dispose();
            return Usage(console, $"no password for {username}: set {PasswordVariable} or write it to standard input with --password-stdin");
        }

        using var request = new ConnectionRequest
        {
            Crm = kind, Profile = ProfileVerbOptions.Profile(options), DatabasePath = ProfileVerbOptions.Database(options),
            Scope = scope, Username = username, Password = password, SecurityToken = token, Sandbox = options.Has("sandbox"),
            LoginUrl = loginUrl, ClientId = options.Value("client-id"), ClientSecret = clientSecret,
            Url = orgUrl, TenantId = options.Value("tenant-id"), SyncFilterField = options.Value("sync-filter-field"),
        };
        return ProfileVerbOptions.Run(ProfileVerbOptions.Handler(console, handlers => handlers.Connect(request)),
            options, console, cancellationToken);
    }

    // Dynamics 365 has no security token: its stdin lines are the password and the client secret.
    private static (SecretValue?, SecretValue?, SecretValue?) ReadEnvironment(CliConsole console, CrmKind kind) =>
        (Secret(console.GetEnvironmentVariable(PasswordVariable)),
         kind == CrmKind.Dynamics ? null : Secret(console.GetEnvironmentVariable(SecurityTokenVariable)),
         Secret(console.GetEnvironmentVariable(ClientSecretVariable)));

    private static (SecretValue?, SecretValue?, SecretValue?) ReadStandardInput(CliConsole console, CrmKind kind) =>
        kind == CrmKind.Dynamics
            ? (Secret(console.Input.ReadLine()), null, Secret(console.Input.ReadLine()))
            : (Secret(console.Input.ReadLine()), Secret(console.Input.ReadLine()), Secret(console.Input.ReadLine()));

    private static SecretValue? Secret(string? value) => string.IsNullOrEmpty(value) ? null : SecretValue.Copy(value.AsSpan().TrimEnd('\r'));

    private int Usage(CliConsole console, string message) => ReportOptionParser.UsageError(console, Name, message);
}
