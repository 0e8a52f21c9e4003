using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Notifications;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Sets up or changes the e-mail notifications of a CrmSync profile; -Test sends a test message.</summary>
/// <remarks>
/// <para>Notifications mail the recipients when the initial sync completes (per-object counts, duration, database path), a
/// digest at most once every 24 hours of the records that failed to sync, when the sync is in trouble (credentials
/// rejected, API allowance or service-protection limits reached, the same job-level error in -TroubleThreshold consecutive
/// cycles) and when it recovers. Only the parameters given change; the first call starts the notifications from now. The
/// SMTP password of -Credential is saved encrypted for the current user, never in the database. -Test sends a test message
/// at once and shows the server's answer in TestResponse; a failed test is a non-terminating NotificationSendFailed
/// error.</para>
/// <para>Mail goes out after each Start-CrmSync cycle through MailKit. Certificates are validated against the system's
/// trust store and the host name; -TrustedCertificatePath adds one private CA (or a self-signed server certificate) as a
/// trusted root. -TlsMode None (plain SMTP) is accepted for a loopback server only. A mail that cannot be sent never fails
/// or holds up a sync: the failure is recorded (Get-CrmSyncStatus, Get-CrmSyncNotification) and the mail is retried after
/// the next cycle. Each event is recorded once before it is sent and marked sent after the server accepted it.</para>
/// <para>Supports -WhatIf and -Confirm (ConfirmImpact Medium). An unknown profile is a terminating ProfileNotFound
/// error.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus or Connect-CrmSync.</input>
/// <output cref="NotificationInfo">The profile's notification settings after the change (no password), with TestResponse
/// when -Test was given.</output>
/// <example>
/// <title>Mail the admins through an authenticated SMTP server, and test it</title>
/// <code>
/// PS&gt; Set-CrmSyncNotification -Profile prod -Recipient admin@example.com -SmtpServer smtp.example.com -Credential (Get-Credential mailer@example.com) -Sender crmsync@example.com -Test
/// </code>
/// <para>Sends the notifications of the profile 'prod' through smtp.example.com:587 with STARTTLS and SMTP
/// authentication, and sends a test message now; TestResponse shows the server's answer.</para>
/// </example>
/// <example>
/// <title>Only trouble and failure digests, after five failed cycles</title>
/// <code>
/// PS&gt; Set-CrmSyncNotification -Profile marketing -Event SyncTrouble, FailureDigest -TroubleThreshold 5
/// </code>
/// <para>Mails trouble (and recovery) and failure digests only, and waits for five consecutive cycles with the same
/// job-level error before a trouble mail.</para>
/// </example>
/// <seealso cref="GetCrmSyncNotificationCommand"/>
/// <seealso cref="StartCrmSyncCommand"/>
[Cmdlet(VerbsCommon.Set, "CrmSyncNotification", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(NotificationInfo))]
public sealed class SetCrmSyncNotificationCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>The e-mail addresses that receive the notifications; replaces the current recipients.</summary>
    /// <remarks>Start-CrmSync -NotifyEmail sets them on the first start of a profile.</remarks>
    /// <example><code>-Recipient admin@example.com, ops@example.com</code></example>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Recipient { get; set; }

    /// <summary>The SMTP server's host name or address.</summary>
    /// <remarks>The host name is checked against the server's certificate.</remarks>
    /// <example><code>-SmtpServer smtp.example.com</code></example>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SmtpServer { get; set; }

    /// <summary>The SMTP port; by default 587 for StartTls, 465 for ImplicitTls and 25 for None.</summary>
    /// <remarks>Changing -TlsMode without -Port moves to the new mode's default port.</remarks>
    /// <example><code>-Port 2525</code></example>
    /// <default>unchanged; a new configuration uses 587 for StartTls, 465 for ImplicitTls, 25 for None</default>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>How the connection is protected: StartTls (the default), ImplicitTls, or None (plain SMTP, loopback servers only).</summary>
    /// <remarks>StartTls never falls back to plain SMTP when the server does not offer it.</remarks>
    /// <example><code>-TlsMode ImplicitTls</code></example>
    /// <default>unchanged; a new configuration uses StartTls</default>
    [Parameter]
    public SmtpTlsMode TlsMode { get; set; }

    /// <summary>The SMTP user name and password, when the server requires authentication.</summary>
    /// <remarks>The password is saved encrypted for the current user (DPAPI on Windows, AES-GCM with a per-user key elsewhere).</remarks>
    /// <example><code>-Credential (Get-Credential notifications@example.com)</code></example>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Forgets the SMTP user name and password (a server without authentication).</summary>
    /// <remarks>Cannot be combined with -Credential.</remarks>
    /// <example><code>-RemoveCredential</code></example>
    [Parameter]
    public SwitchParameter RemoveCredential { get; set; }

    /// <summary>The From address of the mails (default crmsync@localhost; most servers want an address of their domain).</summary>
    /// <remarks>A display name may be given as "CrmSync &lt;crmsync@example.com&gt;".</remarks>
    /// <example><code>-Sender crmsync@example.com</code></example>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Sender { get; set; }

    /// <summary>Which events are mailed: InitialSyncCompleted, FailureDigest, SyncTrouble (trouble and recovery), All or None.</summary>
    /// <remarks>Events that are not selected are still tracked, so selecting one later does not replay the past.</remarks>
    /// <example><code>-Event InitialSyncCompleted, SyncTrouble</code></example>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public NotificationEvent[]? Event { get; set; }

    /// <summary>How many consecutive cycles must fail with the same job-level error before a trouble mail (default 3).</summary>
    /// <remarks>Rejected credentials and reached API limits are mailed at the first failed cycle.</remarks>
    /// <example><code>-TroubleThreshold 5</code></example>
    /// <default>unchanged; a new configuration uses 3</default>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int TroubleThreshold { get; set; }

    /// <summary>The SMTP timeout per network operation (default 30 seconds, at most 5 minutes).</summary>
    /// <remarks>A whole sending pass after a cycle takes at most twice this.</remarks>
    /// <example><code>-Timeout 00:00:10</code></example>
    /// <default>unchanged; a new configuration uses 00:00:30</default>
    [Parameter]
    [ValidateMinimumTimeSpan("00:00:01")]
    public TimeSpan Timeout { get; set; }

    /// <summary>A PEM or DER certificate file trusted as an extra root for the SMTP server's certificate; an empty string removes it.</summary>
    /// <remarks>For a private CA or a self-signed server certificate. The host name is still checked.</remarks>
    /// <example><code>-TrustedCertificatePath ./corp-root-ca.pem</code></example>
    [Parameter]
    [AllowEmptyString]
    public string? TrustedCertificatePath { get; set; }

    /// <summary>Sends a test message now, after saving, and shows the SMTP server's answer in TestResponse.</summary>
    /// <remarks>A failed test is a non-terminating NotificationSendFailed error; the settings stay saved.</remarks>
    /// <example><code>Set-CrmSyncNotification -Test</code></example>
    [Parameter]
    public SwitchParameter Test { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
        using var password = SecretConversion.ToSecretValue(Credential?.Password);
        RunHandler(Handlers.SetNotification(new SetNotificationOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Recipients = Recipient,
            SmtpServer = SmtpServer,
            Port = Bound(nameof(Port)) ? Port : null,
            TlsMode = Bound(nameof(TlsMode)) ? TlsMode : null,
            SmtpUserName = Credential?.UserName,
            SmtpPassword = password,
            RemoveCredential = RemoveCredential.IsPresent,
            Sender = Sender,
            Events = Event is null ? null : Event.Aggregate(NotificationEvent.None, (all, e) => all | e),
            TroubleThreshold = Bound(nameof(TroubleThreshold)) ? TroubleThreshold : null,
            Timeout = Bound(nameof(Timeout)) ? Timeout : null,
            TrustedCertificatePath = TrustedCertificatePath is null ? null
                : TrustedCertificatePath.Length == 0 ? "" : ResolveFileSystemPath(TrustedCertificatePath, nameof(TrustedCertificatePath)),
            Test = Test.IsPresent,
        }));
    }
}
