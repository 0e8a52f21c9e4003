using CrmSync.Engine.Store;

namespace CrmSync.Engine.Reports;

/// <summary>
/// One collision from the conflict journal, as Get-CrmSyncConflict and <c>crmsync conflict</c> show it: the same field
/// changed locally and in the CRM within one cycle; <see cref="Winner"/> says whose value was kept and <see cref="Rule"/> why.
/// </summary>
public sealed record CrmSyncConflictInfo
{
    /// <summary>The profile the conflict belongs to (binds to -Profile down the pipeline).</summary>
    public required string Profile { get; init; }
    /// <summary>The journal id.</summary>
    public required long Id { get; init; }
    /// <summary>When the collision was resolved (UTC).</summary>
    public required DateTimeOffset OccurredAt { get; init; }
    /// <summary>The sync run (cycle) it happened in, when known.</summary>
    public long? RunId { get; init; }
    /// <summary>The CRM object (Lead, Contact, CampaignMember, ...).</summary>
    public required string Object { get; init; }
    /// <summary>The CRM id of the record, when it has one.</summary>
    public string? CrmId { get; init; }
    /// <summary>The local row key of the record, when known.</summary>
    public string? LocalKey { get; init; }
    /// <summary>The CRM field name.</summary>
    public required string Field { get; init; }
    /// <summary>The local value at the time of the collision.</summary>
    public string? LocalValue { get; init; }
    /// <summary>The CRM's value at the time of the collision.</summary>
    public string? CrmValue { get; init; }
    /// <summary>Whose value was kept.</summary>
    public required ConflictWinner Winner { get; init; }
    /// <summary>The rule that decided (e.g. the Marketo default for a Lead, or the field mapping's own rule).</summary>
    public required string Rule { get; init; }
}
