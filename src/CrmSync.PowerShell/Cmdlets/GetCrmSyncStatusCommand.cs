using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Sync;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Gets the sync status of a CrmSync profile.</summary>
/// <remarks>
/// <para>Reads the profile's SQLite database (never the network): the state (NotStarted, InProgress, LastSynced, Failed),
/// whether the persistent sync is enabled, the last success and last run, the last error with its ErrorId, per object and
/// operation counts (New, Updated, Deleted, Failed, Skipped, and Filtered: records the sync filter kept out), the push and pull backlogs, the CRM API usage and, for a
/// continuous sync, the next run.</para>
/// <para>The output carries Profile and DatabasePath, so it can be piped into any other CrmSync cmdlet. An unknown
/// profile is a terminating error with ErrorId ProfileNotFound (category ObjectNotFound) whose recommended action is to run
/// Connect-CrmSync. Reads only.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="SyncStatus">Profile, Crm, State, Enabled, LastSuccess, LastRunStarted, LastError, Counts, PushBacklog,
/// PullBacklog, ApiUsed, ApiMax, NextRun and DatabasePath.</output>
/// <example>
/// <title>The status of a profile</title>
/// <code>
/// PS&gt; Get-CrmSyncStatus -Profile prod | Format-List
/// </code>
/// <para>Shows every property of the 'prod' profile's status.</para>
/// </example>
/// <example>
/// <title>Alert when the last cycle failed</title>
/// <code>
/// PS&gt; $status = Get-CrmSyncStatus -Profile prod
/// PS&gt; if ($status.State -eq 'Failed') { Write-Warning "CrmSync prod: $($status.LastError.ErrorId) $($status.LastError.Message)" }
/// </code>
/// <para>A monitoring script: warns with the ErrorId and message of the last error when the last cycle failed.</para>
/// </example>
/// <example>
/// <title>Sync every profile that is not running</title>
/// <code>
/// PS&gt; 'prod', 'uat' | ForEach-Object { Get-CrmSyncStatus -Profile $_ } | Where-Object State -ne 'InProgress' | Start-CrmSync
/// </code>
/// <para>A pipeline: Profile and DatabasePath of each status bind to Start-CrmSync, which runs one cycle per profile.</para>
/// </example>
/// <seealso cref="StartCrmSyncCommand"/>
/// <seealso cref="GetCrmSyncErrorCommand"/>
[Cmdlet(VerbsCommon.Get, "CrmSyncStatus", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(SyncStatus))]
public sealed class GetCrmSyncStatusCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.Status(Profile, ResolvedDatabasePath));
}
