namespace CrmSync.Engine.Tests.Crm;

/// <summary>
/// Compatibility name only: forwards to the one fake clock, <see cref="Support.FakeTimeProvider"/>. It remains because
/// Commands/StartSyncCommandTests.cs (another helper's work in progress) still aliases this name; delete this file once
/// that alias points at <c>CrmSync.Engine.Tests.Support.FakeTimeProvider</c>.
/// </summary>
internal sealed class FakeTimeProvider(DateTimeOffset? start = null) : TimeProvider
{
    private readonly Support.FakeTimeProvider _clock = new(start);

    public IReadOnlyList<TimeSpan> RequestedDelays => _clock.RequestedDelays;

    public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();

    public override long GetTimestamp() => _clock.GetTimestamp();

    public override long TimestampFrequency => _clock.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _clock.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _clock.CreateTimer(callback, state, dueTime, period);

    public void Advance(TimeSpan by) => _clock.Advance(by);

    public Task WaitForPendingTimerAsync(TimeSpan dueTime) => _clock.WaitForPendingTimerAsync(dueTime);
}
