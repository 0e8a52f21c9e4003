using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

public sealed class InitialCopyTests
{
    [Fact]
    public async Task First_cycle_copies_every_object_converts_values_and_completes_the_checkpoint()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 5; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}", $"lead{i}@example.com", employees: 10 * i);
        bed.Contact("003000000000001AAA", "Smith", "smith@example.com", "CEO");
        bed.Contact("003000000000002AAA", "Jones", null, null);
        bed.Account("001000000000001AAA", "Acme", 1234567.89m, "Gold");

        var progress = new List<SyncProgress>();
        var result = await bed.CycleAsync(progress: new InlineProgress<SyncProgress>(progress.Add));

        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        Assert.Equal(RunKind.Initial, result.Kind);
        Assert.Null(result.Error);
        Assert.Equal(["Lead", "Contact", "Account"], result.InitialCopiesCompleted);
        Assert.True(result.InitialSyncCompleted);
        Assert.Equal(7, bed.Rows("person").Count);
        Assert.Equal(5, bed.Rows("person", "_crm_type = 'Lead'").Count);
        Assert.Equal(2, bed.Rows("person", "_crm_type = 'Contact'").Count);

        var lead = bed.Row("person", "00Q000000000003AAA");
        Assert.Equal("Lead3", lead["LastName"]);
        Assert.Equal(30L, lead["NumberOfEmployees"]);
        Assert.Equal(0L, lead["HasOptedOutOfEmail"]);
        Assert.Equal(0L, lead["_crm_is_deleted"]);
        Assert.Equal("2025-01-02T03:04:05.600Z", lead["_crm_created_date"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", (string)lead["_crm_modstamp"]!);
        var contact = bed.Row("person", "003000000000001AAA");
        Assert.Equal("1980-05-17", contact["Birthdate"]);
        Assert.Equal("CEO", contact["Title"]);
        var account = bed.Row("account", "001000000000001AAA");
        Assert.Equal(1234567.89, Convert.ToDouble(account["AnnualRevenue"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Gold", account["Tier__c"]);

        Assert.Empty(bed.Store.Checkpoints.List());
        foreach (var name in new[] { "Lead", "Contact", "Account" })
        {
            Assert.NotNull(bed.Store.Watermarks.Read(name, WatermarkTable.PullUpdates));
            Assert.NotNull(bed.Store.Watermarks.Read(name, WatermarkTable.Formula));
            Assert.NotNull(bed.Store.Watermarks.Read(name, WatermarkTable.PullDeletes));
        }
        var leadCounts = result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates);
        Assert.Equal(5, leadCounts.New);
        Assert.Equal(result.Counts, bed.Store.Runs.Counts(result.RunId)
            .Select(c => new SyncOperationCount(c.ObjectName, c.Operation, c.New, c.Updated, c.Deleted, c.Failed, c.Skipped)).ToList());
        var run = bed.Store.Runs.Get(result.RunId)!;
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(result.ApiCalls, run.ApiCalls);
        Assert.True(result.ApiCalls >= 3);
        Assert.Contains(progress, p => p.ObjectName == "Lead" && p.Phase == SyncPhase.InitialCopy && p.Done == 5 && p.Total == 5);
        Assert.Contains("IsConverted", bed.Source.LastRequestedFields["Lead"]);
        Assert.Contains("ConvertedContactId", bed.Source.LastRequestedFields["Lead"]);
    }

    [Fact]
    public async Task A_failure_mid_copy_is_recorded_and_the_next_cycle_resumes_from_the_checkpoint_without_duplicates()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 7; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        bed.Source.FailAfterPages = 2; // pages 1 and 2 (4 leads) commit, the third read fails

        var failed = await bed.CycleAsync();

        Assert.Equal(RunState.Failed, failed.State);
        Assert.False(failed.InitialSyncCompleted);
        Assert.Equal(ErrorIds.CrmUnreachable, failed.Error!.ErrorId);
        var run = bed.Store.Runs.Get(failed.RunId)!;
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal(ErrorIds.CrmUnreachable, run.ErrorId);
        Assert.Contains(bed.Store.Errors.List(runId: failed.RunId), e => e.Level == SyncErrorLevel.Job && e.ErrorId == ErrorIds.CrmUnreachable);
        var checkpoint = bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial)!;
        Assert.Equal(4, checkpoint.RowsDone);
        Assert.Equal(4, bed.Rows("person").Count);
        Assert.Null(bed.Store.RunLock.ReadCurrent()); // released in finally

        var resumed = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, resumed.State);
        Assert.Equal(RunKind.Initial, resumed.Kind);
        // Lead from scratch (failed), Lead from its checkpoint, then Contact and Account from scratch.
        Assert.Equal(4, bed.Source.FullReadResumeCursors.Count);
        Assert.Null(bed.Source.FullReadResumeCursors[0]);
        Assert.NotNull(bed.Source.FullReadResumeCursors[1]);
        var rows = bed.Rows("person");
        Assert.Equal(7, rows.Count);
        Assert.Equal(7, rows.Select(r => r["_crm_id"]).Distinct().Count());
        Assert.Equal(3, resumed.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates).New);
        Assert.Null(bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial));
    }

    [Fact]
    public async Task Cancellation_stops_after_the_page_in_flight_commits_and_the_next_cycle_continues()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 5; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress<SyncProgress>(p =>
        {
            if (p.ObjectName == "Lead" && p.Done == 2) cts.Cancel(); // Ctrl+C while the first page is being committed
        });

        var cancelled = await bed.CycleAsync(progress: progress, cancellationToken: cts.Token);

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(ErrorIds.SyncCancelled, cancelled.Error!.ErrorId);
        Assert.Equal(RunState.Cancelled, bed.Store.Runs.Get(cancelled.RunId)!.State);
        Assert.Equal(2, bed.Rows("person").Count);
        Assert.Equal(2, bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial)!.RowsDone);

        var next = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, next.State);
        Assert.Equal(5, bed.Rows("person").Select(r => r["_crm_id"]).Distinct().Count());
        Assert.Equal(5, bed.Rows("person").Count);
    }
}
