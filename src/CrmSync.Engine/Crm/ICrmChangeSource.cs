namespace CrmSync.Engine.Crm;

/// <summary>
/// One record read from the CRM. <see cref="Values"/> holds every returned field by its API name, converted by the
/// field's <see cref="CrmFieldType"/> to one of: <c>null</c>, <see cref="string"/> (text, ids, references, picklists;
/// multi-select picklists as the CRM's ';'-separated text; compound values as their JSON text), <see cref="bool"/>,
/// <see cref="long"/> (Integer, Long), <see cref="decimal"/> (Double, Currency, Percent; <see cref="double"/> only when a value
/// does not fit a decimal), <see cref="DateTimeOffset"/> (DateTime, always UTC), <see cref="DateOnly"/> (Date) or
/// <see cref="TimeOnly"/> (Time). See <see cref="CrmValueConverter"/>.
/// </summary>
/// <param name="ModifiedAt">The modification stamp (the object's modification stamp field) when the object has one.</param>
/// <param name='IsDeleted'>True for a record deleted in the CRM (a deleted flag read with the changes, or a delta's deleted entity).</param>
/// <param name="MergedIntoId">For a record deleted by a merge, the id of the winner, when the CRM says so.</param>
public sealed record CrmRecord(
    string ObjectName,
    string Id,
    DateTimeOffset? ModifiedAt,
    bool IsDeleted,
    string? MergedIntoId,
    IReadOnlyDictionary<string, object?> Values)
{
    /// <summary>
    /// For a lead converted in the CRM, the id of the contact it became, when the CRM says so; null otherwise. Each adapter
    /// fills it from its own fields (<see cref="CrmObjectSchema.ConvertedIntoFields"/>), so the pull never reads them by name.
    /// </summary>
    public string? ConvertedIntoId { get; init; }

    /// <summary>
    /// For a record the CRM created by converting a lead (the contact of a Dynamics QualifyLead, which names its lead in
    /// originatingleadid), the id of that lead; null otherwise. With <see cref="ConvertedIntoId"/> it lets a pull that sees
    /// the new record before the converted lead still keep one person. Salesforce leaves it null (its contact does not name
    /// the lead; the lead's <see cref="ConvertedIntoId"/> says it).
    /// </summary>
    public string? ConvertedFromId { get; init; }

    /// <summary>
    /// True when the CRM says the record's last change was made by the signed-in sync user (Dynamics: modifiedby equals the
    /// WhoAmI UserId), so the pull does not treat CrmSync's own pushed writes as CRM changes (no echo). The Salesforce adapter
    /// leaves it false.
    /// </summary>
    public bool ModifiedBySyncUser { get; init; }
}

/// <summary>
/// An opaque, serialisable incremental position for one object: Salesforce the (stamp, id) of the last record
/// applied; Dynamics the delta link. Store <see cref="Value"/> and give it back with <see cref="Parse"/>.
/// </summary>
public sealed record CrmWatermark(string Value)
{
    public static CrmWatermark Parse(string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("A watermark cannot be empty.", nameof(value)) : new CrmWatermark(value);

    public override string ToString() => Value;
}

/// <summary>One page of records, ordered as the CRM returned them.</summary>
/// <param name="Cursor">Serialisable position right after this page: give it back as a ResumeCursor to continue after a crash.
/// Commit it in the same transaction as the page's records.</param>
/// <param name="Watermark">The incremental watermark that is valid once this page is applied, or null when none is valid yet
/// (an initial bulk copy only has one on its last page).</param>
/// <param name="HasMore">False on the last page of the read.</param>
/// <param name="TotalEstimate">The CRM's count of matching records, when it tells.</param>
public sealed record CrmRecordPage(
    string ObjectName,
    IReadOnlyList<CrmRecord> Records,
    string Cursor,
    CrmWatermark? Watermark,
    bool HasMore,
    long? TotalEstimate);

/// <summary>How an initial full copy reads an object.</summary>
public enum CrmFullReadStrategy
{
    /// <summary>Bulk when the object's record count is at or above the threshold, paged queries below it.</summary>
    Auto,
    /// <summary>The CRM's bulk/asynchronous query API (Salesforce Bulk API 2.0).</summary>
    Bulk,
    /// <summary>Paged queries ordered by the modification stamp and id.</summary>
    Paged,
}

/// <summary>A full copy of one object, resumable from <see cref="ResumeCursor"/>.</summary>
/// <param name="Fields">The fields to read (checked against <paramref name="Object"/>); the id, stamp and delete fields are always added.</param>
public sealed record CrmFullReadRequest(CrmObjectSchema Object, IReadOnlyList<string> Fields)
{
    /// <summary>The <see cref="CrmRecordPage.Cursor"/> of the last committed page, or null to start.</summary>
    public string? ResumeCursor { get; init; }

    public CrmFullReadStrategy Strategy { get; init; } = CrmFullReadStrategy.Auto;

    /// <summary>Record count from which <see cref="CrmFullReadStrategy.Auto"/> uses the bulk API.</summary>
    public long BulkThreshold { get; init; } = 50_000;

    /// <summary>Records per page for paged queries (Salesforce: 200..2000).</summary>
    public int PageSize { get; init; } = 2000;

