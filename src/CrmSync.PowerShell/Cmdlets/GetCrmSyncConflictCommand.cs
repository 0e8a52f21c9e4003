using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the conflict journal of a CrmSync profile: fields changed on both sides within one cycle.</para>
/// <para type="description">Each collision with both values, the winner and the rule that decided (Marketo's default: a
/// Lead's local change wins, a Contact's CRM value wins, one-way objects always take the CRM's), newest first, filtered by
/// object and field (wildcards), run and time. Reads only.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CrmSyncConflict", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmSyncConflictInfo))]
public sealed class GetCrmSyncConflictCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>CRM object names or wildcard patterns; none lists all.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Object { get; set; }

    /// <summary>CRM field names or wildcard patterns; none lists all.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Field { get; set; }

    /// <summary>Only collisions of this sync run (binds from a piped Start-CrmSync result).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1L, long.MaxValue)]
    public long? RunId { get; set; }

    /// <summary>Only collisions at or after this time.</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Only the newest N collisions.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(GetSyncConflictCommand.ForEnvironment(Environment.GetEnvironmentVariable, new GetSyncConflictOptions
        {
            Profile = Profile,
            DatabasePath = ResolvedDatabasePath,
            Object = Object ?? [],
            Field = Field ?? [],
            RunId = RunId,
            Since = Since,
            Last = Last,
        }));
}
