using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>What one sync cycle did (Start-CrmSync's output object).</summary>
public sealed record SyncRunResult
{
    /// <summary>The profile the cycle ran for (binds to -Profile down the pipeline); set by Start-CrmSync.</summary>
    public string? Profile { get; init; }
    /// <summary>The profile's database file (binds to -DatabasePath down the pipeline); set by Start-CrmSync.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>The run's id in the run history.</summary>
    public required long RunId { get; init; }
    /// <summary>Succeeded, Failed or Cancelled.</summary>
    public required RunState State { get; init; }
    /// <summary>Initial while any object was still being copied for the first time; Incremental otherwise.</summary>
    public required RunKind Kind { get; init; }
    /// <summary>Per object and operation: New, Updated, Deleted, Failed, Skipped.</summary>
    public required IReadOnlyList<SyncOperationCount> Counts { get; init; }
    /// <summary>CRM API calls the cycle made.</summary>
    public required long ApiCalls { get; init; }
    /// <summary>When the cycle started and how long it took.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>Warnings raised during the cycle (also sent to the event sink).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
    /// <summary>The error of a Failed (or Cancelled) cycle; null when it succeeded.</summary>
    public CrmSyncException? Error { get; init; }
    /// <summary>True when the cycle stopped early because the CRM's API allowance reached its reserve.</summary>
    public bool StoppedAtApiReserve { get; init; }
    /// <summary>Objects whose initial copy completed in this cycle (the "initial sync completed" notification).</summary>
    public required IReadOnlyList<string> InitialCopiesCompleted { get; init; }

    /// <summary>
    /// True when this cycle finished the last outstanding initial copy: the initial sync of the profile is complete (the
    /// moment Marketo sends its "initial sync completed" notification).
    /// </summary>
    public bool InitialSyncCompleted { get; init; }

    /// <summary>Sum of one count column over all objects and operations.</summary>
    public long Total(Func<SyncOperationCount, long> column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return Counts.Sum(column);
    }
}
