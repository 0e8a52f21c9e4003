using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Gets the conflict journal of a CrmSync profile: fields changed both locally and in the CRM within one sync cycle.</summary>
/// <remarks>
/// <para>When the same field of the same record changed on both sides between two cycles, Start-CrmSync resolves the
/// collision by the field's mapping rule, or by Marketo's default: a Lead's local change wins, a Contact's CRM value wins,
/// and one-way objects always take the CRM's value. Every collision is journaled with both values, the winner and the rule
/// that decided.</para>
/// <para>Get-CrmSyncConflict lists the journal newest first, filtered by -Object and -Field (wildcards), -RunId, -Since and
/// -Last. Pipe a Start-CrmSync result into it to see the collisions of that run. Reads only.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <input cref="CrmSync.Engine.Sync.SyncRunResult">A piped Start-CrmSync result also binds RunId: only the collisions of that run are listed.</input>
/// <output cref="CrmSyncConflictInfo">One collision: Profile, Id, OccurredAt, RunId, Object, CrmId, LocalKey, Field,
/// LocalValue, CrmValue, Winner (Local or Crm) and Rule.</output>
/// <example>
/// <title>Collisions on the e-mail address of leads</title>
/// <code>
/// PS&gt; Get-CrmSyncConflict -Profile prod -Object Lead -Field Email
/// </code>
/// <para>Lists when a lead's e-mail address was changed on both sides, both values and which one won.</para>
/// </example>
/// <example>
/// <title>The collisions of the cycle that just ran</title>
/// <code>
/// PS&gt; Start-CrmSync -Profile prod | Get-CrmSyncConflict
/// </code>
/// <para>Runs one cycle and lists only the collisions of that run (RunId and Profile bind from the result).</para>
/// </example>
/// <example>
/// <title>The last day's collisions, counted per field</title>
/// <code>
/// PS&gt; Get-CrmSyncConflict -Since (Get-Date).AddDays(-1) | Group-Object Object, Field | Sort-Object Count -Descending
/// </code>
/// <para>Shows which fields collide most often: candidates for a different mapping rule.</para>
/// </example>
/// <seealso cref="StartCrmSyncCommand"/>
/// <seealso cref="SetCrmFieldMappingCommand"/>
/// <seealso cref="GetCrmSyncErrorCommand"/>
[Cmdlet(VerbsCommon.Get, "CrmSyncConflict", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmSyncConflictInfo))]
public sealed class GetCrmSyncConflictCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Only collisions of these CRM objects (Lead, Contact, ...) or wildcard patterns. None lists every object.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Object { get; set; }

    /// <summary>Only collisions of these CRM API field names or wildcard patterns. None lists every field.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Field { get; set; }

    /// <summary>Only collisions of this sync run (the RunId of a Start-CrmSync result; binds from a piped one).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1L, long.MaxValue)]
    public long? RunId { get; set; }

    /// <summary>Only collisions that occurred at or after this time.</summary>
    [Parameter]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Only the newest N collisions (after the other filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.GetConflicts(new GetSyncConflictOptions
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
