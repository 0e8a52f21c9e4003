namespace CrmSync.TestSupport;

/// <summary>
/// A clock that moves only when a test says so, with fake timers (Microsoft.Extensions.TimeProvider.Testing is not
/// available here): <see cref="Advance"/> and <see cref="SetUtcNow"/> fire every timer that falls due, in due order,
/// with the clock set to each timer's due time while it fires. Timestamps (<see cref="GetTimestamp"/>) follow the fake
/// clock. Every timer's due time is recorded (<see cref="RequestedDelays"/>), and a test can wait (on a condition, never
/// on wall-clock sleeps) until a timer is pending (<see cref="WaitForPendingTimerAsync"/>) or run work while the clock
/// skips its short delays (<see cref="RunAdvancingAsync{T}(Task{T}, TimeSpan)"/>).
/// Built over a base clock (<see cref="FakeTimeProvider(TimeProvider)"/>), "now" is the base clock's now plus the test's
/// advances: an end-to-end test's client clock then agrees with the emulator's.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    /// <summary>The start of the clock when none is given.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2026, 11, 2, 9, 30, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly List<TimeSpan> _requestedDelays = [];
    private readonly TimeProvider? _base;
    private DateTimeOffset _start;
    private TimeSpan _offset;
    private TaskCompletionSource _timerScheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A clock standing at <paramref name="start"/> (default <see cref="DefaultStart"/>) until a test moves it.</summary>
    public FakeTimeProvider(DateTimeOffset? start = null) => _start = (start ?? DefaultStart).ToUniversalTime();

    /// <summary>A clock reading <paramref name="baseClock"/> plus every advance a test makes.</summary>
    public FakeTimeProvider(TimeProvider baseClock)
    {
        ArgumentNullException.ThrowIfNull(baseClock);
        _base = baseClock;
    }

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
            return Now;
    }

    public override long GetTimestamp()
    {
        lock (_gate)
            return Now.UtcTicks;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Now, read under the lock.</summary>
    private DateTimeOffset Now => (_base?.GetUtcNow() ?? _start) + _offset;

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
            target = Now + by;
        MoveTo(target);
    }

    /// <summary>Sets the clock; moving forward fires the timers that fall due, moving back fires none.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        var target = value.ToUniversalTime();
        lock (_gate)
        {
            if (target < Now)
            {
                SetNow(target);
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

    /// <summary>
    /// Runs <paramref name="work"/> to completion, advancing the clock whenever a timer of at most <paramref name="longest"/>
    /// (a backoff or poll delay, not a timeout) is pending. Waits on conditions only; a safety timeout fails a hung test.
    /// </summary>
    public async Task<T> RunAdvancingAsync<T>(Task<T> work, TimeSpan longest)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!work.IsCompleted)
        {
            Task scheduled;
            lock (_gate)
                scheduled = _timerScheduled.Task;
            if (NextShortTimer(longest) is { } wait)
            {
                Advance(wait);
                await Task.Yield();
                continue;
            }
            await Task.WhenAny(work, scheduled).WaitAsync(safety.Token);
        }
        return await work;
    }

    /// <inheritdoc cref="RunAdvancingAsync{T}(Task{T}, TimeSpan)"/>
    public Task RunAdvancingAsync(Task work, TimeSpan longest) =>
        RunAdvancingAsync(work.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), longest);

    /// <summary>The wait until the first pending timer whose due time is at most <paramref name="longest"/>, or null.</summary>
    private TimeSpan? NextShortTimer(TimeSpan longest)
    {
        lock (_gate)
        {
            var now = Now;
            var due = _timers.Where(t => t.Pending && t.DueTime <= longest).MinBy(t => t.DueAt);
            return due is null ? null : due.DueAt - now < TimeSpan.Zero ? TimeSpan.Zero : due.DueAt - now;
        }
    }

    /// <summary>Sets now; called under the lock.</summary>
    private void SetNow(DateTimeOffset value)
    {
        if (_base is null)
        {
            _start = value;
            _offset = TimeSpan.Zero;
        }
        else
        {
            _offset = value - _base.GetUtcNow();
        }
    }

    private void MoveTo(DateTimeOffset target)
    {
        while (true)
        {
            FakeTimer? due;
            DateTimeOffset now;
            lock (_gate)
            {
                due = _timers.Where(t => t.Pending && t.DueAt <= target).MinBy(t => t.DueAt);
                if (due is null)
                {
                    if (target > Now)
                        SetNow(target);
                    return;
                }
                now = Now;
                if (due.DueAt > now)
                {
                    SetNow(due.DueAt);
                    now = due.DueAt;
                }
                // A periodic timer's next due time counts from when it fired; over a base clock (which may have jumped past
                // it), from when it was due.
                due.Fired(_base is null ? now : due.DueAt);
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
            timer.Schedule(dueTime, period, Now);
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
