using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Notifications;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the e-mail notification settings and state of a CrmSync profile.</para>
/// <para type="description">Writes the recipients, SMTP server, port, TLS mode, SMTP user name, whether an SMTP password is
/// saved (never the password), the sender, the events that are mailed, the trouble threshold, the timeout and the extra
/// trusted certificate, with the number of mails waiting, when a mail was last sent and the last sending error. A profile
/// without notification settings gives an object with Configured set to False. Reads only.</para>
/// </summary>
/// <remarks>
/// Notifications are set with Set-CrmSyncNotification (or Start-CrmSync -NotifyEmail on the first start). The same state
/// appears in the Notification property of Get-CrmSyncStatus. The SMTP password is kept encrypted for the current user in the
/// data folder, never in the profile's database.
/// </remarks>
/// <example>
/// <code>Get-CrmSyncNotification -Profile marketing</code>
/// <para>Shows where the notifications of the profile 'marketing' go and whether the last mail could be sent.</para>
/// </example>
/// <example>
/// <code>Get-CrmSyncStatus | Get-CrmSyncNotification | Format-List *</code>
/// <para>Shows every notification setting of the profile whose status was read, bound by property name.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CrmSyncNotification", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(NotificationInfo))]
public sealed class GetCrmSyncNotificationCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(GetNotificationCommand.ForEnvironment(Environment.GetEnvironmentVariable,
            new GetNotificationOptions { Profile = Profile, DatabasePath = ResolvedDatabasePath }));
}
