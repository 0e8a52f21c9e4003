namespace CrmSync.Engine.Tests.Support;

/// <summary>
/// A clock that moves only when a test says so, with fake timers (Microsoft.Extensions.TimeProvider.Testing is not
/// available here): <see cref="Advance"/> and <see cref="SetUtcNow"/> fire every timer that falls due, in due order,
/// with the clock set to each timer's due time while it fires. Timestamps (<see cref="GetTimestamp"/>) follow the fake
/// clock. Every timer's due time is recorded (<see cref="RequestedDelays"/>), and a test can wait (on a condition, never
/// on wall-clock sleeps) until a timer is pending (<see cref="WaitForPendingTimerAsync"/>).
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    /// <summary>The start of the clock when none is given.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 11, 2, 9, 30, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly List<TimeSpan> _requestedDelays = [];
    private DateTimeOffset _now;
    private TaskCompletionSource _timerScheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeTimeProvider(DateTimeOffset? start = null) => _now = (start ?? DefaultStart).ToUniversalTime();

    /// <summary>The due time of every timer scheduled (created or changed), in order; infinite ones are left out.</summary>
    public IReadOnlyList<TimeSpan> RequestedDelays
    {
        get
        {
            lock (_gate)
                return _requestedDelays.ToList();
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public override long GetTimestamp()
    {
        lock (_gate)
            return _now.UtcTicks;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new FakeTimer(this, callback, state);
        lock (_gate)
            _timers.Add(timer);
        Schedule(timer, dueTime, period);
        return timer;
    }

    /// <summary>Moves time forward by <paramref name="by"/> and fires every timer that falls due.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate)
            target = _now + by;
        MoveTo(target);
    }

    /// <summary>Sets the clock; moving forward fires the timers that fall due, moving back fires none.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        var target = value.ToUniversalTime();
        lock (_gate)
        {
            if (target < _now)
            {
                _now = target;
                return;
            }
        }
        MoveTo(target);
    }

    /// <summary>Waits until a timer with exactly <paramref name="dueTime"/> is pending (a safety timeout fails the test instead of hanging).</summary>
    public async Task WaitForPendingTimerAsync(TimeSpan dueTime)
    {
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_timers.Any(t => t.Pending && t.DueTime == dueTime))
                    return;
                next = _timerScheduled.Task;
            }
            await next.WaitAsync(safety.Token);
        }
    }

    private void MoveTo(DateTimeOffset target)
    {
        while (true)
        {
            FakeTimer? due;
            lock (_gate)
            {
                due = _timers.Where(t => t.Pending && t.DueAt <= target).MinBy(t => t.DueAt);
                if (due is null)
                {
                    if (target > _now)
                        _now = target;
                    return;
                }
                if (due.DueAt > _now)
                    _now = due.DueAt;
                due.Fired(_now);
            }
            due.Invoke(); // outside the lock: the callback may read the clock or schedule timers
        }
    }

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
                _requestedDelays.Add(dueTime);
            timer.Schedule(dueTime, period, _now);
            signal = _timerScheduled;
            _timerScheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    private void Remove(FakeTimer timer)
    {
        lock (_gate)
        {
            timer.Stop();
            _timers.Remove(timer);
        }
    }

    /// <summary>A timer of the fake clock; its state is guarded by the owner's lock.</summary>
    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;

        public DateTimeOffset DueAt { get; private set; }

        public TimeSpan DueTime { get; private set; }

        public bool Pending { get; private set; }

        public void Schedule(TimeSpan dueTime, TimeSpan period, DateTimeOffset now)
        {
            DueTime = dueTime;
            _period = period;
            Pending = dueTime != Timeout.InfiniteTimeSpan;
            DueAt = Pending ? now + dueTime : DateTimeOffset.MaxValue;
        }

        public void Fired(DateTimeOffset now)
        {
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
                DueAt = now + _period;
            else
                Pending = false;
        }

        public void Stop() => Pending = false;

        public void Invoke() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
