using System.Globalization;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The pull half of a cycle: the initial copy of objects not yet copied, one batched incremental read for the others,
/// the daily delete-log pass and the formula re-pull. Every page is applied in ONE transaction together with its
/// checkpoint, watermark and counts, so a crash loses at most the page in flight and a restart resumes from the last
/// committed page. Cancellation is honoured between pages.
/// </summary>
internal sealed class PullPhase
{
    /// <summary>The watermark stream recording when the CRM's delete log (<see cref="ICrmChangeSource.ReadDeletionsAsync"/>) was last read.</summary>
    public const string DeletedLogStream = "deleted-log";
    /// <summary>The checkpoint phase of a formula re-pull in progress.</summary>
    public const string FormulaPhase = "formula";
    /// <summary>The checkpoint phase filling columns created after an object's initial copy.</summary>
    public const string BackfillPhase = "backfill";

    private readonly SyncCycleContext _context;
    private readonly IReadOnlyList<SyncedObjectPlan> _plans;
    private readonly RecordWarningLog _warnings;
    private readonly CrmSyncStore _store;
    private readonly ICrmChangeSource _source;
    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private CrmApiUsage? _lastUsage;

    private readonly IPullConflictGuard? _guard;
    private readonly string? _personEmailField;

    /// <param name="personEmailField">The CRM's email field of persons (<see cref="Crm.CrmPersonRules.EmailField"/>), which the
    /// person tables' email index is built on; null leaves the secondary indexes alone (<see cref="SyncOptions.DeferPersonIndexes"/>).</param>
    public PullPhase(SyncCycleContext context, IReadOnlyList<SyncedObjectPlan> plans, RecordWarningLog warnings, IPullConflictGuard? guard = null,
        string? personEmailField = null)
    {
        _guard = guard;
        _personEmailField = personEmailField;
        _context = context;
        _plans = plans;
        _warnings = warnings;
        _store = context.Store;
        _source = context.Client.Changes;
        _options = context.Options;
        _time = context.Store.Time;
    }

    /// <summary>CRM calls this phase made, as far as it can tell (one per page, batch chunk, delete-log read).</summary>
    public long LogicalCalls { get; private set; }

    /// <summary>True when the pull stopped early because the API allowance reached its reserve.</summary>
    public bool StoppedAtApiReserve { get; private set; }

