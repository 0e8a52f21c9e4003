using Microsoft.Data.Sqlite;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>New / Updated / Deleted / Failed / Skipped for one object and operation.</summary>
public struct OperationTally
{
    public long New;
    public long Updated;
    public long Deleted;
    public long Failed;
    public long Skipped;
    /// <summary>Records the sync filter kept out (an explicit No: not written, or left stale).</summary>
    public long Filtered;

    /// <summary>True when nothing was counted.</summary>
    public readonly bool IsEmpty => New == 0 && Updated == 0 && Deleted == 0 && Failed == 0 && Skipped == 0 && Filtered == 0;
}

/// <summary>
/// The counts of one run, per object and operation. <see cref="Commit"/> writes what a page added into the page's
/// transaction (so the run history holds exactly what was committed) and keeps the total for the run result.
/// </summary>
public sealed class SyncRunCounts
{
    private readonly CrmSyncStore _store;
    private readonly long _runId;
    private readonly object _gate = new();
    private readonly Dictionary<(string Object, RunOperation Operation), OperationTally> _totals = new();

    internal SyncRunCounts(CrmSyncStore store, long runId)
    {
        _store = store;
        _runId = runId;
    }

    /// <summary>Adds <paramref name="tally"/> to the run inside <paramref name="transaction"/> (it persists only if the caller commits).</summary>
    public void Commit(SqliteTransaction transaction, string objectName, RunOperation operation, OperationTally tally)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (tally.IsEmpty)
            return;
        _store.Runs.AddCounts(_runId, objectName, operation, tally.New, tally.Updated, tally.Deleted, tally.Failed, tally.Skipped, transaction, tally.Filtered);
        Add(objectName, operation, tally);
    }

    /// <summary>Adds to the in-memory totals only; the caller has written the same counts itself.</summary>
    internal void Add(string objectName, RunOperation operation, OperationTally tally)
    {
        lock (_gate)
        {
            var current = _totals.GetValueOrDefault((objectName, operation));
            current.New += tally.New;
            current.Updated += tally.Updated;
            current.Deleted += tally.Deleted;
            current.Failed += tally.Failed;
            current.Skipped += tally.Skipped;
            current.Filtered += tally.Filtered;
            _totals[(objectName, operation)] = current;
        }
    }

    /// <summary>The totals so far, ordered by object and operation.</summary>
    public IReadOnlyList<SyncOperationCount> Snapshot()
    {
        lock (_gate)
            return _totals.OrderBy(p => p.Key.Object, StringComparer.Ordinal).ThenBy(p => p.Key.Operation)
                .Select(p => new SyncOperationCount(p.Key.Object, p.Key.Operation, p.Value.New, p.Value.Updated, p.Value.Deleted, p.Value.Failed, p.Value.Skipped, p.Value.Filtered))
                .ToList();
    }
}
