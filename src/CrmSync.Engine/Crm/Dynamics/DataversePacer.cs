namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Slows the client down before Dataverse's service protection limits are hit, instead of running into 429s.
/// </summary>
/// <remarks>
/// The limits are counted per user over a sliding 300-second window (6000 requests, 1200 s of execution time by default;
/// api-limits.md). While more than <see cref="Threshold"/> of the tighter budget is left, requests go out as fast as the
/// sync sends them. Below it, the remaining budget is spread over the window: with <c>r</c> requests left (or the
/// execution time left, counted as the same fraction of the request limit), each request waits until
/// <c>300 s / r</c> after the previous one was sent, at most <see cref="MaxSpacing"/>. At 20 % of 6000 that is one
/// request every 0.25 s; at 60 left, one every 5 s. The headers are informational (they reset when the affinity cookie
/// changes), so this only sets the pace: a 429 with Retry-After stays the authority and the resilience pipeline honours it.
/// </remarks>
internal sealed class DataversePacer(TimeProvider time, IProgress<CrmClientEvent>? events)
{
    /// <summary>The sliding window the limits are counted over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(300);

    /// <summary>The longest wait between two requests; a 429 beyond that is the pipeline's to wait out.</summary>
    public static readonly TimeSpan MaxSpacing = TimeSpan.FromSeconds(30);

    /// <summary>The share of the budget left below which requests are spaced.</summary>
    public const double Threshold = 0.2;

    private readonly object _gate = new();
    private TimeSpan _spacing;
    private long _lastSentTimestamp;
    private bool _warned;

    /// <summary>The spacing now in force (zero while there is headroom).</summary>
    public TimeSpan Spacing
    {
        get
        {
            lock (_gate)
                return _spacing;
        }
    }

    /// <summary>The spacing for a budget with <paramref name="remainingFraction"/> of <paramref name="requestLimit"/> left.</summary>
    public static TimeSpan SpacingFor(double remainingFraction, long requestLimit)
    {
        if (remainingFraction >= Threshold || requestLimit <= 0)
            return TimeSpan.Zero;
        var requestsLeft = Math.Max(1.0, remainingFraction * requestLimit);
        var spacing = TimeSpan.FromTicks((long)(Window.Ticks / requestsLeft));
        return spacing > MaxSpacing ? MaxSpacing : spacing;
    }

    /// <summary>Takes the headroom a response reported (see <see cref="DataverseResponseObserver"/>).</summary>
    public void Observe(CrmApiUsage usage, long requestLimit)
    {
        var spacing = SpacingFor(usage.RemainingFraction, requestLimit);
        bool warn;
        lock (_gate)
        {
            warn = spacing > TimeSpan.Zero && !_warned;
            _warned = spacing > TimeSpan.Zero; // warned once per slow-down, again after headroom came back
            _spacing = spacing;
        }
        if (warn)
            events?.Report(new CrmClientEvent(CrmEventLevel.Warning, CrmEventKind.Throttled,
                $"Dynamics 365 service protection: {usage.RemainingFraction:P0} of the 5-minute request budget is left; "
                + $"slowing to one request every {spacing.TotalSeconds:0.##} s to stay under the limit."));
    }

    /// <summary>Waits, when a spacing is in force, until it has passed since the previous request was sent; then marks this one as sent.</summary>
    public async ValueTask WaitTurnAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var due = _lastSentTimestamp == 0 || _spacing == TimeSpan.Zero
                ? now
                : _lastSentTimestamp + (long)(_spacing.TotalSeconds * time.TimestampFrequency);
            var sendAt = Math.Max(now, due);
            wait = TimeSpan.FromSeconds((double)(sendAt - now) / time.TimestampFrequency);
            _lastSentTimestamp = sendAt; // reserved now: concurrent senders queue behind each other
        }
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
    }
}
