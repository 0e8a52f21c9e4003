using CrmSync.Engine.Commands;

namespace CrmSync.PowerShell.Tests.Commands;

public sealed class ProgressThrottleTests
{
    private readonly FakeTimeProvider clock = new();

    private ProgressThrottle NewThrottle() => new(clock, TimeSpan.FromMilliseconds(200));

    private static ProgressInfo Report(int id, string status, int percent = -1, bool completed = false) =>
        new(id, "Pulling", status, percent, Completed: completed);

    [Fact]
    public void The_first_report_of_an_activity_is_written()
    {
        var throttle = NewThrottle();
        Assert.True(throttle.ShouldWrite(Report(1, "page 1")));
        Assert.Equal([1], throttle.OpenActivityIds);
    }

    [Fact]
    public void Reports_inside_the_interval_are_dropped_and_the_next_one_after_it_is_written()
    {
        var throttle = NewThrottle();
        Assert.True(throttle.ShouldWrite(Report(1, "page 1")));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.False(throttle.ShouldWrite(Report(1, "page 2")));
        clock.Advance(TimeSpan.FromMilliseconds(149));
        Assert.False(throttle.ShouldWrite(Report(1, "page 3")));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(throttle.ShouldWrite(Report(1, "page 4")));
        Assert.False(throttle.ShouldWrite(Report(1, "page 5")));
    }

    [Fact]
    public void Activities_are_throttled_independently()
    {
        var throttle = NewThrottle();
        Assert.True(throttle.ShouldWrite(Report(1, "a")));
        Assert.True(throttle.ShouldWrite(Report(2, "b")));
        Assert.False(throttle.ShouldWrite(Report(1, "a2")));
        Assert.False(throttle.ShouldWrite(Report(2, "b2")));
    }

    [Fact]
    public void Completed_reports_always_pass_and_close_the_activity()
    {
        var throttle = NewThrottle();
        Assert.True(throttle.ShouldWrite(Report(1, "page 1")));
        Assert.True(throttle.ShouldWrite(Report(1, "done", completed: true)));
        Assert.Empty(throttle.OpenActivityIds);
        // a new report of the same id starts a new bar and is written at once
        Assert.True(throttle.ShouldWrite(Report(1, "again")));
    }

    [Fact]
    public void Open_activities_are_completed_once_with_their_latest_text_in_opening_order()
    {
        var throttle = NewThrottle();
        throttle.ShouldWrite(Report(7, "first", 10));
        throttle.ShouldWrite(Report(3, "other", 5));
        throttle.ShouldWrite(Report(7, "latest", 40)); // dropped by the throttle, but remembered

        var closing = throttle.CompleteOpenActivities();

        Assert.Equal([7, 3], closing.Select(p => p.ActivityId));
        Assert.All(closing, p => Assert.True(p.Completed));
        Assert.Equal("latest", closing[0].Status);
        Assert.Empty(throttle.OpenActivityIds);
        Assert.Empty(throttle.CompleteOpenActivities());
    }

    [Fact]
    public void A_negative_interval_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProgressThrottle(clock, TimeSpan.FromSeconds(-1)));
    }
}
