namespace CrmSync.Engine.Notifications;

/// <summary>How the SMTP connection is protected.</summary>
public enum SmtpTlsMode
{
    /// <summary>Plain SMTP, no TLS: accepted for a loopback server only (a local relay), as plain http is for the CRM.</summary>
    None,
    /// <summary>Plain connection upgraded with STARTTLS before anything else is sent; refused if the server does not offer it (port 587 by default).</summary>
    StartTls,
    /// <summary>TLS from the first byte (SMTPS, port 465 by default).</summary>
    ImplicitTls,
}

/// <summary>The notification events a profile can mail.</summary>
[Flags]
public enum NotificationEvent
{
    /// <summary>No event: nothing is mailed.</summary>
    None = 0,
    /// <summary>The initial sync of the profile completed (per-object counts, duration, database path). Sent once.</summary>
    InitialSyncCompleted = 1,
    /// <summary>At most once every 24 hours: the records that failed to sync since the previous digest.</summary>
    FailureDigest = 2,
    /// <summary>The sync is in trouble (credentials rejected, API allowance or service-protection limits reached, the same
    /// job-level error in several consecutive cycles) and, later, that it recovered.</summary>
    SyncTrouble = 4,
    /// <summary>Every event.</summary>
    All = InitialSyncCompleted | FailureDigest | SyncTrouble,
}

/// <summary>What kind of notification mail an outbox row holds.</summary>
public enum NotificationKind
{
    InitialSyncCompleted,
    FailureDigest,
    SyncTrouble,
    SyncRecovered,
}

/// <summary>Why the sync is in trouble.</summary>
public enum SyncTroubleKind
{
    /// <summary>The CRM rejected the sync user's credentials.</summary>
    CredentialsRejected,
    /// <summary>The CRM's API allowance or service-protection limits were reached.</summary>
    ApiLimitReached,
    /// <summary>The same job-level error in <see cref="NotificationSettings.TroubleThreshold"/> consecutive cycles.</summary>
    RepeatedError,
}

/// <summary>
/// A profile's notification settings (<c>crmsync_notification</c>). The SMTP password is never part of them: it is kept
/// encrypted in the secret store (<see cref="NotificationSecretStore"/>).
/// </summary>
public sealed record NotificationSettings
{
    /// <summary>The default number of consecutive cycles failing with the same job-level error before a trouble mail.</summary>
    public const int DefaultTroubleThreshold = 3;

    /// <summary>The default SMTP timeout, per network operation.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Who receives the mails.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];
    /// <summary>The SMTP server's host name or address; null until set.</summary>
    public string? SmtpServer { get; init; }
    /// <summary>The SMTP port; null for the TLS mode's default (25, 587, 465).</summary>
    public int? Port { get; init; }
    /// <summary>None (loopback only), StartTls (default) or ImplicitTls.</summary>
    public SmtpTlsMode TlsMode { get; init; } = SmtpTlsMode.StartTls;
    /// <summary>The SMTP user name when the server needs authentication; its password is in the secret store.</summary>
    public string? SmtpUserName { get; init; }
    /// <summary>The From address; null for <see cref="DefaultSender"/>.</summary>
    public string? Sender { get; init; }
    /// <summary>Which events are mailed (default: all).</summary>
    public NotificationEvent Events { get; init; } = NotificationEvent.All;
    /// <summary>Consecutive cycles with the same job-level error before a trouble mail (default 3).</summary>
    public int TroubleThreshold { get; init; } = DefaultTroubleThreshold;
    /// <summary>The SMTP timeout per network operation (default 30 s); a whole sending pass takes at most twice this.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
    /// <summary>
    /// A PEM or DER certificate file (a private CA, or the server's own self-signed certificate) trusted as a root for the
    /// SMTP server's certificate in addition to the system's trust store. The host name is still checked.
    /// </summary>
    public string? TrustedCertificatePath { get; init; }

