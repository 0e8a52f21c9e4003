using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>A cycle that finds the lease of a crashed run on this host takes it over at once and says so.</summary>
public sealed class CrashedRunTakeoverTests
{
    [Fact]
    public async Task A_cycle_takes_over_the_lease_of_a_crashed_run_on_this_host_and_warns_about_it()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Lead1");
        var crashed = bed.Store.RunLock.Acquire(TimeSpan.FromMinutes(2));
        bed.Execute($"UPDATE crmsync_run_lock SET pid = {int.MaxValue};"); // its process was killed: no process has the pid

        var result = await bed.CycleAsync();

        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        var warning = Assert.Single(bed.Events, e => e.Message.Contains("crashed run", StringComparison.Ordinal));
        Assert.Equal(SyncEventLevel.Warning, warning.Level);
        Assert.Equal(
            $"Took over the lease of a crashed run (pid {int.MaxValue} on {Environment.MachineName}, since {StoreTime.Format(crashed.AcquiredAt)}).",
            warning.Message);
        Assert.Null(bed.Store.RunLock.ReadCurrent()); // released at the end of the cycle
    }

    [Fact]
    public async Task A_cycle_is_refused_while_a_live_process_on_this_host_holds_the_lease()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Lead1");
        var held = bed.Store.RunLock.Acquire(TimeSpan.FromMinutes(2)); // this (running) process holds it

        var e = await Assert.ThrowsAsync<CrmSyncException>(() => bed.CycleAsync());

        Assert.Equal(ErrorIds.SyncLockHeld, e.ErrorId);
        Assert.DoesNotContain(bed.Events, x => x.Message.Contains("crashed run", StringComparison.Ordinal));
        Assert.Equal(held, bed.Store.RunLock.ReadCurrent());
    }
}
