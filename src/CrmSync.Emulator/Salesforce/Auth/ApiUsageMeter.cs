namespace CrmSync.Emulator.Salesforce.Auth;

/// <summary>
/// Counts API requests over a rolling 24-hour window (per-minute buckets) against the org's daily allowance,
/// as reported by <c>Sforce-Limit-Info: api-usage=N/M</c> and <c>/limits</c>.
/// </summary>
public sealed class ApiUsageMeter
{
    private readonly TimeProvider _clock;
    private readonly Queue<(long Minute, int Count)> _buckets = new();
    private readonly object _sync = new();
    private int _used;

    /// <summary>Creates the meter.</summary>
    public ApiUsageMeter(TimeProvider clock, int dailyLimit)
    {
        _clock = clock;
        DailyLimit = dailyLimit;
    }

    /// <summary>The daily allowance.</summary>
    public int DailyLimit { get; set; }

    /// <summary>Requests counted in the last 24 hours.</summary>
    public int Used
    {
        get
        {
            lock (_sync)
            {
                Expire();
                return _used;
            }
        }
    }

    /// <summary>Counts one request; false (and nothing counted) when the allowance is spent.</summary>
    public bool TryConsume()
    {
        lock (_sync)
        {
            Expire();
            if (_used >= DailyLimit)
            {
                return false;
            }
            long minute = _clock.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute;
            if (_buckets.Count > 0 && _buckets.Last().Minute == minute)
            {
                var last = _buckets.Last();
                // Queue has no "update last"; rebuild the tail cheaply.
                var items = _buckets.ToArray();
                items[^1] = (last.Minute, last.Count + 1);
                _buckets.Clear();
                foreach (var item in items)
                {
                    _buckets.Enqueue(item);
                }
            }
            else
            {
                _buckets.Enqueue((minute, 1));
            }
            _used++;
            return true;
        }
    }

    /// <summary>Sets the usage (fault injection: pretend N requests were already made today).</summary>
    public void SetUsed(int used)
    {
        lock (_sync)
        {
            _buckets.Clear();
            _used = Math.Max(0, used);
            if (_used > 0)
            {
                _buckets.Enqueue((_clock.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute, _used));
            }
        }
    }

    private void Expire()
    {
        long oldest = (_clock.GetUtcNow().UtcTicks - TimeSpan.TicksPerDay) / TimeSpan.TicksPerMinute;
        while (_buckets.Count > 0 && _buckets.Peek().Minute <= oldest)
        {
            _used -= _buckets.Dequeue().Count;
        }
    }
}
