using CrmSync.Engine.Store;

namespace CrmSync.Engine.Reports;

/// <summary>Which error levels Get-CrmSyncError lists.</summary>
public enum SyncErrorLevelFilter
{
    /// <summary>Record- and job-level errors.</summary>
    All,
    /// <summary>Only errors about one record (a push the CRM rejected, a pulled value that does not fit).</summary>
    Record,
    /// <summary>Only errors about a whole job (an object's pull, a phase, a run).</summary>
    Job,
}

/// <summary>
/// One sync error as Get-CrmSyncError and <c>crmsync error</c> show it. <see cref="Message"/> never contains secrets
/// (the store refuses none, but nothing in CrmSync writes one there).
/// </summary>
public sealed record CrmSyncErrorInfo
{
    /// <summary>The profile the error belongs to (binds to -Profile down the pipeline).</summary>
    public required string Profile { get; init; }
    /// <summary>The error's id in the profile's error log.</summary>
    public required long Id { get; init; }
    /// <summary>When the error happened (UTC).</summary>
    public required DateTimeOffset OccurredAt { get; init; }
    /// <summary>Record or Job.</summary>
    public required SyncErrorLevel Level { get; init; }
    /// <summary>The CRM object (Lead, Contact, ...), or null for an error about the whole run.</summary>
    public string? Object { get; init; }
    /// <summary>The local row key of the record, when known.</summary>
    public string? LocalKey { get; init; }
    /// <summary>The CRM id of the record, when known.</summary>
    public string? CrmId { get; init; }
    /// <summary>What was being done (PullUpdates, PushNew, ...), when known.</summary>
    public string? Operation { get; init; }
    /// <summary>CrmSync's catalogued error id (see <see cref="ErrorIds"/>).</summary>
    public required string ErrorId { get; init; }
    /// <summary>The CRM's own error code (e.g. FIELD_CUSTOM_VALIDATION_EXCEPTION), when the CRM gave one.</summary>
    public string? CrmErrorCode { get; init; }
    /// <summary>What went wrong.</summary>
    public required string Message { get; init; }
    /// <summary>How many times the operation was tried.</summary>
    public required int Attempts { get; init; }
    /// <summary>The sync run (cycle) the error happened in, when known.</summary>
    public long? RunId { get; init; }
    /// <summary>True once a later attempt succeeded.</summary>
    public required bool Resolved { get; init; }
    /// <summary>When it was resolved, or null.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }
}
