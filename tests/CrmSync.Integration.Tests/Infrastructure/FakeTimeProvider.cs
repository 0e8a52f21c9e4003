namespace CrmSync.Integration.Tests.Infrastructure;

/// <summary>
/// The client's manual clock: time moves only when a test advances it, so backoff delays, attempt timeouts, the circuit
/// breaker's break and bulk-job polling never wait on the wall clock. It reads "now" from a base clock (the emulator's, so
/// client and server agree on time) plus its own advances, and records every timer's due time so tests can assert delays.
/// </summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly TimeProvider _base;
    private TimeSpan _offset;
    private TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeTimeProvider(TimeProvider baseClock) => _base = baseClock;

    /// <summary>Due times of every timer scheduled, in order.</summary>
    public List<TimeSpan> RequestedDelays { get; } = [];

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _base.GetUtcNow() + _offset;
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        lock (_gate) _timers.Add(timer);
        Schedule(timer, dueTime, period);
        return timer;
    }

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (dueTime != Timeout.InfiniteTimeSpan) RequestedDelays.Add(dueTime);
            timer.Schedule(dueTime, period, _base.GetUtcNow() + _offset);
            signal = _timerCreated;
            _timerCreated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    /// <summary>Moves time forward and fires every timer that falls due.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_gate) target = _base.GetUtcNow() + _offset + by;
        while (true)
        {
            FakeTimer? due;
            lock (_gate)
            {
                due = _timers.Where(t => t.Pending && t.DueAt <= target).OrderBy(t => t.DueAt).FirstOrDefault();
                if (due is null)
                {
                    _offset = target - _base.GetUtcNow();
                    return;
                }
                // Time reaches the timer before it fires, so a timer its callback (or another thread) creates meanwhile is due later.
                if (due.DueAt > _base.GetUtcNow() + _offset) _offset = due.DueAt - _base.GetUtcNow();
                due.Fired(due.DueAt);
            }
            due.Invoke();
        }
    }

    /// <summary>The shortest pending timer whose due time is at most <paramref name="longest"/>, or null.</summary>
    private TimeSpan? NextShortTimer(TimeSpan longest)
    {
        lock (_gate)
        {
            var now = _base.GetUtcNow() + _offset;
            var due = _timers.Where(t => t.Pending && t.DueTime <= longest).OrderBy(t => t.DueAt).FirstOrDefault();
            return due is null ? null : due.DueAt - now < TimeSpan.Zero ? TimeSpan.Zero : due.DueAt - now;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> to completion, advancing the clock whenever a timer of at most <paramref name="longest"/>
    /// (a backoff or poll delay, not a timeout) is pending. Waits on conditions only; a safety timeout fails a hung test.
    /// </summary>
    public async Task<T> RunAdvancingAsync<T>(Task<T> work, TimeSpan longest)
    {
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!work.IsCompleted)
        {
            Task created;
            lock (_gate) created = _timerCreated.Task;
            if (NextShortTimer(longest) is { } wait)
            {
                Advance(wait);
                await Task.Yield();
                continue;
            }
            await Task.WhenAny(work, created).WaitAsync(safety.Token);
        }
        return await work;
    }

    /// <inheritdoc cref="RunAdvancingAsync{T}(Task{T}, TimeSpan)"/>
    public Task RunAdvancingAsync(Task work, TimeSpan longest) =>
        RunAdvancingAsync(work.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), longest);

    /// <summary>Waits until a timer with exactly <paramref name="dueTime"/> is pending.</summary>
    public async Task WaitForPendingTimerAsync(TimeSpan dueTime)
    {
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_timers.Any(t => t.Pending && t.DueTime == dueTime)) return;
                next = _timerCreated.Task;
            }
            await next.WaitAsync(safety.Token);
        }
    }

    private void Remove(FakeTimer timer)
    {
        lock (_gate) _timers.Remove(timer);
    }

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

        public void Fired(DateTimeOffset at)
        {
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan) DueAt = at + _period;
            else Pending = false;
        }

        public void Invoke() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose()
        {
            Pending = false;
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
