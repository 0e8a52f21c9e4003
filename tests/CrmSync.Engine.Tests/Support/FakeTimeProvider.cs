namespace CrmSync.Engine.Tests.Support;

/// <summary>
/// A clock that moves only when a test says so (Microsoft.Extensions.TimeProvider.Testing is not available here).
/// Timers are not faked: use it for timestamps and expiry, not for waiting.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _now;

    public FakeTimeProvider(DateTimeOffset? start = null) =>
        _now = start ?? new DateTimeOffset(2026, 11, 2, 9, 30, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        lock (_gate)
            _now += by;
    }

    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_gate)
            _now = value.ToUniversalTime();
    }
}
