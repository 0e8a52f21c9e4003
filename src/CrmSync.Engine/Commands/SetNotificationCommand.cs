using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>
/// The parameters of Set-CrmSyncNotification / <c>crmsync notification --set</c>. Every setting is optional: null keeps the
/// current value (or the default on the first call).
/// </summary>
public sealed record SetNotificationOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = ProfileName.Default;
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>The recipients (replace the current ones).</summary>
    public IReadOnlyList<string>? Recipients { get; init; }
    /// <summary>The SMTP server's host name or address.</summary>
    public string? SmtpServer { get; init; }
    /// <summary>The SMTP port (1-65535).</summary>
    public int? Port { get; init; }
    /// <summary>None (loopback only), StartTls or ImplicitTls.</summary>
    public SmtpTlsMode? TlsMode { get; init; }
    /// <summary>The SMTP user name; given with <see cref="SmtpPassword"/> (a credential).</summary>
    public string? SmtpUserName { get; init; }
    /// <summary>The SMTP password; saved encrypted, never in the database. The command does not dispose it.</summary>
    public SecretValue? SmtpPassword { get; init; }
    /// <summary>Forget the SMTP user name and password (a server without authentication).</summary>
    public bool RemoveCredential { get; init; }
    /// <summary>The From address.</summary>
    public string? Sender { get; init; }
    /// <summary>Which events to mail.</summary>
    public NotificationEvent? Events { get; init; }
    /// <summary>Consecutive cycles with the same job-level error before a trouble mail.</summary>
    public int? TroubleThreshold { get; init; }
    /// <summary>The SMTP timeout per network operation.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>A PEM/DER certificate trusted as an extra root for the SMTP server; an empty string removes it.</summary>
    public string? TrustedCertificatePath { get; init; }
    /// <summary>Send a test message now (after saving) and report the server's answer.</summary>
    public bool Test { get; init; }
}

