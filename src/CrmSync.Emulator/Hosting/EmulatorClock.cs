namespace CrmSync.Emulator.Hosting;

/// <summary>
/// The emulator's clock: another time provider (the system clock by default) plus an offset that tests, demos and
/// the admin API can move forward; or a frozen instant when created with <see cref="Frozen"/>.
/// </summary>
public sealed class EmulatorClock : TimeProvider
{
    private readonly TimeProvider? _inner;
    private readonly object _sync = new();
    private DateTimeOffset _frozen;
    private TimeSpan _offset;

    /// <summary>A clock that follows <paramref name="inner"/> (plus any advance).</summary>
    public EmulatorClock(TimeProvider inner) => _inner = inner;

    private EmulatorClock(DateTimeOffset frozen) => _frozen = frozen;

    /// <summary>A clock that stands still at <paramref name="start"/> until advanced.</summary>
    public static EmulatorClock Frozen(DateTimeOffset start) => new(start);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_sync)
        {
            return (_inner?.GetUtcNow() ?? _frozen) + _offset;
        }
    }

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "The clock only moves forward.");
        }
        lock (_sync)
        {
            _offset += by;
        }
    }
}