    /// <summary>The port used: <see cref="Port"/>, else 25 (None), 587 (StartTls) or 465 (ImplicitTls).</summary>
    public int EffectivePort => Port ?? TlsMode switch
    {
        SmtpTlsMode.None => 25,
        SmtpTlsMode.ImplicitTls => 465,
        _ => 587,
    };

    /// <summary>The From address used: <see cref="Sender"/>, else <c>crmsync@localhost</c>.</summary>
    public string EffectiveSender => Sender ?? DefaultSender;

    /// <summary>The From address when none is set.</summary>
    public const string DefaultSender = "crmsync@localhost";

    /// <summary>True when mails can be sent: a server and at least one recipient.</summary>
    public bool IsComplete => !string.IsNullOrWhiteSpace(SmtpServer) && Recipients.Count > 0;
}

/// <summary>The notification state of a profile as Get-CrmSyncStatus shows it.</summary>
public sealed record NotificationStatus
{
    /// <summary>The recipients.</summary>
    public required IReadOnlyList<string> Recipients { get; init; }
    /// <summary>Mails recorded and not yet accepted by the SMTP server (retried on the next cycle).</summary>
    public required long Pending { get; init; }
    /// <summary>When the SMTP server last accepted a notification.</summary>
    public DateTimeOffset? LastSentAt { get; init; }
    /// <summary>Why the last sending attempt failed; null when the last attempt succeeded.</summary>
    public string? LastError { get; init; }
    /// <summary>When the last sending attempt failed.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }
    /// <summary>The trouble the sync is in, as notified; null when it is not in trouble.</summary>
    public SyncTroubleKind? Trouble { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        LastError is not null ? $"{Pending} pending, last error: {LastError}"
        : LastSentAt is { } sent ? $"{Pending} pending, last sent {sent:u}"
        : $"{Pending} pending";
}

/// <summary>Get-CrmSyncNotification's and Set-CrmSyncNotification's output: the settings (never the password) and the state.</summary>
public sealed record NotificationInfo
{
    /// <summary>The profile name (binds to -Profile down the pipeline).</summary>
    public required string Profile { get; init; }
    /// <summary>The profile's database file (binds to -DatabasePath down the pipeline).</summary>
    public required string DatabasePath { get; init; }
    /// <summary>False when the profile has no notification settings yet.</summary>
    public required bool Configured { get; init; }
    /// <summary>Who receives the mails.</summary>
    public required IReadOnlyList<string> Recipients { get; init; }
    /// <summary>The SMTP server.</summary>
    public string? SmtpServer { get; init; }
    /// <summary>The SMTP port used.</summary>
    public int Port { get; init; }
    /// <summary>None, StartTls or ImplicitTls.</summary>
    public SmtpTlsMode TlsMode { get; init; }
    /// <summary>The SMTP user name, when the server needs authentication.</summary>
    public string? SmtpUserName { get; init; }
    /// <summary>True when an SMTP password is saved (encrypted) for the profile; the password itself is never shown.</summary>
    public bool HasCredential { get; init; }
    /// <summary>The From address.</summary>
    public required string Sender { get; init; }
    /// <summary>Which events are mailed.</summary>
    public NotificationEvent Events { get; init; }
    /// <summary>Consecutive cycles with the same job-level error before a trouble mail.</summary>
    public int TroubleThreshold { get; init; }
    /// <summary>The SMTP timeout per network operation.</summary>
    public TimeSpan Timeout { get; init; }
    /// <summary>The extra trusted root certificate file, if any.</summary>
    public string? TrustedCertificatePath { get; init; }
    /// <summary>Mails recorded and not yet accepted by the SMTP server.</summary>
    public long Pending { get; init; }
    /// <summary>When the SMTP server last accepted a notification.</summary>
    public DateTimeOffset? LastSentAt { get; init; }
    /// <summary>Why the last sending attempt failed; null when it succeeded.</summary>
    public string? LastError { get; init; }
    /// <summary>The SMTP server's answer to -Test (e.g. "2.0.0 Ok: queued as 1234"); null without -Test or when it failed.</summary>
    public string? TestResponse { get; init; }
}
