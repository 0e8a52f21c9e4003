namespace CrmSync.Engine.Sync;

/// <summary>What a cycle is doing to an object.</summary>
public enum SyncPhase
{
    /// <summary>The initial full copy of the object.</summary>
    InitialCopy,
    /// <summary>Reading records changed since the watermark (and, through queryAll, deleted ones).</summary>
    Incremental,
    /// <summary>Reading the CRM's delete log.</summary>
    Deletions,
    /// <summary>Re-reading formula (calculated) fields.</summary>
    Formulas,
    /// <summary>Pushing local changes (issue 6).</summary>
    Push,
}

/// <summary>
/// Progress of one object's phase, reported after every committed page. Hosts rate-limit it (ProgressThrottle) before
/// writing Write-Progress.
/// </summary>
/// <param name="ObjectName">The CRM object, e.g. Lead.</param>
/// <param name="Phase">What is being done.</param>
/// <param name="Done">Records applied so far in this phase (the initial copy counts from its checkpoint, across restarts).</param>
/// <param name="Total">The CRM's count of records to read, when it said.</param>
/// <param name="RecordsPerSecond">The rate of this run so far, when measurable.</param>
/// <param name="EstimatedRemaining">Time left at that rate, when <paramref name="Total"/> is known.</param>
public sealed record SyncProgress(
    string ObjectName,
    SyncPhase Phase,
    long Done,
    long? Total,
    double? RecordsPerSecond,
    TimeSpan? EstimatedRemaining)
{
    /// <summary>Done as a percentage of Total (0..100), or null when the total is unknown.</summary>
    public int? PercentComplete => Total is > 0 ? (int)Math.Clamp(Done * 100 / Total.Value, 0, 100) : null;
}
