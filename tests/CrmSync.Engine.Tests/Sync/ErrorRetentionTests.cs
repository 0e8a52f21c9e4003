using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>Get-CrmSyncError promises errors are kept 5 days by default: each successful cycle purges older ones.</summary>
public sealed class ErrorRetentionTests
{
    private static long RecordError(SyncTestBed bed, string message) =>
        bed.Store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.UnexpectedError, message, ObjectName: "Lead"));

    private static List<string> Messages(SyncTestBed bed) => bed.Store.Errors.List().Select(e => e.Message).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task A_successful_cycle_deletes_errors_older_than_the_default_five_days_and_keeps_newer_ones()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        RecordError(bed, "six days old");
        bed.FakeTime!.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));
        RecordError(bed, "almost five days old");
        bed.FakeTime.Advance(TimeSpan.FromDays(5) - TimeSpan.FromHours(1) - TimeSpan.FromMinutes(2));
        RecordError(bed, "one hour old");
        bed.FakeTime.Advance(TimeSpan.FromHours(1)); // now: six days after the first error

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Equal(TimeSpan.FromDays(5), SyncErrorLog.DefaultRetention);
        Assert.Equal(SyncErrorLog.DefaultRetention, new SyncOptions().ErrorRetention);
        Assert.Equal(["almost five days old", "one hour old"], Messages(bed));
    }

    [Fact]
    public async Task The_retention_is_configurable_and_null_keeps_errors_forever()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        RecordError(bed, "forty days old");
        bed.FakeTime!.Advance(TimeSpan.FromDays(38));
        RecordError(bed, "two days old");
        bed.FakeTime.Advance(TimeSpan.FromDays(2));

        Assert.Equal(RunState.Succeeded, (await bed.CycleAsync(new SyncOptions { PageSize = 2, ErrorRetention = null })).State);
        Assert.Equal(["forty days old", "two days old"], Messages(bed));

        Assert.Equal(RunState.Succeeded, (await bed.CycleAsync(new SyncOptions { PageSize = 2, ErrorRetention = TimeSpan.FromDays(1) })).State);
        Assert.Empty(Messages(bed));
    }

    [Fact]
    public async Task A_failed_cycle_purges_nothing_so_its_history_stays_readable()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        RecordError(bed, "ten days old");
        bed.FakeTime!.Advance(TimeSpan.FromDays(10));
        var push = new FailingPush(new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError, "The session was refused.", "Connect again."));

        var result = await bed.Orchestrator(push: push).RunCycleAsync(null, CancellationToken.None);

        Assert.Equal(RunState.Failed, result.State);
        Assert.Equal(["The session was refused.", "ten days old"], Messages(bed));
    }

    [Fact]
    public void A_negative_retention_is_refused()
    {
        using var bed = new SyncTestBed();
        Assert.Throws<ArgumentOutOfRangeException>(() => bed.Orchestrator(new SyncOptions { ErrorRetention = TimeSpan.FromDays(-1) }));
    }

    private sealed class FailingPush(CrmSyncException error) : IPushPhase
    {
        public Task RunAsync(SyncCycleContext context, CancellationToken cancellationToken) => throw error;
    }
}
