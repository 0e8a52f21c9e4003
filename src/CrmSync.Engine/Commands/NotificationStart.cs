using CrmSync.Engine.Notifications;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The notification parts of Start-CrmSync, kept out of <see cref="StartSyncCommand"/>.</summary>
internal static class NotificationStart
{
    /// <summary>
    /// Start-CrmSync -NotifyEmail: on the first start (after its confirmation) sets the notification recipients, as Marketo's
    /// Enable Sync dialog asks for an address; the SMTP server comes from Set-CrmSyncNotification. On a later start the
    /// recipients are left alone (a warning points to Set-CrmSyncNotification).
    /// </summary>
    public static void SetRecipients(ICommandHost host, CrmSyncStore store, string profile, IReadOnlyList<string> recipients, bool firstStart)
    {
        if (!firstStart)
        {
            host.WriteWarning($"{ShellParameter.For(ActionParameter.NotifyEmail)} applies to the first start of a profile only; the recipients were not changed. " +
                              $"Use {ShellAction.SetNotification.With(ActionParameter.Recipient)} to change them.");
            return;
        }
        var current = NotificationSetup.Read(store) ?? new NotificationSettings();
        var settings = current with
        {
            Recipients = recipients.Select(r => NotificationSetup.NormalizeAddress(r, ShellParameter.For(ActionParameter.NotifyEmail).ToString())).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
        };
        NotificationSetup.Save(store, settings);
        host.WriteVerbose($"Notifications of profile '{profile}' go to {string.Join(", ", settings.Recipients)}.");
        if (!settings.IsComplete)
            host.WriteWarning($"No SMTP server is set for the notifications yet: run {ShellAction.SetNotification.With(ActionParameter.SmtpServer, "<host>")}. " +
                              "The 'initial sync completed' mail is recorded meanwhile and sent once the server is set.");
    }

    /// <summary>Notifier messages to the host: failures to send as warnings, the rest as verbose.</summary>
    public static Action<bool, string> Reporter(ICommandHost host) => (warning, message) =>
    {
        if (warning)
            host.WriteWarning(message);
        else
            host.WriteVerbose(message);
    };
}
