using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Notifications;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Gets the e-mail notification settings and state of a CrmSync profile.</summary>
/// <remarks>
/// <para>Writes the recipients, SMTP server, port, TLS mode, SMTP user name, whether an SMTP password is saved (never the
/// password), the sender, the events that are mailed, the trouble threshold, the timeout and the extra trusted
/// certificate, with the number of mails waiting, when a mail was last sent and the last sending error. A profile without
/// notification settings gives an object with Configured set to $false. It only reads.</para>
/// <para>Notifications are set with Set-CrmSyncNotification (or Start-CrmSync -NotifyEmail on the first start). The same
/// state appears in the Notification property of Get-CrmSyncStatus. The SMTP password is kept encrypted for the current
/// user in the data folder, never in the profile's database. An unknown profile is a terminating ProfileNotFound
/// error.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus or Connect-CrmSync.</input>
/// <output cref="NotificationInfo">The profile's notification settings (no password), pending mails and last error.</output>
/// <example>
/// <title>See where a profile's notifications go</title>
/// <code>
/// PS&gt; Get-CrmSyncNotification -Profile marketing
/// </code>
/// <para>Shows where the notifications of the profile 'marketing' go and whether the last mail could be sent.</para>
/// </example>
/// <example>
/// <title>Every setting of a profile, from its status</title>
/// <code>
/// PS&gt; Get-CrmSyncStatus -Profile marketing | Get-CrmSyncNotification | Format-List *
/// </code>
/// <para>A pipeline: the profile is bound by property name from the status object.</para>
/// </example>
/// <seealso cref="SetCrmSyncNotificationCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
[Cmdlet(VerbsCommon.Get, "CrmSyncNotification", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(NotificationInfo))]
public sealed class GetCrmSyncNotificationCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.GetNotification(
            new GetNotificationOptions { Profile = Profile, DatabasePath = ResolvedDatabasePath }));
}
