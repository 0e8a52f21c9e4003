using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Sync;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Disables the persistent sync of a CrmSync profile.</para>
/// <para type="description">A continuous sync (Start-CrmSync -Continuous, in this or another session or process) ends after
/// its current cycle; the cycle in flight is not interrupted. Start-CrmSync enables the sync again. Writes the profile's
/// status afterwards.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(SyncStatus))]
public sealed class StopCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(StopSyncCommand.ForEnvironment(Environment.GetEnvironmentVariable,
            new StopSyncOptions { Profile = Profile, DatabasePath = ResolvedDatabasePath }));
}
