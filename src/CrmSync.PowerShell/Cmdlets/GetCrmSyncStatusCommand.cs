using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Sync;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the sync status of a CrmSync profile.</para>
/// <para type="description">State (NotStarted, InProgress, LastSynced, Failed), last success, last error, per object and
/// operation counts, backlogs and API usage, read from the profile's SQLite database. Reads only.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CrmSyncStatus", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(SyncStatus))]
public sealed class GetCrmSyncStatusCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(GetStatusCommand.ForEnvironment(Environment.GetEnvironmentVariable, Profile, ResolvedDatabasePath));
}
