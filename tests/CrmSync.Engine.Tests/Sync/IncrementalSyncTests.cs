using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;

namespace CrmSync.Engine.Tests.Sync;

public sealed class IncrementalSyncTests
{
    private static async Task<SyncTestBed> CopiedAsync()
    {
        var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com");
        bed.Lead("00Q000000000002AAA", "Baker", "baker@example.com");
        bed.Contact("003000000000001AAA", "Smith", "smith@example.com", "CEO");
        bed.Account("001000000000001AAA", "Acme", 100m, "Gold");
        var first = await bed.CycleAsync();
        Assert.True(first.State == RunState.Succeeded, first.Error?.ToString());
        return bed;
    }

    [Fact]
    public async Task An_idle_cycle_costs_at_most_two_api_calls_for_all_objects()
    {
        using var bed = await CopiedAsync();
        var before = bed.Source.Calls;

        var idle = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, idle.State);
        Assert.Equal(RunKind.Incremental, idle.Kind);
        Assert.InRange(bed.Source.Calls - before, 1, 2);
        Assert.Equal(["Batch 3"], bed.Source.CallLog.Skip(before).ToList());
        Assert.InRange(idle.ApiCalls, 1, 2);
        Assert.Equal(idle.ApiCalls, bed.Store.Runs.Get(idle.RunId)!.ApiCalls);
        Assert.All(idle.Counts, c => Assert.Equal(0, c.New + c.Updated + c.Deleted + c.Failed));
    }

    [Fact]
    public async Task The_pull_counts_batched_reads_by_what_the_change_source_says_one_call_can_read()
    {
        using var bed = await CopiedAsync();
        bed.Source.MaxObjectsPerBatchedRead = 2; // three objects: two calls

        var idle = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, idle.State);
        Assert.Equal(2, idle.ApiCalls);
        bed.Source.MaxObjectsPerBatchedRead = 1;
        Assert.Equal(3, (await bed.CycleAsync()).ApiCalls);
    }

    [Fact]
    public async Task The_run_counts_real_http_requests_through_a_call_counter_when_one_is_wired()
    {
        using var bed = await CopiedAsync();
        var counter = new CrmCallCounter();
        bed.Source.BeforePage = _ => counter.Report(new CrmClientEvent(CrmEventLevel.Debug, CrmEventKind.Request, "GET /composite -> 200"));
        var orchestrator = new SyncOrchestrator(bed.Store, bed.Client, new SyncOptions { PageSize = 2 }, callCounter: counter);

        var idle = await orchestrator.RunCycleAsync(null, CancellationToken.None);

        Assert.Equal(counter.Count, idle.ApiCalls); // one "request" per page the fake served: three first pages in one batch
        Assert.Equal(3, idle.ApiCalls);
    }

    [Fact]
    public async Task Equal_stamps_across_a_page_boundary_and_late_commits_inside_the_overlap_are_not_lost()
    {
        using var bed = await CopiedAsync();
        var watermarkBefore = bed.Store.Watermarks.Read("Lead", WatermarkTable.PullUpdates)!.Stamp;
        var same = bed.Source.NextStamp();
        bed.Lead("00Q000000000011AAA", "Same1", stamp: same);
        bed.Lead("00Q000000000012AAA", "Same2", stamp: same);
        bed.Lead("00Q000000000013AAA", "Same3", stamp: same);
        var changed = await bed.CycleAsync();
        Assert.Equal(3, changed.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates).New);
        Assert.NotEqual(watermarkBefore, bed.Store.Watermarks.Read("Lead", WatermarkTable.PullUpdates)!.Stamp);

        // A record committed late: its stamp is older than the watermark, but inside the 5-minute overlap.
        bed.Lead("00Q000000000014AAA", "Late", stamp: same.AddMinutes(-3));
        // One older than the overlap is outside what an incremental read looks at.
        bed.Lead("00Q000000000015AAA", "TooLate", stamp: same.AddMinutes(-30));
        var late = await bed.CycleAsync();

        Assert.Equal(1, late.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates).New);
        Assert.Single(bed.Rows("person", "LastName = 'Late'"));
        Assert.Empty(bed.Rows("person", "LastName = 'TooLate'"));
        Assert.Equal(6, bed.Rows("person", "_crm_type = 'Lead'").Count);
        // The overlap re-reads the three equal-stamp leads: they are Skipped, not New again.
        Assert.True(late.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates).Skipped >= 3);
    }

    [Fact]
    public async Task An_update_changes_the_row_in_place_and_records_the_new_stamp()
    {
        using var bed = await CopiedAsync();
        var rowId = bed.Row("person", "00Q000000000001AAA")["_row_id"];
        var record = bed.Lead("00Q000000000001AAA", "Ames-Updated", "new@example.com", employees: 42);

        var result = await bed.CycleAsync();

        var row = bed.Row("person", "00Q000000000001AAA");
        Assert.Equal(rowId, row["_row_id"]);
        Assert.Equal("Ames-Updated", row["LastName"]);
        Assert.Equal(42L, row["NumberOfEmployees"]);
        Assert.Equal(SqliteValueConverter.FormatDateTime(record.ModifiedAt!.Value), row["_crm_modstamp"]);
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates).Updated);
    }

    [Fact]
    public async Task A_crm_delete_only_flags_the_row_and_keeps_its_data()
    {
        using var bed = await CopiedAsync();
        bed.Source.Delete("Lead", "00Q000000000002AAA");

        var result = await bed.CycleAsync();

        var row = bed.Row("person", "00Q000000000002AAA");
        Assert.Equal(1L, row["_crm_is_deleted"]);
        Assert.Equal("Baker", row["LastName"]);
        Assert.Equal(3, bed.Rows("person").Count);
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullDeletes).Deleted);

        var again = await bed.CycleAsync(); // the overlap reads the deleted row again: nothing changes
        Assert.Equal(1, again.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullDeletes).Skipped);
        Assert.Equal(1L, bed.Row("person", "00Q000000000002AAA")["_crm_is_deleted"]);
    }

    [Fact]
    public async Task The_delete_log_is_read_once_a_day_and_a_stale_delete_pass_makes_a_full_reread_that_flags_what_was_purged()
    {
        using var bed = await CopiedAsync();
        var clock = bed.FakeTime!;
        // Hard-deleted between cycles: queryAll no longer shows it; only the delete log does.
        bed.Source.Purge("Lead", "00Q000000000001AAA");
        bed.Source.LogDeletion("Lead", "00Q000000000001AAA", clock.GetUtcNow());

        var sameDay = await bed.CycleAsync();
        Assert.DoesNotContain(bed.Source.CallLog, c => c.StartsWith("Deleted", StringComparison.Ordinal));
        Assert.Equal(0L, bed.Row("person", "00Q000000000001AAA")["_crm_is_deleted"]);
        Assert.Equal(RunState.Succeeded, sameDay.State);

        clock.Advance(TimeSpan.FromHours(25));
        var nextDay = await bed.CycleAsync();
        Assert.Contains("Deleted Lead", bed.Source.CallLog);
        Assert.Equal(1L, bed.Row("person", "00Q000000000001AAA")["_crm_is_deleted"]);
        Assert.Equal(1, nextDay.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullDeletes).Deleted);

        // Sixteen days without a sync: the delete pass is older than Salesforce's 15-day delete log. A lead deleted and
        // purged meanwhile is in neither queryAll nor the delete log: only a full re-read shows it is gone.
        bed.Source.Purge("Lead", "00Q000000000002AAA");
        clock.Advance(TimeSpan.FromDays(16));
        var readsBefore = bed.Source.CallLog.Count(c => c == "ReadAll Lead");
        var late = await bed.CycleAsync();
        Assert.Equal(RunState.Succeeded, late.State);
        Assert.Contains(late.Warnings, w => w.Contains("Lead", StringComparison.Ordinal) && w.Contains("15 days", StringComparison.Ordinal)
                                            && w.Contains("read in full again", StringComparison.Ordinal));
        Assert.DoesNotContain(late.Warnings, w => w.Contains("Reset", StringComparison.Ordinal));
        Assert.Equal(readsBefore + 1, bed.Source.CallLog.Count(c => c == "ReadAll Lead"));
        Assert.Equal(1L, bed.Row("person", "00Q000000000002AAA")["_crm_is_deleted"]);
        Assert.Equal(0L, bed.Row("person", "003000000000001AAA")["_crm_is_deleted"]);
        Assert.Equal(1, late.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullDeletes).Deleted);

        var after = await bed.CycleAsync();
        Assert.Equal(RunKind.Incremental, after.Kind);
        Assert.DoesNotContain(after.Warnings, w => w.Contains("15 days", StringComparison.Ordinal));
        Assert.Equal(readsBefore + 1, bed.Source.CallLog.Count(c => c == "ReadAll Lead"));
    }

    [Fact]
    public async Task Formula_fields_are_re_read_on_their_slower_schedule_without_a_stamp_change()
    {
        using var bed = await CopiedAsync();
        bed.Source.SetWithoutStamp("Account", "001000000000001AAA", "Tier__c", "Platinum");

        await bed.CycleAsync();
        Assert.Equal("Gold", bed.Row("account", "001000000000001AAA")["Tier__c"]); // the stamp did not move: not seen yet
        Assert.DoesNotContain(bed.Source.CallLog, c => c == "ReadAll Account" && bed.Source.CallLog.Count(x => x == c) > 1);

        bed.FakeTime!.Advance(TimeSpan.FromHours(24));
        var formulaCycle = await bed.CycleAsync();

        Assert.Equal("Platinum", bed.Row("account", "001000000000001AAA")["Tier__c"]);
        Assert.Equal(["Tier__c"], bed.Source.LastRequestedFields["Account"]);
        Assert.Equal(1, formulaCycle.Counts.Single(c => c.ObjectName == "Account" && c.Operation == RunOperation.PullUpdates).Updated);
        Assert.Null(bed.Store.Checkpoints.Read("Account", "formula"));
        var readsBefore = bed.Source.CallLog.Count(c => c == "ReadAll Account");
        await bed.CycleAsync();
        Assert.Equal(readsBefore, bed.Source.CallLog.Count(c => c == "ReadAll Account")); // not due again for 24 hours
    }

    [Fact]
    public async Task The_cycle_stops_after_the_current_object_when_the_api_allowance_reaches_its_reserve()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        bed.Contact("003000000000001AAA", "Smith");
        bed.Client.FakeSession.ApiUsage = new CrmApiUsage(95_000, 100_000);

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.True(result.StoppedAtApiReserve);
        Assert.Contains(result.Warnings, w => w.Contains("reserve", StringComparison.Ordinal));
        Assert.Equal(["Lead"], result.InitialCopiesCompleted);
        Assert.Empty(bed.Rows("person", "_crm_type = 'Contact'"));
        Assert.Equal(95_000, bed.Store.ApiUsage.Latest()!.Used);

        bed.Client.FakeSession.ApiUsage = new CrmApiUsage(1_000, 100_000);
        var next = await bed.CycleAsync();
        Assert.False(next.StoppedAtApiReserve);
        Assert.Single(bed.Rows("person", "_crm_type = 'Contact'"));
    }
}