/// <summary>
/// Set-CrmSyncNotification (ConfirmImpact Medium) and <c>crmsync notification --set</c>: after one ShouldProcess, merges the
/// given settings into the profile's notification settings, validates them (addresses, port, plain SMTP to loopback only,
/// the trusted certificate file) and saves them; a credential's password is saved encrypted in the secret store. The first
/// save starts the notifications from now. With <see cref="SetNotificationOptions.Test"/> a test message is sent at once and
/// the server's answer is in <see cref="NotificationInfo.TestResponse"/>; a failed test is a non-terminating
/// NotificationSendFailed error (the settings stay saved). Writes the <see cref="NotificationInfo"/>. -WhatIf or a declined
/// confirmation changes nothing and sends nothing.
/// Errors (thrown): ProfileNotFound, InvalidProfileName, InvalidArgument, InsecureTransport, DatabaseLocked.
/// </summary>
public sealed class SetNotificationCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;
    private readonly NotificationSecretStore _secrets;

    /// <summary>The command over <paramref name="profiles"/> and the SMTP passwords in <paramref name="secrets"/>.</summary>
    public SetNotificationCommand(ProfileStore profiles, NotificationSecretStore secrets, SetNotificationOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public SetNotificationOptions Options { get; }

    /// <summary>True when the last run saved the settings.</summary>
    public bool Saved { get; private set; }

    /// <inheritdoc />
    public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        Saved = false;
        if (Options.RemoveCredential && (Options.SmtpPassword is not null || Options.SmtpUserName is not null))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"{ShellParameter.For(ActionParameter.RemoveCredential)} and {ShellAction.SetNotification.Parameter(ActionParameter.Credential)} contradict each other.", "Give one of them.");
        if (Options.SmtpPassword is not null && Options.SmtpUserName is null)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                "An SMTP password needs the SMTP user name it belongs to.", "Give a credential with a user name.");

        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        var current = NotificationSetup.Read(store);
        var settings = Merge(current ?? new NotificationSettings());
        NotificationSetup.Validate(settings);

        var changes = Describe(current, settings);
        var action = changes.Count == 0
            ? (Options.Test ? "Send a test message to " + string.Join(", ", settings.Recipients) : "Keep the e-mail notifications as they are (nothing to change)")
            : (current is null ? "Set up e-mail notifications: " : "Change the e-mail notifications: ") + string.Join("; ", changes)
              + (Options.Test ? "; then send a test message" : "");
        if (!host.ShouldProcess($"CrmSync profile '{profile.Name}' ({store.DatabasePath})", action))
            return;
        cancellationToken.ThrowIfCancellationRequested();

        if (current is null || changes.Count > 0)
        {
            NotificationSetup.Save(store, settings);
            if (Options.SmtpPassword is not null)
            {
                _secrets.Save(profile.Name, Options.SmtpPassword.Span);
                host.WriteVerbose($"Saved the SMTP password for the current user, encrypted ({_secrets.Protection}).");
            }
            else if (Options.RemoveCredential && _secrets.Delete(profile.Name))
            {
                host.WriteVerbose("Forgot the saved SMTP password.");
            }
            Saved = true;
            host.WriteVerbose($"Saved the notification settings of profile '{profile.Name}'.");
        }
        if (!settings.IsComplete)
            host.WriteWarning("No mail can be sent yet: give " + (settings.SmtpServer is null ? ShellAction.SetNotification.With(ActionParameter.SmtpServer, "<host>").ToString() : "") +
                              (settings.SmtpServer is null && settings.Recipients.Count == 0 ? " and " : "") +
                              (settings.Recipients.Count == 0 ? ShellAction.SetNotification.With(ActionParameter.Recipient, "<address>").ToString() : "") + ". Events are recorded meanwhile and sent once it is complete.");

        string? response = null;
        if (Options.Test)
        {
            try
            {
                response = await NotificationSetup.SendTestAsync(store, profile.Name, settings, _secrets, cancellationToken).ConfigureAwait(false);
                host.WriteVerbose($"The SMTP server accepted the test message: {response}");
            }
            catch (CrmSyncException e) when (e.ErrorId is ErrorIds.NotificationSendFailed or ErrorIds.NotificationNotConfigured)
            {
                host.WriteError(e);
            }
        }
        host.WriteObject(NotificationSetup.Describe(store, profile.Name, _secrets, response));
    }

    private NotificationSettings Merge(NotificationSettings current)
    {
        var tls = Options.TlsMode ?? current.TlsMode;
        return current with
        {
            Recipients = Options.Recipients is { } recipients
                ? recipients.Select(r => NotificationSetup.NormalizeAddress(r, "recipient")).Distinct(StringComparer.OrdinalIgnoreCase).ToList()
                : current.Recipients,
            SmtpServer = Options.SmtpServer?.Trim() ?? current.SmtpServer,
            // a new TLS mode without a port moves to that mode's default port
            Port = Options.Port ?? (Options.TlsMode is not null && Options.TlsMode != current.TlsMode ? null : current.Port),
            TlsMode = tls,
            SmtpUserName = Options.RemoveCredential ? null : Options.SmtpUserName ?? current.SmtpUserName,
            Sender = Options.Sender is { } sender ? NotificationSetup.NormalizeAddress(sender, "sender") : current.Sender,
            Events = Options.Events ?? current.Events,
            TroubleThreshold = Options.TroubleThreshold ?? current.TroubleThreshold,
            Timeout = Options.Timeout ?? current.Timeout,
            TrustedCertificatePath = Options.TrustedCertificatePath is { } path
                ? (path.Length == 0 ? null : Path.GetFullPath(path))
                : current.TrustedCertificatePath,
        };
    }

    private List<string> Describe(NotificationSettings? before, NotificationSettings after)
    {
        var old = before ?? new NotificationSettings();
        var changes = new List<string>();
        void Note(bool changed, string text)
        {
            if (changed || before is null)
                changes.Add(text);
        }
        Note(!old.Recipients.SequenceEqual(after.Recipients), "recipients " + (after.Recipients.Count == 0 ? "(none)" : string.Join(", ", after.Recipients)));
        Note(old.SmtpServer != after.SmtpServer || old.EffectivePort != after.EffectivePort || old.TlsMode != after.TlsMode,
            string.Create(CultureInfo.InvariantCulture, $"server {after.SmtpServer ?? "(none)"}:{after.EffectivePort} ({after.TlsMode})"));
        if (Options.SmtpPassword is not null || Options.RemoveCredential || old.SmtpUserName != after.SmtpUserName)
            changes.Add(after.SmtpUserName is null ? "no SMTP authentication" : $"SMTP user {after.SmtpUserName} (password saved encrypted)");
        Note(old.EffectiveSender != after.EffectiveSender, "sender " + after.EffectiveSender);
        Note(old.Events != after.Events, "events " + after.Events);
        Note(old.TroubleThreshold != after.TroubleThreshold,
            string.Create(CultureInfo.InvariantCulture, $"trouble after {after.TroubleThreshold} consecutive failed cycles"));
        Note(old.Timeout != after.Timeout, string.Create(CultureInfo.InvariantCulture, $"timeout {after.Timeout.TotalSeconds:0} s"));
        if (old.TrustedCertificatePath != after.TrustedCertificatePath)
            changes.Add(after.TrustedCertificatePath is null ? "no extra trusted certificate" : "trust the certificate in " + after.TrustedCertificatePath);
        return changes;
    }
}
