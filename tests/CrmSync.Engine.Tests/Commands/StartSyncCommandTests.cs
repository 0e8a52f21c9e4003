using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using ManualClock = CrmSync.TestSupport.FakeTimeProvider;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Commands;

/// <summary>Start-CrmSync / crmsync start, driven through a fake host as the cmdlet and the CLI drive it.</summary>
public sealed class StartSyncCommandTests
{
    [Fact]
    public async Task The_first_start_asks_once_with_the_permanent_action_then_copies_and_locks_the_mappings()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(3);
        var host = new FakeCommandHost(answer: true);
        var command = bed.Start();

        await command.ExecuteAsync(host, CancellationToken.None);

        var (target, action) = Assert.Single(host.ShouldProcessCalls);
        Assert.Equal(StartSyncCommand.FirstStartAction(CrmKind.Salesforce), action);
        Assert.Contains("Lock the field mappings", action, StringComparison.Ordinal);
        Assert.Contains("initial full copy", action, StringComparison.Ordinal);
        Assert.Contains("'prod'", target, StringComparison.Ordinal);
        Assert.True(command.WasFirstStart);
        var result = Assert.Single(host.OutputOf<SyncRunResult>());
        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Equal(RunKind.Initial, result.Kind);
        Assert.Equal(3, bed.Bed.Rows("person").Count);
        Assert.Equal(3, result.Counts.Where(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates).Sum(c => c.New));
        Assert.NotNull(bed.Store.Profile.Read()!.MappingsLockedAt);
        Assert.False(SyncOrchestrator.IsFirstStart(bed.Store));
        Assert.Equal("Start-CrmSync", bed.Store.Runs.Latest()!.TriggeredBy);
        Assert.Empty(host.Errors);
    }

    [Theory]
    [InlineData("declined")]
    [InlineData("WhatIf")]
    public async Task A_first_start_that_is_declined_or_WhatIf_does_nothing_at_all(string why)
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(2);
        var host = new FakeCommandHost(answer: false);
        var command = bed.Start();

        await command.ExecuteAsync(host, CancellationToken.None);

        Assert.Single(host.ShouldProcessCalls);
        Assert.True(command.Declined, why);
        Assert.Empty(host.Output);
        Assert.Empty(host.Progress);
        Assert.Equal(0, bed.ClientsOpened); // not even signed in
        Assert.Null(bed.Store.Runs.Latest()); // no run row
        var profile = bed.Store.Profile.Read()!;
        Assert.Null(profile.MappingsLockedAt); // the mappings stay editable
        Assert.Null(profile.FirstStartedAt);
        Assert.Empty(bed.Bed.Rows("person"));
        Assert.True(SyncOrchestrator.IsFirstStart(bed.Store));
    }

    [Fact]
    public async Task Later_starts_never_ask_so_scheduled_tasks_run_unattended()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(2);
        await bed.Start().ExecuteAsync(new FakeCommandHost(answer: true), CancellationToken.None);
        bed.Bed.Lead("00Q000000000009AAA", "Late", "late@example.com");

        var host = new FakeCommandHost(answer: false); // a prompt would be declined: the run shows none was made
        var command = bed.Start();
        await command.ExecuteAsync(host, CancellationToken.None);

        Assert.Empty(host.ShouldProcessCalls);
        Assert.False(command.WasFirstStart);
        var result = Assert.Single(host.OutputOf<SyncRunResult>());
        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Equal(RunKind.Incremental, result.Kind);
        Assert.Equal(3, bed.Bed.Rows("person").Count);
        Assert.Equal(2, bed.Store.Runs.List().Count);
    }

    [Fact]
    public async Task A_later_start_asks_when_WhatIf_or_Confirm_was_explicit_and_WhatIf_runs_nothing()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(2);
        await bed.Start().ExecuteAsync(new FakeCommandHost(answer: true), CancellationToken.None);

        var whatIf = new FakeCommandHost(answer: false);
        var declined = bed.Start(new StartSyncOptions { AskEvenIfNotFirst = true });
        await declined.ExecuteAsync(whatIf, CancellationToken.None);

        var (_, action) = Assert.Single(whatIf.ShouldProcessCalls);
        Assert.Equal("Run one sync cycle", action);
        Assert.True(declined.Declined);
        Assert.Empty(whatIf.Output);
        Assert.Single(bed.Store.Runs.List());

        var confirm = new FakeCommandHost(answer: true);
        await bed.Start(new StartSyncOptions { AskEvenIfNotFirst = true }).ExecuteAsync(confirm, CancellationToken.None);
        Assert.Single(confirm.ShouldProcessCalls);
        Assert.Single(confirm.OutputOf<SyncRunResult>());
        Assert.Equal(2, bed.Store.Runs.List().Count);
    }

    [Fact]
    public async Task The_result_carries_the_profile_and_database_so_it_pipes_and_announces_the_completed_initial_sync()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(1);
        var host = new FakeCommandHost();

        await bed.Start().ExecuteAsync(host, CancellationToken.None);

        var result = Assert.Single(host.OutputOf<SyncRunResult>());
        Assert.Equal("prod", result.Profile);
        Assert.Equal(bed.Store.DatabasePath, result.DatabasePath);
        Assert.True(result.InitialSyncCompleted);
        Assert.Contains(host.Verbose, v => v.StartsWith("Initial sync completed for profile 'prod'", StringComparison.Ordinal));
        Assert.Equal(result.RunId, bed.Store.Runs.Latest()!.Id); // the run history holds the completing run

        var second = new FakeCommandHost();
        await bed.Start().ExecuteAsync(second, CancellationToken.None);
        Assert.False(Assert.Single(second.OutputOf<SyncRunResult>()).InitialSyncCompleted);
        Assert.DoesNotContain(second.Verbose, v => v.StartsWith("Initial sync completed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Progress_is_written_per_page_with_object_counts_and_percent_and_completed_at_the_end()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(5); // pages of 2
        var host = new FakeCommandHost();

        await bed.Start().ExecuteAsync(host, CancellationToken.None);

        var progress = host.Progress;
        Assert.All(progress, p => Assert.Equal(StartSyncCommand.ProgressActivityId, p.ActivityId));
        var working = progress.Where(p => !p.Completed).ToList();
        Assert.True(working.Count >= 3, string.Join(" | ", progress.Select(p => p.Status)));
        Assert.Contains(working, p => p.CurrentOperation == "Lead" && p.Status.Contains("Initial copy of Lead", StringComparison.Ordinal)
                                                                 && p.Status.Contains("of 5 records", StringComparison.Ordinal));
        Assert.Contains(working, p => p.PercentComplete is > 0 and <= 100);
        Assert.True(progress[^1].Completed);
        Assert.Single(progress, p => p.Completed);
    }

    [Fact]
    public async Task A_failed_cycle_is_written_and_reported_as_a_non_terminating_error_with_the_runs_ErrorId()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(4);
        bed.Bed.Source.FailAfterPages = 1;
        var host = new FakeCommandHost();

        await bed.Start().ExecuteAsync(host, CancellationToken.None); // does not throw

        var result = Assert.Single(host.OutputOf<SyncRunResult>());
        Assert.Equal(RunState.Failed, result.State);
        var error = Assert.Single(host.Errors);
        Assert.Equal(ErrorIds.CrmUnreachable, error.ErrorId);
        Assert.Equal(bed.Store.Runs.Latest()!.ErrorId, error.ErrorId);
        Assert.Equal(2, bed.Bed.Rows("person").Count); // the committed page is kept
        Assert.True(host.Progress[^1].Completed);
        Assert.Single(host.Output); // the result, and the error beside it
    }

    [Fact]
    public async Task A_second_start_while_another_run_holds_the_lock_is_a_terminating_SyncLockHeld_naming_the_holder()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(1);
        await bed.Start().ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        bed.Store.RunLock.Acquire(); // another process is running a cycle

        var host = new FakeCommandHost();
        var error = await Assert.ThrowsAsync<CrmSyncException>(() => bed.Start().ExecuteAsync(host, CancellationToken.None));

        Assert.Equal(ErrorIds.SyncLockHeld, error.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, error.Kind);
        Assert.Contains(Environment.MachineName, error.Message, StringComparison.Ordinal);
        Assert.Contains($"process {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Contains("since", error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Output);
        Assert.Equal(1, bed.ClientsOpened); // the lock is checked before signing in: the refused start never logged in
        var refused = bed.Store.Runs.Latest()!;
        Assert.Equal((RunState.Failed, ErrorIds.SyncLockHeld), (refused.State, refused.ErrorId));
        Assert.Equal(2, bed.Store.Runs.List().Count);
        Assert.Contains(bed.Store.Errors.List(), e => e.Level == SyncErrorLevel.Job && e.ErrorId == ErrorIds.SyncLockHeld && e.RunId == refused.Id);
    }

    [Fact]
    public async Task A_start_refused_by_the_lock_of_a_live_run_is_recorded_but_the_status_stays_InProgress()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(1);
        await bed.Start().ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        bed.Store.RunLock.Acquire(); // another process (alive: this one) is running a cycle
        var running = bed.Store.Runs.Start(RunKind.Incremental, "crmsync start");

        await Assert.ThrowsAsync<CrmSyncException>(() => bed.Start().ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        Assert.Equal((RunState.Failed, ErrorIds.SyncLockHeld), (bed.Store.Runs.Latest()!.State, bed.Store.Runs.Latest()!.ErrorId));
        var status = SyncStatusReader.Read(bed.Store);
        Assert.Equal(SyncState.InProgress, status.State);
        Assert.Null(status.LastError);
        Assert.Equal(RunState.Running, bed.Store.Runs.Get(running)!.State);
    }

    public static TheoryData<string> FailedStarts => new() { "login refused", "CRM down", "HTTP 500 at login", "secrets missing", "unexpected" };

    [Theory]
    [MemberData(nameof(FailedStarts))]
    public async Task A_start_that_fails_before_its_cycle_is_recorded_as_a_failed_run_and_the_status_says_Failed_with_the_reason(string why)
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(2);
        await bed.Start().ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        Assert.Equal(SyncState.LastSynced, SyncStatusReader.Read(bed.Store).State);
        bed.LoginError = why switch
        {
            "login refused" => new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError, "The CRM refused the login.", "Connect again."),
            "CRM down" => new CrmSyncException(ErrorIds.CrmUnreachable, ErrorKind.ConnectionError, "The CRM could not be reached.", "Retry later."),
            "HTTP 500 at login" => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ConnectionError, "The CRM answered HTTP 500 at login.", "Retry later."),
            "secrets missing" => new CrmSyncException(ErrorIds.CredentialsNotSaved, ErrorKind.AuthenticationError, "No saved credentials.", "Connect."),
            _ => new InvalidOperationException("something odd"),
        };

        var host = new FakeCommandHost();
        var thrown = await Assert.ThrowsAsync<CrmSyncException>(() => bed.Start().ExecuteAsync(host, CancellationToken.None));

        var status = SyncStatusReader.Read(bed.Store);
        Assert.Equal(SyncState.Failed, status.State);
        Assert.NotNull(status.LastError);
        Assert.Equal(thrown.ErrorId, status.LastError!.ErrorId);
        Assert.Equal(thrown.Message, status.LastError.Message);
        Assert.False(string.IsNullOrWhiteSpace(status.LastError.RecommendedAction));
        Assert.Equal(bed.Bed.Time.GetUtcNow(), status.LastError.OccurredAt);
        Assert.NotNull(status.LastSuccess); // the earlier success is still shown, but not as the state
        Assert.DoesNotContain(nameof(InvalidOperationException), thrown.Message, StringComparison.Ordinal);
        var run = bed.Store.Runs.Latest()!;
        Assert.Equal((RunState.Failed, thrown.ErrorId, "Start-CrmSync"), (run.State, run.ErrorId, run.TriggeredBy));
        Assert.Contains(bed.Store.Errors.List(), e => e.Level == SyncErrorLevel.Job && e.ErrorId == thrown.ErrorId && e.RunId == run.Id);
    }

    [Fact]
    public async Task A_run_whose_process_died_is_reported_as_interrupted_at_once_and_closed_as_failed_by_the_next_start()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(2);
        await bed.Start().ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        // What kill -9 (or a run stopped by a full disk) leaves: a Running run and an unexpired lease of a process that is gone.
        var dead = bed.Store.Runs.Start(RunKind.Incremental, "crmsync start");
        using (var connection = bed.Store.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            var now = bed.Bed.Time.GetUtcNow();
            command.CommandText = "INSERT OR REPLACE INTO crmsync_run_lock (id, holder_id, pid, host, acquired_at, heartbeat_at, expires_at, process_started_at) " +
                                  "VALUES (1, $holder, $pid, $host, $now, $now, $expires, $now);";
            command.Parameters.AddWithValue("$holder", Guid.NewGuid().ToString("D"));
            command.Parameters.AddWithValue("$pid", int.MaxValue - 7);
            command.Parameters.AddWithValue("$host", Environment.MachineName);
            command.Parameters.AddWithValue("$now", StoreTime.Format(now));
            command.Parameters.AddWithValue("$expires", StoreTime.Format(now + TimeSpan.FromMinutes(2)));
            command.ExecuteNonQuery();
        }

        var status = SyncStatusReader.Read(bed.Store);
        Assert.Equal(SyncState.Failed, status.State); // not InProgress, although the lease has not expired
        Assert.Contains("interrupted", status.LastError!.Message, StringComparison.Ordinal);
        Assert.Contains("disk", status.LastError.RecommendedAction, StringComparison.Ordinal);

        await bed.Start().ExecuteAsync(new FakeCommandHost(), CancellationToken.None);

        var closed = bed.Store.Runs.Get(dead)!;
        Assert.Equal((RunState.Failed, ErrorIds.SyncFailed), (closed.State, closed.ErrorId));
        Assert.NotNull(closed.EndedAt);
        Assert.Empty(bed.Store.Runs.List().Where(r => r.State == RunState.Running));
        Assert.Equal(SyncState.LastSynced, SyncStatusReader.Read(bed.Store).State);
    }

    [Fact]
    public async Task Continuous_writes_each_cycle_as_it_completes_and_ends_on_cancel()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        using var bed = new StartSyncTestBed(clock);
        bed.SeedLeads(3);
        var host = new FakeCommandHost();
        var secondCycle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.OnOutput = _ =>
        {
            if (host.OutputOf<SyncRunResult>().Count == 2)
                secondCycle.TrySetResult();
        };
        using var cts = new CancellationTokenSource();
        var interval = TimeSpan.FromMinutes(5);

        var running = bed.Start(new StartSyncOptions { Continuous = true, Interval = interval }).ExecuteAsync(host, cts.Token);
        await clock.WaitForPendingTimerAsync(interval);
        Assert.Single(host.OutputOf<SyncRunResult>()); // written before the pause, not at the end
        Assert.Equal(clock.GetUtcNow() + interval, bed.Store.Profile.Read()!.NextRunAt);

        clock.Advance(interval);
        await secondCycle.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await clock.WaitForPendingTimerAsync(interval);
        await cts.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        var results = host.OutputOf<SyncRunResult>();
        Assert.Equal([RunKind.Initial, RunKind.Incremental], results.Select(r => r.Kind));
        Assert.All(results, r => Assert.Equal("prod", r.Profile));
        Assert.Null(bed.Store.Profile.Read()!.NextRunAt);
        Assert.Null(bed.Store.RunLock.ReadCurrent());
        Assert.Equal(2, host.Progress.Count(p => p.Completed)); // one bar per cycle, each closed
    }

    [Fact]
    public async Task Continuous_ends_after_its_cycle_when_Stop_CrmSync_disables_the_sync_and_Start_enables_it_again()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        using var bed = new StartSyncTestBed(clock);
        bed.SeedLeads(2);
        var host = new FakeCommandHost();
        var interval = TimeSpan.FromMinutes(5);

        var running = bed.Start(new StartSyncOptions { Continuous = true, Interval = interval }).ExecuteAsync(host, CancellationToken.None);
        await clock.WaitForPendingTimerAsync(interval);
        var stopHost = new FakeCommandHost();
        await bed.Stop().ExecuteAsync(stopHost, CancellationToken.None); // Stop-CrmSync from another session
        clock.Advance(interval);
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(host.OutputOf<SyncRunResult>());
        Assert.Contains(host.Verbose, v => v.Contains($"sync disabled by {ShellAction.Stop}", StringComparison.Ordinal));
        Assert.False(Assert.Single(stopHost.OutputOf<SyncStatus>()).Enabled);
        Assert.Single(bed.Store.Runs.List());

        var again = new FakeCommandHost(answer: false);
        await bed.Start().ExecuteAsync(again, CancellationToken.None);
        Assert.Empty(again.ShouldProcessCalls);
        Assert.Equal(RunState.Succeeded, Assert.Single(again.OutputOf<SyncRunResult>()).State);
        Assert.True(bed.Store.Profile.Read()!.SyncEnabled);
    }

    [Fact]
    public async Task A_single_cycle_stopped_with_Ctrl_C_is_written_as_Cancelled_without_an_error_and_keeps_committed_pages()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(6);
        using var cts = new CancellationTokenSource();
        var pages = 0;
        bed.Bed.Source.BeforePage = _ =>
        {
            if (++pages == 2)
                cts.Cancel();
        };
        var host = new FakeCommandHost();

        await bed.Start().ExecuteAsync(host, cts.Token);

        var result = Assert.Single(host.OutputOf<SyncRunResult>());
        Assert.Equal(RunState.Cancelled, result.State);
        Assert.Empty(host.Errors);
        Assert.InRange(bed.Bed.Rows("person").Count, 2, 4);
    }

    [Fact]
    public async Task CRM_requests_go_to_Debug_retries_and_throttling_to_Verbose_through_the_call_counter()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(1);
        bed.OnOpen = options =>
        {
            options.Events!.Report(new CrmClientEvent(CrmEventLevel.Debug, CrmEventKind.Request, "GET /query 200 (request id abc-123)"));
            options.Events.Report(new CrmClientEvent(CrmEventLevel.Verbose, CrmEventKind.Retry, "Retrying after 503 in 2 s."));
            options.Events.Report(new CrmClientEvent(CrmEventLevel.Verbose, CrmEventKind.Throttled, "Throttled: waiting 5 s."));
        };
        var host = new FakeCommandHost();

        await bed.Start().ExecuteAsync(host, CancellationToken.None);

        Assert.IsType<CrmCallCounter>(bed.LastClientOptions!.Events);
        Assert.Contains("GET /query 200 (request id abc-123)", host.Debug);
        Assert.Contains("Retrying after 503 in 2 s.", host.Verbose);
        Assert.Contains("Throttled: waiting 5 s.", host.Verbose);
        Assert.DoesNotContain(host.Verbose, v => v.Contains("request id", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_initial_copy_knobs_reach_the_engine()
    {
        using var bed = new StartSyncTestBed();
        bed.SeedLeads(3);
        var host = new FakeCommandHost();

        await bed.Start(new StartSyncOptions { InitialStrategy = CrmFullReadStrategy.Paged, BulkThreshold = 0, TriggeredBy = "crmsync start" })
            .ExecuteAsync(host, CancellationToken.None);

        Assert.Equal(RunState.Succeeded, Assert.Single(host.OutputOf<SyncRunResult>()).State);
        Assert.Equal("crmsync start", bed.Store.Runs.Latest()!.TriggeredBy);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(999, null)]
    [InlineData(1000, -1L)]
    public async Task An_interval_below_one_second_or_a_negative_bulk_threshold_is_refused_before_anything_is_asked(int intervalMs, long? bulk)
    {
        using var bed = new StartSyncTestBed();
        var host = new FakeCommandHost();

        var error = await Assert.ThrowsAsync<CrmSyncException>(() => bed.Start(new StartSyncOptions
        {
            Continuous = true,
            Interval = TimeSpan.FromMilliseconds(intervalMs),
            BulkThreshold = bulk,
        }).ExecuteAsync(host, CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Empty(host.ShouldProcessCalls);
        Assert.Null(bed.Store.Runs.Latest());
    }
}
