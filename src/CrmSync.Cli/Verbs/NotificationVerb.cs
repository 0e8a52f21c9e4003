using System.Globalization;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync notification [--recipient A ...] [--smtp-server H] [--port N] [--tls-mode M] [--smtp-user U] [--sender S]
/// [--event E ...] [--trouble-threshold N] [--timeout HH:MM:SS] [--trusted-certificate PATH] [--remove-credential] [--test]</c>:
/// Get-CrmSyncNotification without options, Set-CrmSyncNotification with them. The SMTP password comes from
/// CRMSYNC_SMTP_PASSWORD or, with --smtp-password-stdin, from the first line of standard input; never from an argument.
/// </summary>
public sealed class NotificationVerb : ICliVerb
{
    /// <summary>The environment variable holding the SMTP password (read only with --smtp-user).</summary>
    public const string PasswordVariable = "CRMSYNC_SMTP_PASSWORD";

    private static readonly string[] SetOptions =
        ["recipient", "smtp-server", "port", "tls-mode", "smtp-user", "smtp-password-stdin", "sender", "event", "trouble-threshold", "timeout",
         "trusted-certificate", "remove-credential", "test"];

    public string Name => "notification";

    public string Summary => "Shows or sets the e-mail notifications; --test sends a test mail (Get-/Set-CrmSyncNotification).";

