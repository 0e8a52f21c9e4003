using CrmSync.Engine.Connections;
using System.Globalization;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Notifications;

/// <summary>Reads, validates and saves a profile's notification settings (Set-/Get-CrmSyncNotification, Start-CrmSync -NotifyEmail).</summary>
public static class NotificationSetup
{
    /// <summary>The longest SMTP timeout accepted.</summary>
    public static readonly TimeSpan MaximumTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The profile's settings, or null when it has none.</summary>
    public static NotificationSettings? Read(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new NotificationTable(store).ReadSettings();
    }

    /// <summary>
    /// Validates and saves <paramref name="settings"/>. The first save starts the notifications from now: earlier runs are
    /// not notified, and a profile whose initial sync is already done never gets the "initial sync completed" mail.
    /// Throws InvalidArgument (a bad address, port, threshold, timeout or certificate file) or InsecureTransport.
    /// </summary>
    public static void Save(CrmSyncStore store, NotificationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(store);
        Validate(settings);
        var profile = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        new NotificationTable(store).SaveSettings(settings, NotificationPlanner.IsInitialSyncDone(store, profile));
    }

    /// <summary>The normalized address (<c>a@b.example</c>, or <c>"Name" &lt;a@b.example&gt;</c>) of <paramref name="address"/>;
    /// InvalidArgument when it is not one mailbox.</summary>
    public static string NormalizeAddress(string address, string what)
    {
        System.Net.Mail.MailAddress? mailbox = null;
        if (string.IsNullOrWhiteSpace(address) || !System.Net.Mail.MailAddress.TryCreate(address.Trim(), out mailbox)
            || mailbox.Host.Length == 0 || mailbox.User.Length == 0 || address.Contains(',', StringComparison.Ordinal))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{address}' is not an e-mail address ({what}).", "Give an address such as admin@example.com.", address);
        return string.IsNullOrEmpty(mailbox!.DisplayName) ? mailbox.Address : mailbox.ToString();
    }

    /// <summary>Throws InvalidArgument / InsecureTransport for settings that cannot work.</summary>
    public static void Validate(NotificationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var recipient in settings.Recipients)
            NormalizeAddress(recipient, "recipient");
        if (settings.Sender is not null)
            NormalizeAddress(settings.Sender, "sender");
        if (settings.SmtpServer is { } server)
        {
            if (string.IsNullOrWhiteSpace(server) || server.Any(char.IsWhiteSpace) || server.Contains('/', StringComparison.Ordinal))
                throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                    $"'{server}' is not an SMTP server host name or address.", "Give a host name such as smtp.example.com.", server);
            SmtpMailSender.EnsureTransportAllowed(server, settings.TlsMode);
        }
        if (settings.Port is < 1 or > 65535)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The SMTP port {settings.Port} is not between 1 and 65535."), "Give a port such as 587.", settings.Port);
        if (settings.TroubleThreshold < 1)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The trouble threshold must be at least 1 cycle, not {settings.TroubleThreshold}."),
                "Give a number of consecutive failed cycles, e.g. 3 (the default).", settings.TroubleThreshold);
        if (settings.Timeout < TimeSpan.FromSeconds(1) || settings.Timeout > MaximumTimeout)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The SMTP timeout {settings.Timeout} is not between 1 second and {MaximumTimeout}."),
                "Give a timeout such as 30 seconds (the default).", settings.Timeout);
        if (settings.SmtpUserName is { Length: 0 })
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, "The SMTP user name is empty.",
                "Give a credential with a user name, or none for a server without authentication.");
        SmtpMailSender.LoadTrustedCertificates(settings.TrustedCertificatePath);
    }

    /// <summary>The state Get-CrmSyncStatus shows; null when notifications are not set up.</summary>
    public static NotificationStatus? ReadStatus(CrmSyncStore store, Microsoft.Data.Sqlite.SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new NotificationTable(store).ReadStatus(transaction);
    }

    /// <summary>Get-CrmSyncNotification's object for the profile of <paramref name="store"/>.</summary>
    public static NotificationInfo Describe(CrmSyncStore store, string profile, NotificationSecretStore secrets, string? testResponse = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(secrets);
        var table = new NotificationTable(store);
        var settings = table.ReadSettings();
        var status = table.ReadStatus();
        var shown = settings ?? new NotificationSettings();
        return new NotificationInfo
        {
            Profile = profile,
            DatabasePath = store.DatabasePath,
            Configured = settings is not null,
            Recipients = shown.Recipients,
            SmtpServer = shown.SmtpServer,
            Port = shown.EffectivePort,
            TlsMode = shown.TlsMode,
            SmtpUserName = shown.SmtpUserName,
            HasCredential = secrets.Has(profile),
            Sender = shown.EffectiveSender,
            Events = shown.Events,
            TroubleThreshold = shown.TroubleThreshold,
            Timeout = shown.Timeout,
            TrustedCertificatePath = shown.TrustedCertificatePath,
            Pending = status?.Pending ?? 0,
            LastSentAt = status?.LastSentAt,
            LastError = status?.LastError,
            TestResponse = testResponse,
        };
    }

    /// <summary>Sends the test message now with <paramref name="settings"/> and returns the server's answer; throws NotificationSendFailed.</summary>
    public static async Task<string> SendTestAsync(CrmSyncStore store, string profile, NotificationSettings settings, NotificationSecretStore secrets,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(secrets);
        var crm = store.Profile.Read()?.Crm.ToString() ?? "CRM";
        var (subject, text, html) = NotificationMessages.Test(new NotificationMessages.Context(profile, crm, store.DatabasePath), store.Time.GetUtcNow());
        SecretValue? password = null;
        try
        {
            if (settings.SmtpUserName is not null)
                secrets.TryGet(profile, out password);
            var sender = new SmtpMailSender(settings, password);
            string? answer = null;
            await sender.SendAsync([(new OutgoingMail(subject, text, html), response => answer = response, null)], cancellationToken).ConfigureAwait(false);
            return answer ?? "";
        }
        finally
        {
            password?.Dispose();
        }
    }
}
