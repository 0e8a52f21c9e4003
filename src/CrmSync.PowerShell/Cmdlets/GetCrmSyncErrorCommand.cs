using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Store;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the record-level and job-level sync errors of a CrmSync profile.</para>
/// <para type="description">Newest first, filtered by object (wildcards), level, time, run and resolution. Reads only,
/// unless -Purge is given: then errors older than -Retention (default 5 days) are deleted first, after ShouldProcess
/// (ConfirmImpact Low; -WhatIf shows how many). Piping a Start-CrmSync result lists the errors of that run.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CrmSyncError", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmSyncErrorInfo))]
public sealed class GetCrmSyncErrorCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>CRM object names or wildcard patterns (Lead, Camp*); none lists all, including errors about a whole run.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Object { get; set; }

    /// <summary>Record, Job or All.</summary>
    [Parameter]
    public SyncErrorLevelFilter Level { get; set; } = SyncErrorLevelFilter.All;

    /// <summary>Only errors that occurred at or after this time.</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Only errors of this sync run (binds from a piped Start-CrmSync result).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1L, long.MaxValue)]
    public long? RunId { get; set; }

    /// <summary>Also list errors that a later attempt resolved.</summary>
    [Parameter]
    public SwitchParameter IncludeResolved { get; set; }

    /// <summary>Only the newest N errors.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    /// <summary>Delete errors older than -Retention before listing (ShouldProcess).</summary>
    [Parameter]
    public SwitchParameter Purge { get; set; }

    /// <summary>With -Purge: how long errors are kept (default 5 days).</summary>
    [Parameter]
    public TimeSpan Retention { get; set; } = SyncErrorLog.DefaultRetention;

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Retention)) && !Purge.IsPresent)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                "-Retention only applies together with -Purge.", "Add -Purge to delete errors older than -Retention, or leave -Retention out.", Retention);
        RunHandler(GetSyncErrorCommand.ForEnvironment(Environment.GetEnvironmentVariable, new GetSyncErrorOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Object = Object ?? [],
            Level = Level,
            Since = Since,
            RunId = RunId,
            IncludeResolved = IncludeResolved.IsPresent,
            Last = Last,
            PurgeOlderThan = Purge.IsPresent ? Retention : null,
        }));
    }
}