    public string Description =>
        "Without options, shows the profile's notification settings and state (the SMTP password is never shown).\n" +
        "With options, changes only what is given and saves (Set-CrmSyncNotification): mails go out after each 'crmsync start'\n" +
        "cycle when the initial sync completes, as a digest at most once per 24 hours of the records that failed to sync, and\n" +
        "when the sync is in trouble (credentials rejected, API limits reached, the same error in --trouble-threshold cycles)\n" +
        "and recovers. --tls-mode None (plain SMTP) is accepted for a loopback server only; certificates are validated, and\n" +
        "--trusted-certificate adds one private CA (or self-signed server certificate) as a trusted root.\n" +
        $"The SMTP password of --smtp-user is read from {PasswordVariable}, or from standard input with --smtp-password-stdin;\n" +
        "it is saved encrypted for the current user. --test sends a test message now and prints the server's answer.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("recipient", TakesValue: true, "ADDRESS", "who gets the mails (repeatable; replaces the current recipients)") { Repeatable = true },
        new("smtp-server", TakesValue: true, "HOST", "the SMTP server"),
        new("port", TakesValue: true, "N", "the SMTP port (default 587 StartTls, 465 ImplicitTls, 25 None)"),
        new("tls-mode", TakesValue: true, "MODE", "StartTls (default), ImplicitTls or None (loopback servers only)") { Completions = Enum.GetNames<SmtpTlsMode>() },
        new("smtp-user", TakesValue: true, "USER", $"authenticate as USER; the password from {PasswordVariable} or --smtp-password-stdin"),
        new("smtp-password-stdin", TakesValue: false, "", "read the SMTP password from the first line of standard input"),
        new("remove-credential", TakesValue: false, "", "forget the SMTP user and password"),
        new("sender", TakesValue: true, "ADDRESS", "the From address (default crmsync@localhost)"),
        new("event", TakesValue: true, "EVENT", "InitialSyncCompleted, FailureDigest, SyncTrouble, All or None (repeatable)")
        {
            Repeatable = true, Completions = Enum.GetNames<NotificationEvent>(),
        },
        new("trouble-threshold", TakesValue: true, "N", "consecutive cycles with the same error before a trouble mail (default 3)"),
        new("timeout", TakesValue: true, "HH:MM:SS", "the SMTP timeout per operation (default 00:00:30)"),
        new("trusted-certificate", TakesValue: true, "PATH", "a PEM/DER certificate trusted as an extra root ('' removes it)"),
        new("test", TakesValue: false, "", "send a test message now and print the server's answer"),
        new("what-if", TakesValue: false, "", "say what would change; change and send nothing"),
    ], ProfileVerbOptions.VerboseOnly);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        string profile = ProfileVerbOptions.Profile(options);
        string? database = ProfileVerbOptions.Database(options);
        if (!SetOptions.Any(options.Has))
        {
            if (options.Has("what-if"))
                return Usage(console, "--what-if goes with a change or --test; showing changes nothing");
            var get = new GetNotificationOptions { Profile = profile, DatabasePath = database };
            return ProfileVerbOptions.Run(ProfileVerbOptions.Handler(console, handlers => handlers.GetNotification(get)),
                options, console, cancellationToken);
        }

        int? port = null;
        if (options.Value("port") is { } portText)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
                return Usage(console, $"--port '{portText}' is not a port between 1 and 65535");
            port = parsed;
        }
        SmtpTlsMode? tls = null;
        if (options.Value("tls-mode") is { } tlsText)
        {
            if (!Enum.TryParse(tlsText, ignoreCase: true, out SmtpTlsMode mode) || !Enum.IsDefined(mode) || int.TryParse(tlsText, out _))
                return Usage(console, $"--tls-mode '{tlsText}' is not StartTls, ImplicitTls or None");
            tls = mode;
        }
        NotificationEvent? events = null;
        foreach (var text in options.Values("event"))
        {
            if (!Enum.TryParse(text, ignoreCase: true, out NotificationEvent e) || int.TryParse(text, out _) || !Enum.GetNames<NotificationEvent>().Contains(text, StringComparer.OrdinalIgnoreCase))
                return Usage(console, $"--event '{text}' is not InitialSyncCompleted, FailureDigest, SyncTrouble, All or None");
            events = (events ?? NotificationEvent.None) | e;
        }
        int? threshold = null;
        if (options.Value("trouble-threshold") is { } thresholdText)
        {
            if (!int.TryParse(thresholdText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
                return Usage(console, $"--trouble-threshold '{thresholdText}' is not a number of cycles (1 or more)");
            threshold = parsed;
        }
        TimeSpan? timeout = null;
        if (options.Value("timeout") is { } timeoutText)
        {
            if (!TimeSpan.TryParse(timeoutText, CultureInfo.InvariantCulture, out var parsed) || parsed < TimeSpan.FromSeconds(1))
                return Usage(console, $"--timeout '{timeoutText}' is not a time span of at least 00:00:01");
            timeout = parsed;
        }
        string? user = options.Value("smtp-user");
        if (options.Has("smtp-password-stdin") && user is null)
            return Usage(console, "--smtp-password-stdin goes with --smtp-user");
        SecretValue? password = null;
        // --remove-credential with --smtp-user is refused by the handler; no password is read for it.
        if (user is not null && !options.Has("remove-credential"))
        {
            string? text = options.Has("smtp-password-stdin") ? console.Input.ReadLine() : console.GetEnvironmentVariable(PasswordVariable);
            if (string.IsNullOrEmpty(text))
                return Usage(console, $"no SMTP password for {user}: set {PasswordVariable} or write it to standard input with --smtp-password-stdin");
            password = SecretValue.Copy(text.AsSpan().TrimEnd('\r'));
        }
        string? certificate = options.Value("trusted-certificate") is { } path ? (path.Length == 0 ? "" : Path.GetFullPath(path)) : null;

        using (password)
        {
            var set = new SetNotificationOptions
            {
                Profile = profile, DatabasePath = database, Recipients = options.Has("recipient") ? options.Values("recipient") : null,
                SmtpServer = options.Value("smtp-server"), Port = port, TlsMode = tls, SmtpUserName = user, SmtpPassword = password,
                RemoveCredential = options.Has("remove-credential"), Sender = options.Value("sender"), Events = events,
                TroubleThreshold = threshold, Timeout = timeout, TrustedCertificatePath = certificate, Test = options.Has("test"),
            };
            return ProfileVerbOptions.Run(ProfileVerbOptions.Handler(console, handlers => handlers.SetNotification(set)),
                options, console, cancellationToken, whatIf: true);
        }
    }

    private int Usage(CliConsole console, string message) => ReportOptionParser.UsageError(console, Name, message);
}
