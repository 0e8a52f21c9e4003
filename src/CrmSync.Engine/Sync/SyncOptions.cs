using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>How a sync cycle reads the CRM and how often its slower passes run. The defaults suit production.</summary>
public sealed record SyncOptions
{
    /// <summary>Who started the cycle, recorded in the run history, e.g. "Start-CrmSync", "crmsync start", "schedule".</summary>
    public string TriggeredBy { get; init; } = "Start-CrmSync";

    /// <summary>
    /// True when the caller (Start-CrmSync) turns sync on again for a profile that Stop-CrmSync disabled. False makes a
    /// disabled profile fail with <see cref="ErrorIds.SyncDisabled"/>.
    /// </summary>
    public bool EnableSync { get; init; } = true;

    /// <summary>How the initial copy reads an object (Auto: bulk at or above <see cref="BulkThreshold"/> records).</summary>
    public CrmFullReadStrategy InitialStrategy { get; init; } = CrmFullReadStrategy.Auto;

    /// <summary>
    /// Record count from which the initial copy uses the CRM's bulk API. An incremental read switches to it from the lower of
    /// this and <see cref="IncrementalBulkChanges"/> changes (see <see cref="IncrementalBulkThreshold"/>).
    /// </summary>
    public long BulkThreshold { get; init; } = 50_000;

    /// <summary>
    /// Number of changes of one object from which an incremental read uses the CRM's bulk API (where the CRM's client offers
    /// it, <see cref="ICrmBulkChangeSource"/>; not with <see cref="InitialStrategy"/> Paged), unless <see cref="BulkThreshold"/>
    /// is lower.
    /// </summary>
    public long IncrementalBulkChanges { get; init; } = 10_000;

    /// <summary>The number of changes of one object from which an incremental read uses the bulk API: the lower of <see cref="BulkThreshold"/> and <see cref="IncrementalBulkChanges"/>.</summary>
    public long IncrementalBulkThreshold => Math.Min(BulkThreshold, IncrementalBulkChanges);

    /// <summary>The default of <see cref="PageSize"/>.</summary>
    public const int DefaultPageSize = 2000;

    /// <summary>Records per page of paged queries (Salesforce: 200..2000). Left at the default, a change source with a
    /// preferred page size (<see cref="Crm.CrmChangeCapabilities.PreferredPageSize"/>, Dataverse 5000) uses that.</summary>
    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>Records per page of bulk results.</summary>
    public int BulkPageSize { get; init; } = 10_000;

    /// <summary>
    /// True (the default): an initial copy and an incremental bulk read write bulk results from the CRM's rows of UTF-8 fields
    /// straight into their statements (INSERT, or UPDATE of a known row), where the CRM's client offers them
    /// (<see cref="ICrmBulkRowSource"/>, <see cref="ICrmBulkChangeSource.ReadChangeRowsInBulkAsync"/>); rows that need more
    /// (identity changes, waiting local changes, adoption, the sync filter) go record by record either way. False applies
    /// every row record by record, as every other read does; the stored values are the same either way.
    /// </summary>
    public bool BulkRowWriter { get; init; } = true;

    /// <summary>
    /// True (the default): the first copy of a person table into a table that holds no CRM record yet runs without the
    /// table's email index (<see cref="Schema.PersonIndexes"/>), which is built once from the finished table when the
    /// initial copies of the cycle end (or, after a crash or a cancelled cycle, by the next cycle). Maintained row by row,
    /// that index cost more than half of a large copy's CPU time. False keeps the index throughout.
    /// </summary>
    public bool DeferPersonIndexes { get; init; } = true;

    /// <summary>How far before the watermark incremental reads look again (clock skew, commit lag, equal stamps).</summary>
    public TimeSpan Overlap { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often formula (calculated) fields are re-read, since they change without moving the modification stamp.</summary>
    public TimeSpan FormulaInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often the CRM's delete log is read in addition to the deletions in the changes (when the change source has one).</summary>
    public TimeSpan DeletionLogInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How far back the CRM's delete log reaches: an older last delete pass gets a warning. Null (the default) takes the
    /// change source's own (<see cref="Crm.CrmChangeCapabilities.DeleteLogRetention"/>).
    /// </summary>
    public TimeSpan? DeletionLogRetention { get; init; }

    /// <summary>
    /// How often a cycle compares the CRM's fields with the local catalog (new fields created, vanished ones orphaned);
    /// null never does (run Sync-CrmField by hand). It costs one call per synced object, so keep it slow.
    /// </summary>
    public TimeSpan? SchemaRefreshInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The run lease; a holder that stops heartbeating loses it after this long.</summary>
    public TimeSpan LeaseDuration { get; init; } = RunLock.DefaultLeaseDuration;

    /// <summary>Most record-level warnings of one kind (object and field) written to the error log per cycle.</summary>
    public int MaxRecordWarningsPerField { get; init; } = 100;

    /// <summary>
    /// How long sync errors are kept (Get-CrmSyncError): each successful cycle ends by deleting older ones. Null keeps
    /// them forever.
    /// </summary>
    public TimeSpan? ErrorRetention { get; init; } = SyncErrorLog.DefaultRetention;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(TriggeredBy, nameof(TriggeredBy));
        ArgumentOutOfRangeException.ThrowIfLessThan(BulkThreshold, 0, nameof(BulkThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(IncrementalBulkChanges, 0, nameof(IncrementalBulkChanges));
        ArgumentOutOfRangeException.ThrowIfLessThan(PageSize, 1, nameof(PageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BulkPageSize, 1, nameof(BulkPageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Overlap, TimeSpan.Zero, nameof(Overlap));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FormulaInterval, TimeSpan.Zero, nameof(FormulaInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DeletionLogInterval, TimeSpan.Zero, nameof(DeletionLogInterval));
        if (DeletionLogRetention is { } deleteLog)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(deleteLog, TimeSpan.Zero, nameof(DeletionLogRetention));
        if (SchemaRefreshInterval is { } schema)
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(schema, TimeSpan.Zero, nameof(SchemaRefreshInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LeaseDuration, TimeSpan.Zero, nameof(LeaseDuration));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRecordWarningsPerField, nameof(MaxRecordWarningsPerField));
        if (ErrorRetention is { } retention)
            ArgumentOutOfRangeException.ThrowIfLessThan(retention, TimeSpan.Zero, nameof(ErrorRetention));
    }
}