    /// <summary>Job-level errors this phase already wrote to the error log (per object), so the run does not log them twice.</summary>
    public HashSet<Exception> RecordedErrors { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Objects whose initial copy completed in this run.</summary>
    public List<string> InitialCopiesCompleted { get; } = [];

    /// <summary>True when the object's initial copy has not completed (no pull watermark yet, or a checkpoint is open).</summary>
    public static bool NeedsInitialCopy(CrmSyncStore store, string objectName) =>
        store.Checkpoints.Read(objectName, CheckpointTable.Initial) is not null
        || store.Watermarks.Read(objectName, WatermarkTable.PullUpdates) is null;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var initial = _plans.Where(p => NeedsInitialCopy(_store, p.ObjectName)).ToList();
        var incremental = _plans.Except(initial).ToList();
        DeferIndexes(initial);
        bool stopped;
        try
        {
            stopped = await InitialCopiesAsync(initial, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RestoreIndexes(cancellationToken, afterFailure: true);
            throw;
        }
        RestoreIndexes(cancellationToken, afterFailure: false);
        if (stopped)
            return;
        // Local edits made while an object was being copied wait in the outbox. Before the push sends them, the changes the
        // CRM made meanwhile are read (one incremental pass), so that an edit of the same field on both sides is a collision
        // decided by the rule, not a silent overwrite of the CRM's value.
        var caughtUp = initial.Where(p => HasWaitingLocalChanges(p.TableName)).ToList();
        if (caughtUp.Count > 0)
            _context.Events.Verbose($"Local changes were made during the initial copy of {string.Join(", ", caughtUp.Select(p => p.ObjectName))}: " +
                                    "reading the CRM's changes of the same time before pushing them.");
        var reads = incremental.Concat(caughtUp).ToList();
        if (reads.Count == 0)
            return;
        await IncrementalAsync(reads, cancellationToken).ConfigureAwait(false);
        if (StoppedAtApiReserve)
            return;
        foreach (var plan in incremental)
        {
            if (_store.Checkpoints.Read(plan.ObjectName, BackfillPhase) is { } backfill)
                await BackfillAsync(plan, backfill, cancellationToken).ConfigureAwait(false);
            if (DeleteLogRetention is not null && IsDue(plan.ObjectName, DeletedLogStream, _options.DeletionLogInterval))
                await DeletionLogAsync(plan, cancellationToken).ConfigureAwait(false);
            if (plan.FormulaFields.Count > 0 && IsDue(plan.ObjectName, WatermarkTable.Formula, _options.FormulaInterval))
                await FormulasAsync(plan, cancellationToken).ConfigureAwait(false);
            if (ReserveReached(plan.ObjectName))
                return;
        }
    }

    private bool HasWaitingLocalChanges(string table) => _store.Outbox.HasWaiting(table);

    /// <summary>The initial copies, in order; true when the API allowance's reserve stopped them.</summary>
    private async Task<bool> InitialCopiesAsync(IReadOnlyList<SyncedObjectPlan> initial, CancellationToken cancellationToken)
    {
        // One bulk connection (and one page cache) for every copy of the cycle: a connection closed after one object and a
        // new one for the next left the first one's cache in the process's heap while the second filled its own (about
        // +30 MB of peak working set at the switch from Lead to Contact).
        using var bulkConnection = _store.HoldBulkConnection();
        foreach (var plan in initial)
        {
            await InitialCopyAsync(plan, cancellationToken).ConfigureAwait(false);
            if (ReserveReached(plan.ObjectName))
                return true;
        }
        return false;
    }

    private IEnumerable<string> PersonTables(IEnumerable<SyncedObjectPlan> plans) =>
        plans.Where(p => p.IsPerson).Select(p => p.TableName).Distinct(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Before the first copy of a person table (no row with a CRM id yet, and not a re-read), its email index is dropped, to
    /// be built once when the copies end (<see cref="PersonIndexes"/>, <see cref="SyncOptions.DeferPersonIndexes"/>). A copy
    /// resumed after a crash finds the index already gone and the table partly filled: it is left as it is.
    /// </summary>
    private void DeferIndexes(IReadOnlyList<SyncedObjectPlan> initial)
    {
        if (!_options.DeferPersonIndexes || _personEmailField is null)
            return;
        var firstCopies = initial.Where(p => _store.Checkpoints.Read(p.ObjectName, CheckpointTable.Initial) is not { } c || !ReadCursor(c.CursorJson).Reread);
        foreach (var table in PersonTables(firstCopies))
        {
            var dropped = false;
            _store.SyncWrite(_context.RunId, tx =>
            {
                using var any = tx.Connection!.Command(tx, $"SELECT EXISTS (SELECT 1 FROM {SqlIdentifier.Quote(table)} WHERE \"{SystemColumns.CrmId}\" IS NOT NULL);");
                if (Convert.ToInt64(any.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
                    dropped = DeferredIndex.Drop(tx, table);
            }, IndexWording(table));
            if (dropped)
                _context.Events.Verbose($"Table {table} is copied without its email index {PersonIndexes.EmailName(table)}, which is built once the copy ends.");
        }
    }

    /// <summary>
    /// Builds the secondary indexes of the person tables that are missing (deferred by <see cref="DeferIndexes"/> in this
    /// cycle or an earlier one that crashed or was cancelled), sorting on disk (<c>SyncWrite</c> with <c>sortOnDisk</c>, so the
    /// sort's memory does not grow with the table). Not after a cancellation: the next
    /// cycle builds them. After a failed copy a failure to build is a warning, so the copy's error is the one reported.
    /// </summary>
    private void RestoreIndexes(CancellationToken cancellationToken, bool afterFailure)
    {
        if (_personEmailField is not { } emailField || cancellationToken.IsCancellationRequested)
            return;
        foreach (var table in PersonTables(_plans))
        {
            if (_store.Read(connection => PersonIndexes.IsComplete(connection, table)))
                continue;
            try
            {
                var started = _time.GetTimestamp();
                var created = _store.SyncWrite(_context.RunId, tx => PersonIndexes.Ensure(_store, tx, table, emailField), IndexWording(table), sortOnDisk: true);
                if (created.Count > 0)
                    _context.Events.Verbose($"Built the index(es) {string.Join(", ", created)} of table {table} in {_time.GetElapsedTime(started).TotalSeconds:0.0} s.");
            }
            catch (CrmSyncException e) when (afterFailure)
            {
                _context.Events.Warning($"The index(es) of table {table} could not be built after the failed copy ({e.Message}); the next cycle builds them.");
            }
        }
    }

    /// <summary>The options' page size, or the change source's preferred one while the options keep the default.</summary>
    private int PageSize => _options.PageSize == SyncOptions.DefaultPageSize && _source.Capabilities.PreferredPageSize is { } preferred
        ? preferred : _options.PageSize;

    /// <summary>
    /// A full read's position: the page cursor, when it started, the fields of a backfill, and whether an initial copy is a
    /// re-read after an expired change position or a pass over deletions older than the CRM keeps them (<see cref="RereadMarks"/>:
    /// its ids are marked, the unseen rows flagged deleted).
    /// </summary>
    private sealed record CursorState(string? Cursor, string StartedAt, IReadOnlyList<string>? Fields = null, bool Reread = false);

    /// <summary>
    /// The initial copy of an object, resumed from its <c>initial</c> checkpoint. When the checkpoint says it is a re-read
    /// (the object's change position expired, or its deletions were last read longer ago than the CRM keeps deleted records),
    /// every CRM id of every page is marked with the page, and the transaction that completes the copy flags the object's
    /// live local rows with a CRM id that the read did not return as deleted in the CRM.
    /// </summary>
    private async Task InitialCopyAsync(SyncedObjectPlan plan, CancellationToken cancellationToken)
    {
        // Every page of the copy on one connection, its page cache kept warm from page to page (and one cache, not one per pooled connection).
        using var bulkConnection = _store.HoldBulkConnection();
        var checkpoint = _store.Checkpoints.Read(plan.ObjectName, CheckpointTable.Initial);
        var state = checkpoint is null ? new CursorState(null, Now()) : ReadCursor(checkpoint.CursorJson);
        var done = checkpoint?.RowsDone ?? 0;
        var reread = state.Reread;
        if (checkpoint is null)
            Commit(tx => _store.Checkpoints.Commit(tx, plan.ObjectName, CheckpointTable.Initial, WriteCursor(state), 0, null));
        var what = reread ? "Full re-read" : "Initial copy";
        _context.Events.Verbose(state.Cursor is null
            ? $"{what} of {plan.ObjectName} into table {plan.TableName} begins."
            : $"{what} of {plan.ObjectName} resumes after {done} records.", plan.ObjectName);

        var applier = new RecordApplier(plan, _store, _context.RunId, _warnings, _guard);
        var rowWriter = new BulkRowWriter(plan, _store, applier, _warnings);
        var request = FullRead(plan, plan.RequestFields, state);
        // Bulk results as rows of the CRM's bytes, bound straight into the INSERT, where the CRM's client offers them; a re-read
        // takes records, whose ids it marks.
        var pages = _options.BulkRowWriter && !reread && _source is ICrmBulkRowSource rows
            ? rows.ReadAllRowsAsync(request, cancellationToken)
            : Records(_source.ReadAllAsync(request, cancellationToken));
        done = await CopyPagesAsync(plan, CheckpointTable.Initial, SyncPhase.InitialCopy, pages,
            state, done, checkpoint?.RowsTotal,
            (tx, page) =>
            {
                var outcome = page.Rows is { } pageRows ? rowWriter.Apply(tx, pageRows) : applier.Apply(tx, page.Page.Records);
                if (reread)
                    // Every record the CRM returned still exists there, whatever the applier did with it (a sync-filter No,
                    // a merge loser, a converted lead, a record that failed to store).
                    _store.RereadMarks.Mark(tx, plan.ObjectName, page.Page.Records.Select(r => r.Id));
                if (page.Page.HasMore && page.Page.Watermark is not null)
                    _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.PullUpdates, page.Page.Watermark.Value, null); // the open checkpoint keeps the copy going
                CommitCounts(tx, plan.ObjectName, outcome);
                return page.Rows is null ? page.Page.Records.Count : outcome.Records;
            },
            (tx, watermark) =>
            {
                if (reread)
                    FlagUnseenAsDeleted(tx, plan, applier);
                CompleteInitialCopy(tx, plan, watermark, state.StartedAt);
            },
            cancellationToken).ConfigureAwait(false);
        if (!reread)
            InitialCopiesCompleted.Add(plan.ObjectName);
        _context.Events.Verbose($"{what} of {plan.ObjectName} completed: {done} records.", plan.ObjectName);
    }

    /// <summary>
    /// The end of a re-read, in the transaction that completes it: the object's local rows with a CRM id, not flagged
    /// deleted, whose id no page of the re-read returned, were deleted in the CRM while the change position was expired (or
    /// deleted and purged since the last pass over the object's deletions).
    /// They are flagged as a delete from the CRM is (<see cref="RecordApplier.ApplyDeletedIds"/>: the row is kept, counted
    /// as PullDeletes); rows created locally and not pushed yet have no CRM id and are left alone. The marks are cleared.
    /// </summary>
    private void FlagUnseenAsDeleted(SqliteTransaction tx, SyncedObjectPlan plan, RecordApplier applier)
    {
        var unseen = _store.RereadMarks.Unseen(tx, plan.ObjectName, plan.TableName, applier.CrmType);
        if (unseen.Count > 0)
        {
            var tally = applier.ApplyDeletedIds(tx, unseen);
            _context.Counts.Commit(tx, plan.ObjectName, RunOperation.PullDeletes, tally);
            _context.Events.Verbose($"{tally.Deleted} records of {plan.ObjectName} the full re-read did not return (deleted in the CRM " +
                                    "since the sync last read its changes or deletions) are flagged deleted.", plan.ObjectName);
        }
        _store.RereadMarks.Clear(tx, plan.ObjectName);
    }

    private void CompleteInitialCopy(SqliteTransaction tx, SyncedObjectPlan plan, CrmWatermark? watermark, string startedAt)
    {
        _store.Checkpoints.Complete(tx, plan.ObjectName, CheckpointTable.Initial);
        // Paged copies carry a watermark on every page; a bulk copy on its last one. Without any (an object with no
        // modification stamp) incremental cycles read the object from the start each time.
        var last = watermark?.Value ?? _store.Watermarks.Read(plan.ObjectName, WatermarkTable.PullUpdates, tx)?.Stamp;
        _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.PullUpdates, last, null);
        // The copy saw every live record as of its start: deletions and formulas are current as of then.
        _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.PullDeletes, startedAt, null);
        _store.Watermarks.Commit(tx, plan.ObjectName, DeletedLogStream, startedAt, null);
        _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.Formula, startedAt, null);
    }

