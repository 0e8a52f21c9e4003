using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync connect --crm salesforce --login-url URL --username USER [--sandbox] [--client-id ID] [--scope S] [--password-stdin]</c>:
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
        "Without --username the client-credentials grant is used (--client-id, CRMSYNC_CLIENT_SECRET, a My Domain --login-url).";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("crm", TakesValue: true, "CRM", "salesforce (the default; Dynamics 365 comes later)") { Completions = ["salesforce"] },
        new("login-url", TakesValue: true, "URL", "the login host: My Domain or emulator URL (default: login.salesforce.com)"),
        new("username", TakesValue: true, "USER", "the sync user's name"),
        new("sandbox", TakesValue: false, "", "log in at the sandbox host test.salesforce.com"),
        new("client-id", TakesValue: true, "ID", "the connected app's consumer key (OAuth instead of the SOAP login)"),
        new("scope", TakesValue: true, "SCOPE", "currentuser (default: save the secrets encrypted) or process (save none)") { Completions = ["currentuser", "process"] },
        new("password-stdin", TakesValue: false, "", "read password, security token and client secret from standard input, one per line"),
    ]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        string crm = options.Value("crm") ?? "salesforce";
        if (!crm.Equals("salesforce", StringComparison.OrdinalIgnoreCase))
            return Usage(console, crm.Equals("dynamics", StringComparison.OrdinalIgnoreCase)
                ? "Dynamics 365 is not supported by this release yet; --crm takes salesforce"
                : $"unknown CRM '{crm}'; --crm takes salesforce");
        Uri? loginUrl = null;
        if (options.Value("login-url") is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out loginUrl) || loginUrl.Scheme is not ("https" or "http")))
            return Usage(console, $"--login-url '{url}' is not an absolute http(s) URL");
        ConnectionScope scope;
        switch (options.Value("scope")?.ToLowerInvariant())
        {
            case null or "currentuser": scope = ConnectionScope.CurrentUser; break;
            case "process": scope = ConnectionScope.Process; break;
            default: return Usage(console, $"--scope takes currentuser or process, not '{options.Value("scope")}'");
        }

        var (password, token, clientSecret) = options.Has("password-stdin") ? ReadStandardInput(console) : ReadEnvironment(console);
        string? username = options.Value("username");
        if (username is not null && password is null)
        {
            token?.Dispose();
            clientSecret?.Dispose();
            return Usage(console, $"no password for {username}: set {PasswordVariable} or write it to standard input with --password-stdin");
        }

        using var request = new ConnectionRequest
        {
            Crm = CrmKind.Salesforce, Profile = ProfileVerbOptions.Profile(options), DatabasePath = ProfileVerbOptions.Database(options),
            Scope = scope, Username = username, Password = password, SecurityToken = token, Sandbox = options.Has("sandbox"),
            LoginUrl = loginUrl, ClientId = options.Value("client-id"), ClientSecret = clientSecret,
        };
        return ProfileVerbOptions.Run(ProfileVerbOptions.Handler(console, handlers => handlers.Connect(request)),
            options, console, cancellationToken);
    }

    private static (SecretValue?, SecretValue?, SecretValue?) ReadEnvironment(CliConsole console) =>
        (Secret(console.GetEnvironmentVariable(PasswordVariable)), Secret(console.GetEnvironmentVariable(SecurityTokenVariable)),
         Secret(console.GetEnvironmentVariable(ClientSecretVariable)));

    private static (SecretValue?, SecretValue?, SecretValue?) ReadStandardInput(CliConsole console) =>
        (Secret(console.Input.ReadLine()), Secret(console.Input.ReadLine()), Secret(console.Input.ReadLine()));

    private static SecretValue? Secret(string? value) => string.IsNullOrEmpty(value) ? null : SecretValue.Copy(value.AsSpan().TrimEnd('\r'));

    private int Usage(CliConsole console, string message) => ReportOptionParser.UsageError(console, Name, message);
}
