namespace CrmSync.Engine.Tests.Support;

/// <summary>The shared fake clock: timers and timestamps follow <see cref="FakeTimeProvider.Advance"/>, never the wall clock.</summary>
public sealed class FakeTimeProviderTests
{
    [Fact]
    public async Task A_delay_completes_when_the_clock_is_advanced_past_it_and_not_before()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();

        var delay = Task.Delay(TimeSpan.FromSeconds(5), time);
        Assert.Equal([TimeSpan.FromSeconds(5)], time.RequestedDelays);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        await delay.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(start + TimeSpan.FromSeconds(5), time.GetUtcNow());
    }

    [Fact]
    public void Timers_fire_in_due_order_with_the_clock_at_their_due_time_and_periodic_ones_repeat()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        var fired = new List<(string Name, TimeSpan At)>();
        using var periodic = time.CreateTimer(_ => fired.Add(("every 10s", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        using var once = time.CreateTimer(_ => fired.Add(("once at 15s", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(15), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(35));

        Assert.Equal([("every 10s", TimeSpan.FromSeconds(10)), ("once at 15s", TimeSpan.FromSeconds(15)), ("every 10s", TimeSpan.FromSeconds(20)),
            ("every 10s", TimeSpan.FromSeconds(30))], fired);
        Assert.Equal(TimeSpan.FromSeconds(35), time.GetUtcNow() - start);
    }

    [Fact]
    public void A_disposed_or_changed_timer_follows_its_new_schedule()
    {
        var time = new FakeTimeProvider();
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, count);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, count);

        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, count);
    }

    [Fact]
    public void Timestamps_and_elapsed_time_follow_the_fake_clock_and_going_back_fires_nothing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2)));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), time.GetUtcNow());
        var before = time.GetTimestamp();

        time.Advance(TimeSpan.FromMinutes(90));
        Assert.Equal(TimeSpan.FromMinutes(90), time.GetElapsedTime(before));
        Assert.Throws<ArgumentOutOfRangeException>(() => time.Advance(TimeSpan.FromTicks(-1)));

        var fired = 0;
        using var timer = time.CreateTimer(_ => fired++, null, TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan);
        time.SetUtcNow(time.GetUtcNow() - TimeSpan.FromHours(1));
        Assert.Equal(0, fired);
        time.SetUtcNow(time.GetUtcNow() + TimeSpan.FromHours(2));
        Assert.Equal(1, fired);
    }
}
