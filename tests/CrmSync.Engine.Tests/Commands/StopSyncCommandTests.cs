using CrmSync.Engine.Commands;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Commands;

/// <summary>Stop-CrmSync / crmsync stop through a fake host.</summary>
public sealed class StopSyncCommandTests
{
    [Fact]
    public async Task Stop_asks_then_disables_the_sync_and_writes_the_status()
    {
        using var bed = new StartSyncTestBed();
        var host = new FakeCommandHost(answer: true);
        var command = bed.Stop();

        await command.ExecuteAsync(host, CancellationToken.None);

        var (target, action) = Assert.Single(host.ShouldProcessCalls);
        Assert.Equal(StopSyncCommand.Action, action);
        Assert.Contains("'prod'", target, StringComparison.Ordinal);
        Assert.True(command.Disabled);
        Assert.False(bed.Store.Profile.Read()!.SyncEnabled);
        var status = Assert.Single(host.OutputOf<SyncStatus>());
        Assert.False(status.Enabled);
        Assert.Equal("prod", status.Profile);
    }

    [Fact]
    public async Task Stop_with_WhatIf_or_declined_changes_nothing_and_writes_nothing()
    {
        using var bed = new StartSyncTestBed();
        var host = new FakeCommandHost(answer: false);

        await bed.Stop().ExecuteAsync(host, CancellationToken.None);

        Assert.Single(host.ShouldProcessCalls);
        Assert.True(bed.Store.Profile.Read()!.SyncEnabled);
        Assert.Empty(host.Output);
    }

    [Fact]
    public async Task Stop_while_a_run_holds_the_lock_says_the_cycle_in_flight_finishes()
    {
        using var bed = new StartSyncTestBed();
        bed.Store.RunLock.Acquire();
        var host = new FakeCommandHost();

        await bed.Stop().ExecuteAsync(host, CancellationToken.None);

        Assert.Contains(host.Verbose, v => v.Contains("finishes its current cycle", StringComparison.Ordinal));
        Assert.False(bed.Store.Profile.Read()!.SyncEnabled);
    }

    [Fact]
    public async Task Stop_of_an_unknown_profile_is_ProfileNotFound()
    {
        using var bed = new StartSyncTestBed();
        var command = new StopSyncCommand(bed.Profiles, new StopSyncOptions { Profile = "nope" });

        var error = await Assert.ThrowsAsync<CrmSyncException>(() => command.ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
    }
}