    private async Task IncrementalAsync(IReadOnlyList<SyncedObjectPlan> all, CancellationToken cancellationToken)
    {
        // Objects the CRM may have purged deleted records of since their last pass over deletions are read in full instead
        // of their changes; objects whose change position expired join them after the batched read.
        var rereads = all.Where(DeletePassOutlivedRetention).ToList();
        var plans = all.Except(rereads).ToList();
        var firstError = plans.Count == 0 ? null : await ReadChangesAsync(plans, rereads, cancellationToken).ConfigureAwait(false);
        foreach (var plan in rereads)
        {
            if (StoppedAtApiReserve)
                break;
            Commit(tx =>
            {
                _store.RereadMarks.Clear(tx, plan.ObjectName);
                _store.Checkpoints.Commit(tx, plan.ObjectName, CheckpointTable.Initial, WriteCursor(new CursorState(null, Now(), Reread: true)), 0, null);
            });
            await InitialCopyAsync(plan, cancellationToken).ConfigureAwait(false);
            ReserveReached(plan.ObjectName);
        }
        if (firstError is not null)
            throw firstError;
    }

    /// <summary>
    /// One batched read of the changes of <paramref name="plans"/>, applied object by object. An object whose change position
    /// expired is added to <paramref name="rereads"/>; the first object whose read failed is returned (after the others are applied).
    /// </summary>
    private async Task<CrmSyncException?> ReadChangesAsync(IReadOnlyList<SyncedObjectPlan> plans, List<SyncedObjectPlan> rereads,
        CancellationToken cancellationToken)
    {
        var readStartedAt = Now();
        var requests = new List<CrmChangeReadRequest>(plans.Count);
        foreach (var plan in plans)
        {
            var since = _store.Watermarks.Read(plan.ObjectName, WatermarkTable.PullUpdates)?.Stamp;
            requests.Add(new CrmChangeReadRequest(plan.Schema, plan.RequestFields)
            {
                Since = string.IsNullOrWhiteSpace(since) ? null : CrmWatermark.Parse(since),
                Overlap = _options.Overlap,
                PageSize = PageSize,
                IncludeDeleted = true,
            });
        }

        var items = await _source.ReadChangesBatchAsync(requests, cancellationToken).ConfigureAwait(false);
        var perCall = Math.Max(1, _source.MaxObjectsPerBatchedRead);
        LogicalCalls += (requests.Count + perCall - 1) / perCall;
        var filters = FilterStates(plans, requests, items);
        CrmSyncException? firstError = null;
        for (var i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            var item = items.FirstOrDefault(x => ReferenceEquals(x.Request, requests[i]))
                       ?? items.FirstOrDefault(x => string.Equals(x.Request.Object.Name, plan.ObjectName, StringComparison.OrdinalIgnoreCase));
            if (item?.Page is null && item?.Error?.ErrorId == ErrorIds.CrmChangeTokenExpired)
            {
                // The CRM no longer knows our position (Dataverse: the delta token is older than the org keeps changes): read
                // the object in full again, as a resumable copy. Every live record is applied (unchanged ones are skipped) and
                // the local rows the read does not return are flagged deleted when it completes (FlagUnseenAsDeleted).
                _context.Events.Warning($"The CRM's change position for {plan.ObjectName} has expired (the sync did not run for longer than the CRM " +
                                        "keeps changes): the object is read in full again, and its local records that the CRM no longer returns " +
                                        "are flagged deleted when the read completes.", plan.ObjectName);
                rereads.Add(plan);
                continue;
            }
            if (item?.Page is null)
            {
                var error = item?.Error ?? new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                    $"The CRM's batched read returned nothing for {plan.ObjectName}.", "Run the sync again.", plan.ObjectName);
                _store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, error.ErrorId, $"{plan.ObjectName}: {error.Message}", _context.RunId,
                    plan.ObjectName, Operation: RunOperation.PullUpdates.ToString()));
                RecordedErrors.Add(error);
                _context.Events.Warning($"Reading the changes of {plan.ObjectName} failed: {error.Message}", plan.ObjectName);
                firstError ??= error;
                continue;
            }

            var applier = new RecordApplier(plan, _store, _context.RunId, _warnings, _guard) { OtherFilters = filters };
            // Bulk row pages: plain rows updated (or inserted) from the CRM's bytes, every other row by the applier.
            var rowWriter = new BulkRowWriter(plan, _store, applier, _warnings, _guard, updates: true);
            var coversDeletes = _source.Capabilities.DeletionsInChanges || plan.Schema.DeletedFlagField is not null;
            var rate = new RateMeter(_time);
            long done = 0;
            var page = item.Page;
            void ApplyPage(CrmRowPage rowPage)
            {
                var p = rowPage.Page;
                var count = 0;
                Commit(tx =>
                {
                    var outcome = rowPage.Rows is { } rows ? rowWriter.Apply(tx, rows) : applier.Apply(tx, p.Records);
                    count = rowPage.Rows is null ? p.Records.Count : outcome.Records;
                    if (p.Watermark is not null)
                        _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.PullUpdates, p.Watermark.Value, null);
                    if (!p.HasMore && coversDeletes)
                        _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.PullDeletes, readStartedAt, null);
                    CommitCounts(tx, plan.ObjectName, outcome);
                });
                done += count;
                rate.Add(count);
                Report(plan.ObjectName, SyncPhase.Incremental, done, null, rate);
            }

            ApplyPage(CrmRowPage.Of(page));
            AfterPage(cancellationToken);
            if (page.HasMore && _options.InitialStrategy != CrmFullReadStrategy.Paged && _source is ICrmBulkChangeSource bulk
                             && await bulk.CountChangesAsync(requests[i], cancellationToken).ConfigureAwait(false) >= _options.IncrementalBulkThreshold)
            {
                // Many changes: one bulk job instead of a paged query per 2,000 records. It reads from the same watermark as the
                // first page (whose records are applied again, skipped as unchanged); only its last page moves the watermark.
                LogicalCalls++;
                var bulkPages = _options.BulkRowWriter
                    ? bulk.ReadChangeRowsInBulkAsync(requests[i], _options.BulkPageSize, cancellationToken)
                    : Records(bulk.ReadChangesInBulkAsync(requests[i], _options.BulkPageSize, cancellationToken));
                await foreach (var next in bulkPages.ConfigureAwait(false))
                {
                    LogicalCalls++;
                    ApplyPage(next);
                    AfterPage(cancellationToken);
                }
            }
            else if (page.HasMore)
            {
                var more = requests[i] with { ResumeCursor = page.Cursor, Since = page.Watermark ?? requests[i].Since };
                await foreach (var next in _source.ReadChangesAsync(more, cancellationToken).ConfigureAwait(false))
                {
                    LogicalCalls++;
                    ApplyPage(CrmRowPage.Of(next));
                    AfterPage(cancellationToken);
                    if (!next.HasMore)
                        break;
                }
            }
            if (done > 0)
                _context.Events.Verbose($"{plan.ObjectName}: {done} changed records pulled.", plan.ObjectName);
            if (ReserveReached(plan.ObjectName))
                break;
        }
        return firstError;
    }

    /// <summary>
    /// The sync-filter state of every record read in one batched read, by id, for the objects that have a filter field: a
    /// lead's qualify and a merge loser are decided with the state of the contact or winner read in the same batch.
    /// </summary>
    private static Func<string, SyncFilterState?>? FilterStates(IReadOnlyList<SyncedObjectPlan> plans, IReadOnlyList<CrmChangeReadRequest> requests,
        IReadOnlyList<CrmChangeBatchItem> items)
    {
        if (plans.All(p => p.SyncFilterField is null))
            return null;
        var states = new Dictionary<string, SyncFilterState>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < plans.Count; i++)
        {
            if (plans[i].SyncFilterField is not { } field || items.FirstOrDefault(x => ReferenceEquals(x.Request, requests[i]))?.Page is not { } page)
                continue;
            foreach (var record in page.Records.Where(r => !r.IsDeleted))
                states[record.Id] = SyncFilterRules.Read(record.Values, field);
        }
        return id => states.TryGetValue(id, out var state) ? state : null;
    }

    /// <summary>How far back the CRM's delete log reaches (the options' value, else the change source's); null when it has none.</summary>
    private TimeSpan? DeleteLogRetention => _source.Capabilities.DeleteLogRetention is null ? null : _options.DeletionLogRetention ?? _source.Capabilities.DeleteLogRetention;

    /// <summary>
    /// True when the last pass over the object's deletions is older than the CRM keeps deleted records (Salesforce: 15 days
    /// in the recycle bin and the /deleted log): records deleted and purged since then are in neither, so neither the changes
    /// nor the delete log would ever say they are gone. The object is then read in full again (a re-read, as after an expired
    /// change position), and its local records the CRM no longer returns are flagged deleted when the read completes.
    /// </summary>
    private bool DeletePassOutlivedRetention(SyncedObjectPlan plan)
    {
        if (DeleteLogRetention is not { } retention)
            return false; // deletions come only with the changes: there is no delete log to fall behind
        var last = _store.Watermarks.Read(plan.ObjectName, WatermarkTable.PullDeletes)?.Stamp;
        if (ParseTime(last) is not { } at || _time.GetUtcNow() - at <= retention)
            return false;
        _context.Events.Warning(
            $"The last pass over the deletions of {plan.ObjectName} was at {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC, longer ago than the CRM keeps " +
            $"deleted records ({retention.TotalDays:0} days), so records deleted and purged since then cannot be read as deletions: the object " +
            "is read in full again, and its local records that the CRM no longer returns are flagged deleted when the read completes.", plan.ObjectName);
        return true;
    }

    private async Task DeletionLogAsync(SyncedObjectPlan plan, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var earliest = now - DeleteLogRetention!.Value + TimeSpan.FromMinutes(1);
        var last = ParseTime(_store.Watermarks.Read(plan.ObjectName, DeletedLogStream)?.Stamp);
        var since = last is { } l && l > earliest ? l - _options.Overlap : earliest;
        var result = await _source.ReadDeletionsAsync(plan.ObjectName, since, cancellationToken).ConfigureAwait(false);
        LogicalCalls++;
        if (result.MayHaveMissedDeletions)
            _context.Events.Warning($"The CRM's delete log of {plan.ObjectName} starts at {result.EarliestAvailable:yyyy-MM-dd HH:mm} UTC, after the " +
                                    "last pass: deletions in between may have been missed.", plan.ObjectName);
        var applier = new RecordApplier(plan, _store, _context.RunId, _warnings, _guard);
        var covered = SqliteValueConverter.FormatDateTime(result.LatestCovered ?? now);
        Commit(tx =>
        {
            var tally = applier.ApplyDeletedIds(tx, result.Records.Select(r => r.Id));
            _store.Watermarks.Commit(tx, plan.ObjectName, DeletedLogStream, covered, null);
            var deletesCovered = ParseTime(_store.Watermarks.Read(plan.ObjectName, WatermarkTable.PullDeletes, tx)?.Stamp);
            if (deletesCovered is null || deletesCovered < (result.LatestCovered ?? now))
                _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.PullDeletes, covered, null);
            _context.Counts.Commit(tx, plan.ObjectName, RunOperation.PullDeletes, tally);
        });
        Report(plan.ObjectName, SyncPhase.Deletions, result.Records.Count, result.Records.Count, null);
        AfterPage(cancellationToken);
    }

    private Task FormulasAsync(SyncedObjectPlan plan, CancellationToken cancellationToken)
    {
        _context.Events.Verbose($"Re-reading the {plan.FormulaFields.Count} formula fields of {plan.ObjectName}.", plan.ObjectName);
        return RereadColumnsAsync(plan, FormulaPhase, plan.FormulaFields, SyncPhase.Formulas,
            (tx, startedAt) => _store.Watermarks.Commit(tx, plan.ObjectName, WatermarkTable.Formula, startedAt, null), cancellationToken);
    }

    /// <summary>
    /// Fills columns created after the object's initial copy (a new CRM field found by the schema refresh): their values
    /// are read once for every record, since records that do not change would otherwise keep them empty.
    /// </summary>
    private Task BackfillAsync(SyncedObjectPlan plan, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        var names = ReadCursor(checkpoint.CursorJson).Fields ?? [];
        var fields = plan.Fields.Where(f => names.Contains(f.FieldName, StringComparer.OrdinalIgnoreCase)).ToList();
        _context.Events.Verbose($"Filling the new columns of {plan.ObjectName} ({string.Join(", ", fields.Select(f => f.ColumnName))}).", plan.ObjectName);
        return RereadColumnsAsync(plan, BackfillPhase, fields, SyncPhase.Formulas, (_, _) => { }, cancellationToken);
    }

    /// <summary>
    /// Reads only the id and <paramref name="fields"/> of every record (a full, paged or bulk read resumable from the
    /// <paramref name="phase"/> checkpoint) and updates just those columns of existing rows.
    /// </summary>
    private async Task RereadColumnsAsync(SyncedObjectPlan plan, string phase, IReadOnlyList<PulledField> fields, SyncPhase progressPhase,
        Action<SqliteTransaction, string> onCompleted, CancellationToken cancellationToken)
    {
        var checkpoint = _store.Checkpoints.Read(plan.ObjectName, phase);
        var state = checkpoint is null ? new CursorState(null, Now()) : ReadCursor(checkpoint.CursorJson);
        var done = checkpoint?.RowsDone ?? 0;
        if (fields.Count == 0)
        {
            Commit(tx => _store.Checkpoints.Complete(tx, plan.ObjectName, phase));
            return;
        }
        if (checkpoint is null)
            Commit(tx => _store.Checkpoints.Commit(tx, plan.ObjectName, phase, WriteCursor(state), 0, null));
        var applier = new RecordApplier(plan, _store, _context.RunId, _warnings, _guard);
        await CopyPagesAsync(plan, phase, progressPhase, Records(_source.ReadAllAsync(FullRead(plan, fields.Select(f => f.FieldName).ToList(), state), cancellationToken)),
            state, done, checkpoint?.RowsTotal,
            (tx, page) =>
            {
                _context.Counts.Commit(tx, plan.ObjectName, RunOperation.PullUpdates, applier.ApplyFormulas(tx, page.Page.Records, fields));
                return page.Page.Records.Count;
            },
            (tx, _) =>
            {
                _store.Checkpoints.Complete(tx, plan.ObjectName, phase);
                onCompleted(tx, state.StartedAt);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private CrmFullReadRequest FullRead(SyncedObjectPlan plan, IReadOnlyList<string> fields, CursorState state) =>
        new(plan.Schema, fields)
        {
            ResumeCursor = state.Cursor,
            Strategy = _source.Capabilities.HasBulkReads ? _options.InitialStrategy : CrmFullReadStrategy.Paged,
            BulkThreshold = _options.BulkThreshold,
            PageSize = PageSize,
            BulkPageSize = _options.BulkPageSize,
        };

    /// <summary>
    /// The one resumable full-read loop (initial copy, formula re-pull, backfill of new columns). Each page is applied by
    /// <paramref name="applyPage"/> (which returns the records it took) in one transaction together with the
    /// <paramref name="phase"/> checkpoint; the last page's transaction (or, when the read ends without one, a transaction of
    /// its own) closes the read with <paramref name="complete"/>, given that page's watermark. Returns the records done,
    /// counting earlier resumed runs.
    /// </summary>
    private async Task<long> CopyPagesAsync(SyncedObjectPlan plan, string phase, SyncPhase progressPhase, IAsyncEnumerable<CrmRowPage> pages,
        CursorState state, long done, long? total, Func<SqliteTransaction, CrmRowPage, int> applyPage,
        Action<SqliteTransaction, CrmWatermark?> complete, CancellationToken cancellationToken)
    {
        var rate = new RateMeter(_time);
        await foreach (var rowPage in pages.ConfigureAwait(false))
        {
            LogicalCalls++;
            var page = rowPage.Page;
            var count = 0;
            Commit(tx =>
            {
                count = applyPage(tx, rowPage);
                total = StableTotal(total, page.TotalEstimate, done + count);
                done += count;
                if (page.HasMore)
                    _store.Checkpoints.Commit(tx, plan.ObjectName, phase, WriteCursor(state with { Cursor = page.Cursor }), done, total);
                else
                    complete(tx, page.Watermark);
            });
            rate.Add(count);
            Report(plan.ObjectName, progressPhase, done, total, rate);
            AfterPage(cancellationToken);
            if (!page.HasMore)
                return done;
        }
        Commit(tx => complete(tx, null));
        return done;
    }

    private static async IAsyncEnumerable<CrmRowPage> Records(IAsyncEnumerable<CrmRecordPage> pages)
    {
        await foreach (var page in pages.ConfigureAwait(false))
            yield return CrmRowPage.Of(page);
    }

    private bool IsDue(string objectName, string stream, TimeSpan interval)
    {
        if (stream == WatermarkTable.Formula && _store.Checkpoints.Read(objectName, FormulaPhase) is not null)
            return true; // a re-pull in progress resumes
        var last = ParseTime(_store.Watermarks.Read(objectName, stream)?.Stamp);
        return last is null || _time.GetUtcNow() - last.Value >= interval;
    }

    private bool ReserveReached(string objectName)
    {
        var session = _context.Client.Session;
        if (session.ApiUsage is { } usage && usage != _lastUsage)
        {
            _lastUsage = usage;
            _store.ApiUsage.Record(usage.Used, usage.Max, CrmProviders.For(_context.Client.Kind).UsageSource);
        }
        if (!session.IsApiReserveReached)
            return false;
        StoppedAtApiReserve = true;
        _context.Events.Warning(
            $"The CRM's API allowance is down to its reserve ({session.ApiUsage}, reserve {session.ApiReserveFraction:P0}): the cycle stops after " +
            $"{objectName} and the next cycle continues where this one stopped.", objectName);
        return true;
    }

    private void CommitCounts(SqliteTransaction tx, string objectName, PageOutcome outcome)
    {
        _context.Counts.Commit(tx, objectName, RunOperation.PullUpdates, outcome.Updates);
        _context.Counts.Commit(tx, objectName, RunOperation.PullDeletes, outcome.Deletes);
        _context.Counts.Commit(tx, objectName, RunOperation.PullConversions, outcome.Conversions);
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction marked as the sync's own (no echo into the outbox).</summary>
    private void Commit(Action<SqliteTransaction> work) =>
        _store.SyncWrite(_context.RunId, work, new StoreErrors.Wording(
            Locked: $"The CrmSync database {_store.DatabasePath} stayed locked by another writer past the busy timeout; the page was not applied.",
            LockedAction: "Close the other program writing to the database, then start the sync again; it resumes from the last committed page.",
            Failed: $"Writing pulled records to {_store.DatabasePath} failed",
            FailedAction: "Check the database file and the disk, then start the sync again."), bulk: true);

    private StoreErrors.Wording IndexWording(string table) => new(
        Locked: $"The CrmSync database {_store.DatabasePath} stayed locked by another writer past the busy timeout while the sync dropped or built an index of table {table}.",
        LockedAction: "Close the other program writing to the database, then start the sync again; it builds any index that is missing.",
        Failed: $"Dropping or building an index of table {table} in {_store.DatabasePath} failed",
        FailedAction: "Check the database file and the free disk space (a sort of the table's email addresses), then start the sync again.");

    private void AfterPage(CancellationToken cancellationToken)
    {
        _context.Heartbeat();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The total of a paged full read: the first one known (the checkpoint's, else the first page's estimate) stays, since a
    /// later query page's estimate is only what remains of it; raised to <paramref name="done"/> if more records came.
    /// </summary>
    internal static long? StableTotal(long? known, long? pageEstimate, long done)
    {
        var total = known ?? pageEstimate;
        return total is { } t && t < done ? done : total;
    }

    private void Report(string objectName, SyncPhase phase, long done, long? total, RateMeter? rate)
    {
        if (_context.Progress is null)
            return;
        var perSecond = rate?.PerSecond;
        TimeSpan? remaining = perSecond is > 0 && total is { } t && t >= done ? TimeSpan.FromSeconds((t - done) / perSecond.Value) : null;
        _context.Progress.Report(new SyncProgress(objectName, phase, done, total, perSecond, remaining));
    }

    private string Now() => SqliteValueConverter.FormatDateTime(_time.GetUtcNow());

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value : null;

    private static string WriteCursor(CursorState state)
    {
        var json = new Dictionary<string, object?> { ["cursor"] = state.Cursor, ["startedAt"] = state.StartedAt, ["fields"] = state.Fields };
        if (state.Reread)
            json["reread"] = true;
        return JsonSerializer.Serialize(json);
    }

    /// <summary>Opens (or widens) the backfill of <paramref name="fields"/> of an object inside <paramref name="transaction"/>.</summary>
    public static void ScheduleBackfill(CrmSyncStore store, SqliteTransaction transaction, string objectName, IReadOnlyCollection<string> fields, string now)
    {
        var open = store.Checkpoints.Read(objectName, BackfillPhase, transaction);
        var all = new List<string>(fields);
        if (open is not null)
        {
            using var document = JsonDocument.Parse(open.CursorJson);
            if (document.RootElement.TryGetProperty("fields", out var f) && f.ValueKind == JsonValueKind.Array)
                all.AddRange(f.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!));
        }
        var distinct = all.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        // A widened backfill starts over: rows already passed lack the newly added fields.
        store.Checkpoints.Commit(transaction, objectName, BackfillPhase, WriteCursor(new CursorState(null, now, distinct)), 0, null);
    }

    private CursorState ReadCursor(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var cursor = root.TryGetProperty("cursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            var started = root.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var fields = root.TryGetProperty("fields", out var f) && f.ValueKind == JsonValueKind.Array
                ? f.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
                : null;
            var reread = root.TryGetProperty("reread", out var r) && r.ValueKind == JsonValueKind.True;
            return new CursorState(cursor, started ?? Now(), fields, reread);
        }
        catch (JsonException)
        {
            return new CursorState(null, Now());
        }
    }

    /// <summary>Records per second of one phase of this run.</summary>
    private sealed class RateMeter(TimeProvider time)
    {
        private readonly long _start = time.GetTimestamp();
        private long _records;

        public void Add(long records) => _records += records;

        public double? PerSecond
        {
            get
            {
                var seconds = time.GetElapsedTime(_start).TotalSeconds;
                return seconds > 0.001 ? _records / seconds : null;
            }
        }
    }
}
