using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;

namespace CrmSync.Engine.Tests.Sync;

public sealed class SyncOrchestratorTests
{
    [Fact]
    public async Task A_second_start_while_a_run_holds_the_lock_fails_naming_the_holder_and_records_no_run()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        var other = bed.Store.RunLock.Acquire(); // another process's live lease

        var error = await Assert.ThrowsAsync<CrmSyncException>(() => bed.CycleAsync());

        Assert.Equal(ErrorIds.SyncLockHeld, error.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, error.Kind);
        Assert.Contains(Environment.MachineName, error.Message, StringComparison.Ordinal);
        Assert.Contains($"process {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Contains("since", error.Message, StringComparison.Ordinal);
        Assert.Null(bed.Store.Runs.Latest());
        Assert.Equal(other.HolderId, bed.Store.RunLock.ReadCurrent()!.HolderId); // the holder keeps it
    }

    [Fact]
    public async Task A_dead_holders_lease_expires_and_the_next_start_takes_over()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        bed.Store.RunLock.Acquire(TimeSpan.FromMinutes(2)); // a process that died without releasing
        bed.FakeTime!.Advance(TimeSpan.FromMinutes(3));

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Null(bed.Store.RunLock.ReadCurrent());
    }

    [Fact]
    public async Task The_lease_is_extended_after_pages_so_a_long_run_keeps_it()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 9; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        var alive = new List<bool>();
        bed.Source.BeforePage = _ =>
        {
            bed.FakeTime!.Advance(TimeSpan.FromSeconds(50)); // each page takes 50 s; five pages outlast a 2-minute lease
            alive.Add(bed.Store.RunLock.ReadCurrent()!.IsAliveAt(bed.FakeTime.GetUtcNow()));
        };

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.True(alive.Count >= 5);
        Assert.All(alive, Assert.True);
    }

    [Fact]
    public async Task A_run_whose_expired_lease_was_taken_over_stops_as_failed_and_leaves_the_new_holder_alone()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 5; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        RunLease? usurper = null;
        bed.Source.BeforePage = _ =>
        {
            if (usurper is not null) return;
            // this run stalled past its lease (no heartbeat: the process was frozen) ...
            bed.Execute($"UPDATE crmsync_run_lock SET expires_at = '{StoreTime.Format(bed.FakeTime!.GetUtcNow() - TimeSpan.FromSeconds(1))}';");
            usurper = bed.Store.RunLock.Acquire(); // ... another process took the lock over ...
            bed.FakeTime.Advance(TimeSpan.FromMinutes(3)); // ... and this one resumes: its next heartbeat finds the lease gone
        };

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Failed, result.State);
        Assert.Equal(ErrorIds.SyncLockHeld, result.Error!.ErrorId);
        Assert.Equal(usurper!.HolderId, bed.Store.RunLock.ReadCurrent()!.HolderId);
    }

    [Fact]
    public async Task Two_overlapping_cycles_never_both_run()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        bed.Lead("00Q000000000002AAA", "Baker");
        bed.Lead("00Q000000000003AAA", "Cole");
        CrmSyncException? second = null;
        bed.Source.BeforePage = _ =>
        {
            if (second is null)
                second = Assert.ThrowsAsync<CrmSyncException>(() => bed.CycleAsync()).GetAwaiter().GetResult();
        };

        var first = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, first.State);
        Assert.Equal(ErrorIds.SyncLockHeld, second!.ErrorId);
        Assert.Single(bed.Store.Runs.List());
    }

    [Fact]
    public async Task The_first_cycle_locks_the_mappings_and_later_cycles_are_not_first_starts()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        Assert.True(SyncOrchestrator.IsFirstStart(bed.Store));
        var mappings = new FieldMappingService(bed.Store, SyncedObjectCatalog.Salesforce);
        mappings.Set(new FieldMappingChange("Lead", "Company") { Rule = FieldMappingRule.AlwaysCrm }); // allowed before the first start

        await bed.CycleAsync();

        Assert.False(SyncOrchestrator.IsFirstStart(bed.Store));
        var profile = bed.Store.Profile.Read()!;
        Assert.NotNull(profile.MappingsLockedAt);
        Assert.NotNull(profile.FirstStartedAt);
        var error = Assert.Throws<CrmSyncException>(() => mappings.Set(new FieldMappingChange("Lead", "Company") { Rule = FieldMappingRule.TwoWay }));
        Assert.Equal(ErrorIds.MappingLocked, error.ErrorId);
        var locked = profile.MappingsLockedAt;
        await bed.CycleAsync();
        Assert.Equal(locked, bed.Store.Profile.Read()!.MappingsLockedAt);
    }

    [Fact]
    public async Task A_disabled_profile_fails_with_SyncDisabled_unless_start_enables_it_again()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        SyncOrchestrator.DisableSync(bed.Store);

        var error = await Assert.ThrowsAsync<CrmSyncException>(() => bed.CycleAsync(new SyncOptions { EnableSync = false }));
        Assert.Equal(ErrorIds.SyncDisabled, error.ErrorId);
        Assert.Null(bed.Store.Runs.Latest());

        var result = await bed.CycleAsync(new SyncOptions { EnableSync = true });
        Assert.Equal(RunState.Succeeded, result.State);
        Assert.True(bed.Store.Profile.Read()!.SyncEnabled);
    }

    [Fact]
    public async Task Without_synced_fields_the_start_says_to_run_Sync_CrmField()
    {
        using var home = new TempDirectory("crmsync-sync");
        using var store = Support.TestProfiles.CreateStore(home);
        var orchestrator = new SyncOrchestrator(store, new FakeCrmClient(new FakeChangeSource()));

        var error = await Assert.ThrowsAsync<CrmSyncException>(() => orchestrator.RunCycleAsync(null, CancellationToken.None));

        Assert.Equal(ErrorIds.FieldsNotSynced, error.ErrorId);
        Assert.Null(store.RunLock.ReadCurrent());
        Assert.True(SyncOrchestrator.IsFirstStart(store));
    }

    [Fact]
    public async Task The_push_phase_runs_after_the_pull_under_the_same_run_and_a_job_failure_there_fails_the_cycle()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        var push = new RecordingPush(bed);

        var result = await bed.Orchestrator(push: push).RunCycleAsync(null, CancellationToken.None);

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Equal(result.RunId, push.RunId);
        Assert.Equal(1, push.PersonsWhenCalled); // the pull had committed
        Assert.Contains(result.Counts, c => c.ObjectName == "Lead" && c.Operation == RunOperation.PushUpdates && c.Updated == 1);

        push.FailWith = new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError, "The session was refused.", "Connect again.");
        var failed = await bed.Orchestrator(push: push).RunCycleAsync(null, CancellationToken.None);
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal(ErrorIds.InvalidCredentials, bed.Store.Runs.Get(failed.RunId)!.ErrorId);
    }

    [Fact]
    public async Task A_continuous_sync_waits_the_interval_from_the_end_of_each_cycle_and_stops_when_sync_is_disabled()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        using var bed = new SyncTestBed(clock);
        bed.Lead("00Q000000000001AAA", "Ames");
        bed.Lead("00Q000000000002AAA", "Baker");
        bed.Lead("00Q000000000003AAA", "Cole");
        var interval = TimeSpan.FromMinutes(5);
        bed.Source.BeforePage = _ => clock.Advance(TimeSpan.FromSeconds(20)); // every page takes 20 s of CRM time
        var results = new List<SyncRunResult>();
        var cycleEnded = new List<DateTimeOffset>();
        var orchestrator = bed.Orchestrator(new SyncOptions { PageSize = 2 });

        var loop = orchestrator.RunContinuousAsync(interval, null, r =>
        {
            lock (results)
            {
                results.Add(r);
                cycleEnded.Add(clock.GetUtcNow());
            }
        }, CancellationToken.None);

        await clock.WaitForPendingTimerAsync(interval);
        Assert.Single(results);
        Assert.Equal(RunKind.Initial, results[0].Kind);
        Assert.Equal(cycleEnded[0] + interval, bed.Store.Profile.Read()!.NextRunAt); // counted from the END of the cycle
        Assert.True(cycleEnded[0] > results[0].StartedAt);

        clock.Advance(interval);
        await clock.WaitForPendingTimerAsync(interval);
        Assert.Equal(2, results.Count);
        Assert.Equal(RunKind.Incremental, results[1].Kind);
        Assert.True(results[1].StartedAt >= cycleEnded[0] + interval);

        SyncOrchestrator.DisableSync(bed.Store); // Stop-CrmSync from another session
        clock.Advance(interval);
        var cycles = await loop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, cycles);
        Assert.Equal(2, bed.Store.Runs.List().Count);
        Assert.Null(bed.Store.Profile.Read()!.NextRunAt);
    }

    [Fact]
    public async Task A_continuous_sync_ends_when_cancelled_while_waiting()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        using var bed = new SyncTestBed(clock);
        bed.Lead("00Q000000000001AAA", "Ames");
        using var cts = new CancellationTokenSource();

        var loop = bed.Orchestrator().RunContinuousAsync(SyncOrchestrator.DefaultInterval, null, null, cts.Token);
        await clock.WaitForPendingTimerAsync(SyncOrchestrator.DefaultInterval);
        await cts.CancelAsync();

        Assert.Equal(1, await loop.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Null(bed.Store.Profile.Read()!.NextRunAt);
        Assert.Null(bed.Store.RunLock.ReadCurrent());
    }

    [Fact]
    public async Task A_push_phase_that_guards_conflicts_keeps_chosen_local_columns_during_the_pull()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com");
        await bed.CycleAsync();
        bed.Execute("UPDATE person SET LastName = 'Ames (local edit)' WHERE _crm_id = '00Q000000000001AAA'");
        bed.Lead("00Q000000000001AAA", "Ames-CRM", "ames@crm.example");
        var guard = new KeepColumnGuard("LastName");

        var result = await bed.Orchestrator(push: guard).RunCycleAsync(null, CancellationToken.None);

        Assert.Equal(RunState.Succeeded, result.State);
        var row = bed.Row("person", "00Q000000000001AAA");
        Assert.Equal("Ames (local edit)", row["LastName"]); // kept: the local change wins
        Assert.Equal("ames@crm.example", row["Email"]); // the rest of the CRM change lands
        Assert.Equal("Lead", guard.ObjectsAsked.Single());
        Assert.True(guard.PushRan);
    }

    private sealed class KeepColumnGuard(string column) : IPushPhase, IPullConflictGuard
    {
        public List<string> ObjectsAsked { get; } = [];
        public bool PushRan { get; private set; }

        public IReadOnlyCollection<string>? ColumnsToKeep(Microsoft.Data.Sqlite.SqliteTransaction transaction, SyncedObjectPlan plan, long rowId, CrmSync.Engine.Crm.CrmRecord record)
        {
            ObjectsAsked.Add(plan.ObjectName);
            return [column];
        }

        public Task RunAsync(SyncCycleContext context, CancellationToken cancellationToken)
        {
            PushRan = true;
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingPush(SyncTestBed bed) : IPushPhase
    {
        public long RunId { get; private set; }
        public int PersonsWhenCalled { get; private set; }
        public CrmSyncException? FailWith { get; set; }

        public Task RunAsync(SyncCycleContext context, CancellationToken cancellationToken)
        {
            RunId = context.RunId;
            PersonsWhenCalled = bed.Rows("person").Count;
            if (FailWith is not null)
                throw FailWith;
            using var connection = context.Store.OpenConnection();
            using var transaction = connection.BeginTransaction();
            SyncWriteMarker.Begin(transaction, context.RunId);
            context.Counts.Commit(transaction, "Lead", RunOperation.PushUpdates, new OperationTally { Updated = 1 });
            SyncWriteMarker.End(transaction);
            transaction.Commit();
            context.Heartbeat();
            return Task.CompletedTask;
        }
    }
}
