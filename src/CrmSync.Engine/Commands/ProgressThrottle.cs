namespace CrmSync.Engine.Commands;

/// <summary>
/// Decides which progress reports reach a host, so that a tight engine loop does not flood the console:
/// the first report of an activity and every Completed report always pass; other reports of the same
/// activity pass at most once per <see cref="Interval"/>. It also remembers which activities are still open,
/// so the host can close each one with a Completed report when the command ends.
/// Not thread-safe: a host uses it from its pipeline thread only.
/// </summary>
public sealed class ProgressThrottle
{
    /// <summary>The default minimum time between two reports of one activity.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    private readonly TimeProvider timeProvider;
    private readonly Dictionary<int, (ProgressInfo Last, long WrittenAt, long Order)> open = new();
    private long opened;

    public ProgressThrottle(TimeProvider timeProvider, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (interval < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval cannot be negative.");
        this.timeProvider = timeProvider;
        Interval = interval;
    }

    public ProgressThrottle() : this(TimeProvider.System, DefaultInterval)
    {
    }

    /// <summary>The minimum time between two written reports of one activity.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The activities that were written and not completed yet, by activity id.</summary>
    public IReadOnlyCollection<int> OpenActivityIds => open.Keys;

    /// <summary>True when <paramref name="progress"/> should be written now; records it as written if so.</summary>
    public bool ShouldWrite(ProgressInfo progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        long now = timeProvider.GetTimestamp();
        if (progress.Completed)
        {
            // A Completed report for an activity that was never shown is still written: it is harmless and
            // a host may have shown the activity itself.
            open.Remove(progress.ActivityId);
            return true;
        }

        if (open.TryGetValue(progress.ActivityId, out var previous)
            && timeProvider.GetElapsedTime(previous.WrittenAt, now) < Interval)
        {
            // Keep the newest state so that the closing record carries the latest activity text.
            open[progress.ActivityId] = (progress, previous.WrittenAt, previous.Order);
            return false;
        }

        long order = open.TryGetValue(progress.ActivityId, out var known) ? known.Order : opened++;
        open[progress.ActivityId] = (progress, now, order);
        return true;
    }

    /// <summary>
    /// One Completed report for every activity that is still open, in the order they were opened;
    /// afterwards no activity is open.
    /// </summary>
    public IReadOnlyList<ProgressInfo> CompleteOpenActivities()
    {
        var closing = open.Values
            .OrderBy(entry => entry.Order)
            .Select(entry => entry.Last with { Completed = true, PercentComplete = 100, SecondsRemaining = -1 })
            .ToList();
        open.Clear();
        return closing;
    }
}