    /// <summary>Records per page for bulk results.</summary>
    public int BulkPageSize { get; init; } = 50_000;
}

/// <summary>An incremental read of one object: records changed (and deleted, when asked) since a watermark.</summary>
public sealed record CrmChangeReadRequest(CrmObjectSchema Object, IReadOnlyList<string> Fields)
{
    /// <summary>The last committed watermark; null reads everything (ordered, resumable).</summary>
    public CrmWatermark? Since { get; init; }

    /// <summary>Continue exactly after this page cursor (no overlap), e.g. when <see cref="CrmRecordPage.HasMore"/> was true.</summary>
    public string? ResumeCursor { get; init; }

    /// <summary>How far before the watermark to look again, for clock skew and commit lag (records are then seen twice; applying twice is harmless).</summary>
    public TimeSpan Overlap { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Records per page (Salesforce: 200..2000).</summary>
    public int PageSize { get; init; } = 2000;

    /// <summary>Also return deleted records (<see cref="CrmRecord.IsDeleted"/>), where the CRM can.</summary>
    public bool IncludeDeleted { get; init; } = true;
}

/// <summary>The first page of one object's changes from a batched read; <see cref="Error"/> when that object's query failed.</summary>
public sealed record CrmChangeBatchItem(CrmChangeReadRequest Request, CrmRecordPage? Page, CrmSyncException? Error);

/// <summary>A record the CRM reports as deleted.</summary>
public sealed record CrmDeletedRecord(string Id, DateTimeOffset DeletedAt);

/// <summary>Deletions in a time window.</summary>
/// <param name="EarliestAvailable">The oldest point the CRM's delete log still covers; later than the requested start means deletions may have been missed (do a full resync).</param>
/// <param name="LatestCovered">Use as the next start.</param>
public sealed record CrmDeletionResult(
    string ObjectName,
    IReadOnlyList<CrmDeletedRecord> Records,
    DateTimeOffset? EarliestAvailable,
    DateTimeOffset? LatestCovered,
    DateTimeOffset RequestedStart)
{
    public bool MayHaveMissedDeletions => EarliestAvailable is { } e && e > RequestedStart;
}

/// <summary>What a change source can do; the pull plans its passes from it.</summary>
/// <param name="DeletionsInChanges">True when a change read returns every deletion (a delta's deleted entities) whether or not the
/// object has a deleted flag; false when only objects with a <see cref="CrmObjectSchema.DeletedFlagField"/> report deletions in
/// their changes.</param>
/// <param name="DeleteLogRetention">How far back the CRM's delete log reaches (<see cref="ICrmChangeSource.ReadDeletionsAsync"/>), or
/// null when it has none: the pull then runs no delete-log pass.</param>
/// <param name="HasBulkReads">True when a full read can use the CRM's bulk query API (<see cref="CrmFullReadStrategy.Bulk"/>); without it
/// the pull always asks for paged reads.</param>
/// <param name="UsageHeader">The response header the CRM reports its API usage in, or null.</param>
public sealed record CrmChangeCapabilities(bool DeletionsInChanges, TimeSpan? DeleteLogRetention, bool HasBulkReads, string? UsageHeader)
{
    /// <summary>The page size the pull asks for when the sync options keep their default (Dataverse: 5000, its maximum); null: the options'.</summary>
    public int? PreferredPageSize { get; init; }
}

/// <summary>
/// Reads records out of the CRM: a resumable initial copy, incremental changes since a watermark,
/// several objects' changes in one call, deletions, and counts.
/// </summary>
public interface ICrmChangeSource
{
    /// <summary>Streams a full copy, page by page. Resume with the last committed page's <see cref="CrmRecordPage.Cursor"/>.</summary>
    IAsyncEnumerable<CrmRecordPage> ReadAllAsync(CrmFullReadRequest request, CancellationToken cancellationToken);

    /// <summary>Streams records changed since <see cref="CrmChangeReadRequest.Since"/>; each page carries the new watermark.</summary>
    IAsyncEnumerable<CrmRecordPage> ReadChangesAsync(CrmChangeReadRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the first page of changes for many objects in as few calls as the CRM allows (Salesforce: one composite call
    /// per 25 objects), so an idle cycle costs one or two API calls. Continue an item whose page has more with
    /// <see cref="ReadChangesAsync"/> and <see cref="CrmChangeReadRequest.ResumeCursor"/> = the page's cursor.
    /// </summary>
    Task<IReadOnlyList<CrmChangeBatchItem>> ReadChangesBatchAsync(IReadOnlyList<CrmChangeReadRequest> requests, CancellationToken cancellationToken);

    /// <summary>How many objects one call of <see cref="ReadChangesBatchAsync"/> reads at most (Salesforce: 25 per composite call; Dynamics: 100 per $batch).</summary>
    int MaxObjectsPerBatchedRead { get; }

    /// <summary>What this source can do: where deletions come from, bulk reads, the usage header. The pull asks instead of assuming.</summary>
    CrmChangeCapabilities Capabilities { get; }

    /// <summary>
    /// Records deleted since <paramref name="since"/>, from the CRM's delete log (only when <see cref="CrmChangeCapabilities.DeleteLogRetention"/>
    /// is set; it reaches back that far at most).
    /// </summary>
    Task<CrmDeletionResult> ReadDeletionsAsync(string objectName, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>How many records the object has (not counting deleted ones).</summary>
    Task<long> EstimateCountAsync(string objectName, CancellationToken cancellationToken);
}
