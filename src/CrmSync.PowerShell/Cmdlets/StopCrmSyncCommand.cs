using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Sync;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Disables the persistent sync of a CrmSync profile, so a running continuous sync ends after its current cycle.</summary>
/// <remarks>
/// <para>Stop-CrmSync marks the profile's sync as disabled in its database. A continuous sync (Start-CrmSync -Continuous)
/// in this or another session or process notices it after its current cycle or at its next wake-up and ends; the cycle in
/// flight is not interrupted (to interrupt it, press Ctrl+C in the session that runs it). Start-CrmSync enables the sync
/// again.</para>
/// <para>Writes the profile's status afterwards (Enabled is $false). Supports -WhatIf and -Confirm (ConfirmImpact Medium);
/// -WhatIf or a declined confirmation changes and writes nothing. An unknown profile is a terminating ProfileNotFound
/// error.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="SyncStatus">The profile's status after the stop, with Enabled $false.</output>
/// <example>
/// <title>Stop the continuous sync of a profile</title>
/// <code>
/// PS&gt; Stop-CrmSync -Profile prod
/// </code>
/// <para>The Start-CrmSync -Continuous running for 'prod', in any session, ends after its current cycle.</para>
/// </example>
/// <example>
/// <title>Stop every profile that is syncing</title>
/// <code>
/// PS&gt; 'prod', 'uat' | ForEach-Object { Get-CrmSyncStatus -Profile $_ } | Where-Object Enabled | Stop-CrmSync -WhatIf
/// </code>
/// <para>A pipeline: shows which profiles would be stopped; remove -WhatIf to stop them.</para>
/// </example>
/// <seealso cref="StartCrmSyncCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
[Cmdlet(VerbsLifecycle.Stop, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(SyncStatus))]
public sealed class StopCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.Stop(
            new StopSyncOptions { Profile = Profile, DatabasePath = ResolvedDatabasePath }));
}
