using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The push half of a cycle (issue 6): runs after the pull of every object has committed, under the same run lock and
/// run row. An implementation drains the outbox, counts PushNew / PushUpdates through <see cref="SyncCycleContext.Counts"/>,
/// writes local rows only between <see cref="SyncWriteMarker.Begin"/> and <see cref="SyncWriteMarker.End"/> (so its own
/// writes do not echo into the outbox), and throws <see cref="CrmSyncException"/> for job-level failures.
/// </summary>
public interface IPushPhase
{
    Task RunAsync(SyncCycleContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Makes sure local changes are captured from now on (the capture triggers of every two-way table exist and watch every
    /// synced column). The orchestrator calls it at the start of every cycle, under the run lock and before the pull, and
    /// again after a schema refresh changed the tables, so that a change made while the initial copy runs is not lost.
    /// </summary>
    void PrepareCapture(CrmSyncStore store, SyncedObjectCatalog objects)
    {
    }
}

/// <summary>
/// Lets the push side (issue 6) arbitrate collisions during the pull: before the pull updates an existing row, it asks which
/// of the row's columns must keep their local value (a local change waiting in the outbox that wins by Marketo's rule or
/// the field's mapping rule); the implementation writes the conflict journal. When the <see cref="IPushPhase"/> given to
/// <see cref="SyncOrchestrator"/> also implements this interface, the pull uses it. Called inside the page's transaction,
/// once per updated row: keep it cheap (e.g. load the pending outbox keys once per transaction).
/// </summary>
public interface IPullConflictGuard
{
    /// <summary>The columns (of <paramref name="plan"/>'s table) the pull must not overwrite for this row; null or empty: none.</summary>
    IReadOnlyCollection<string>? ColumnsToKeep(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId, CrmRecord record);

    /// <summary>
    /// True when the row may have local changes waiting to be pushed, so that an update of it must go through
    /// <see cref="ColumnsToKeep"/> (the pull's fast row path leaves such rows to the record path). Called inside the page's
    /// transaction, once per changed row. The default answers true for every row: a guard that cannot tell keeps every
    /// update on the record path.
    /// </summary>
    bool HasWaitingChanges(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId) => true;
}

/// <summary>What a phase of a cycle works with.</summary>
public sealed class SyncCycleContext
{
    internal SyncCycleContext(CrmSyncStore store, ICrmClient client, long runId, RunKind kind, SyncOptions options,
        SyncRunCounts counts, SyncEventRelay events, IProgress<SyncProgress>? progress, Action heartbeat)
    {
        Store = store;
        Client = client;
        RunId = runId;
        Kind = kind;
        Options = options;
        Counts = counts;
        Events = events;
        Progress = progress;
        _heartbeat = heartbeat;
    }

    private readonly Action _heartbeat;

    public CrmSyncStore Store { get; }
    public ICrmClient Client { get; }
    public long RunId { get; }
    public RunKind Kind { get; }
    public SyncOptions Options { get; }
    /// <summary>The cycle's counts; add to them inside the transaction that applies the change.</summary>
    public SyncRunCounts Counts { get; }
    /// <summary>Verbose messages and warnings of the cycle.</summary>
    public SyncEventRelay Events { get; }
    public IProgress<SyncProgress>? Progress { get; }

    /// <summary>Extends the run lease when it is due (call it after each batch); throws SyncLockHeld when the lease was lost.</summary>
    public void Heartbeat() => _heartbeat();
}
