using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Store;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Gets the sync errors of a CrmSync profile: records the CRM rejected and runs that failed.</summary>
/// <remarks>
/// <para>Record-level errors are records a cycle could not push or pull (with the CRM's error code and message, the
/// operation, the local key and CRM id and the number of attempts); job-level errors are whole runs that failed (with the
/// run's ErrorId). They are listed newest first; an error that a later attempt resolved is left out unless
/// -IncludeResolved is given. Filter with -Object (wildcards), -Level, -RunId, -Since and -Last; pipe a Start-CrmSync result
/// into it to see the errors of that run.</para>
/// <para>Errors are kept 5 days by default. -Purge first deletes the errors older than -Retention, after ShouldProcess
/// (ConfirmImpact Low, so it asks only when $ConfirmPreference is Low; -WhatIf shows how many would go), then lists. Without
/// -Purge the cmdlet only reads; -Retention without -Purge is refused with ErrorId InvalidArgument.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <input cref="CrmSync.Engine.Sync.SyncRunResult">A piped Start-CrmSync result also binds RunId: only the errors of that run are listed.</input>
/// <output cref="CrmSyncErrorInfo">One error: Profile, Id, OccurredAt, Level (Record or Job), Object, LocalKey, CrmId,
/// Operation, ErrorId, CrmErrorCode, Message, Attempts, RunId, Resolved and ResolvedAt.</output>
/// <example>
/// <title>The newest record errors</title>
/// <code>
/// PS&gt; Get-CrmSyncError -Profile prod -Level Record -Last 20
/// </code>
/// <para>The 20 newest records the CRM rejected, with its error code and message.</para>
/// </example>
/// <example>
/// <title>The errors of the cycle that just ran</title>
/// <code>
/// PS&gt; Start-CrmSync -Profile prod | Get-CrmSyncError
/// </code>
/// <para>Runs one cycle and lists the errors of that run only.</para>
/// </example>
/// <example>
/// <title>Purge errors older than a week, after a preview</title>
/// <code>
/// PS&gt; Get-CrmSyncError -Profile prod -Purge -Retention 7.00:00:00 -WhatIf
/// PS&gt; Get-CrmSyncError -Profile prod -Purge -Retention 7.00:00:00
/// </code>
/// <para>The first command says how many errors would be deleted and deletes nothing; the second deletes them and lists the
/// errors that remain.</para>
/// </example>
/// <seealso cref="StartCrmSyncCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
/// <seealso cref="GetCrmSyncConflictCommand"/>
[Cmdlet(VerbsCommon.Get, "CrmSyncError", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmSyncErrorInfo))]
public sealed class GetCrmSyncErrorCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Only errors about these CRM objects or wildcard patterns (Lead, Camp*). None lists all, including job-level errors about a whole run.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Object { get; set; }

    /// <summary>Which errors: Record (a record the CRM rejected), Job (a failed run) or All.</summary>
    /// <default>All</default>
    [Parameter]
    public SyncErrorLevelFilter Level { get; set; } = SyncErrorLevelFilter.All;

    /// <summary>Only errors that occurred at or after this time (a DateTime or DateTimeOffset).</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Only errors of this sync run (the RunId of a Start-CrmSync result; binds from a piped one).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1L, long.MaxValue)]
    public long? RunId { get; set; }

    /// <summary>Also lists errors that a later attempt resolved (Resolved, ResolvedAt).</summary>
    [Parameter]
    public SwitchParameter IncludeResolved { get; set; }

    /// <summary>Only the newest N errors (after the other filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    /// <summary>Deletes the errors older than -Retention before listing, after ShouldProcess (ConfirmImpact Low; -WhatIf deletes nothing).</summary>
    [Parameter]
    public SwitchParameter Purge { get; set; }

    /// <summary>With -Purge: how long errors are kept; older ones are deleted. A TimeSpan such as 7.00:00:00 (7 days). Only valid together with -Purge.</summary>
    /// <default>5.00:00:00 (5 days)</default>
    [Parameter]
    public TimeSpan Retention { get; set; } = SyncErrorLog.DefaultRetention;

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        RunHandler(Handlers.GetErrors(new GetSyncErrorOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Object = Object ?? [],
            Level = Level,
            Since = Since,
            RunId = RunId,
            IncludeResolved = IncludeResolved.IsPresent,
            Last = Last,
            Purge = Purge.IsPresent,
            Retention = MyInvocation.BoundParameters.ContainsKey(nameof(Retention)) ? Retention : null,
        }));
    }
}
