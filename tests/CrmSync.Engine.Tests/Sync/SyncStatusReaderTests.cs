using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Sync;

public sealed class SyncStatusReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ProfileStore _profiles;
    private readonly SyncStatusReader _reader;

    public SyncStatusReaderTests()
    {
        _profiles = TestProfiles.ProfileStore(_dir, _time);
        _reader = new SyncStatusReader(_profiles);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_unknown_profile_is_reported_as_not_found()
    {
        var e = Assert.Throws<CrmSyncException>(() => _reader.Read("x"));

        Assert.Equal(ErrorIds.ProfileNotFound, e.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, e.Kind);
        Assert.Equal($"No CrmSync profile named 'x' was found at {_dir.Combine("profiles", "x.db")}.", e.Message);
        Assert.Equal($"Run {ShellAction.Connect} to create the profile.", e.RecommendedAction);
        Assert.Equal("x", e.Target);
        Assert.False(Directory.Exists(_dir.Combine("profiles")));
    }

    [Fact]
    public void A_fresh_profile_has_not_started()
    {
        using (TestProfiles.CreateStore(_dir, _time)) { }

        var status = _reader.Read("prod");

        Assert.Equal(("prod", CrmKind.Salesforce, SyncState.NotStarted, true), (status.Profile, status.Crm, status.State, status.Enabled));
        Assert.Null(status.LastSuccess);
        Assert.Null(status.LastRunStarted);
        Assert.Null(status.LastError);
        Assert.Empty(status.Counts);
        Assert.Equal(0, status.PushBacklog);
        Assert.Null(status.PullBacklog);
        Assert.Null(status.ApiUsed);
        Assert.Null(status.ApiMax);
        Assert.Null(status.NextRun);
        Assert.Equal(_dir.Combine("profiles", "prod.db"), status.DatabasePath);
    }

    [Fact]
    public void A_succeeded_run_is_last_synced_with_its_counts_backlogs_and_api_usage()
    {
        using (var store = TestProfiles.CreateStore(_dir, _time))
        {
            var run = store.Runs.Start(RunKind.Initial, "test");
            store.Runs.AddCounts(run, "Lead", RunOperation.PullUpdates, @new: 120, updated: 3);
            store.Runs.AddCounts(run, "Lead", RunOperation.PushNew, @new: 2, failed: 1);
            store.ApiUsage.Record(1234, 15000, "Sforce-Limit-Info");
            store.Outbox.Enqueue("person", "9", "Lead", OutboxOperation.Update, ["Phone"]);
            using (var connection = store.OpenConnection())
            using (var transaction = connection.BeginTransaction())
            {
                store.Checkpoints.Commit(transaction, "Account", CheckpointTable.Initial, "{}", 400, 1000);
                store.Checkpoints.Commit(transaction, "Contact", CheckpointTable.Initial, "{}", 50, 60);
                store.Checkpoints.Commit(transaction, "Task", CheckpointTable.Initial, "{}", 10, null);
                transaction.Commit();
            }
            _time.Advance(TimeSpan.FromMinutes(3));
            store.Runs.Finish(run, RunState.Succeeded);
            store.Profile.SetNextRun(_time.GetUtcNow() + TimeSpan.FromMinutes(5));
        }

        var status = _reader.Read("prod");

        Assert.Equal(SyncState.LastSynced, status.State);
        Assert.Equal(_time.GetUtcNow(), status.LastSuccess);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(3), status.LastRunStarted);
        Assert.Null(status.LastError);
        Assert.Equal(
            [new SyncOperationCount("Lead", RunOperation.PullUpdates, 120, 3, 0, 0, 0), new SyncOperationCount("Lead", RunOperation.PushNew, 2, 0, 0, 1, 0)],
            status.Counts.OrderBy(c => c.Operation).ToList());
        Assert.Equal(1, status.PushBacklog);
        Assert.Equal(600 + 10, status.PullBacklog);
        Assert.Equal((1234L, 15000L), (status.ApiUsed!.Value, status.ApiMax!.Value));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), status.NextRun);

        _time.Advance(TimeSpan.FromMinutes(6)); // the planned run is overdue: nothing is planned any more
        Assert.Null(_reader.Read("prod").NextRun);
    }

    [Fact]
    public void A_failed_last_run_is_failed_with_its_error_until_a_run_succeeds()
    {
        DateTimeOffset firstSuccess;
        using (var store = TestProfiles.CreateStore(_dir, _time))
        {
            store.Runs.Finish(store.Runs.Start(RunKind.Initial, "test"), RunState.Succeeded);
            firstSuccess = _time.GetUtcNow();
            _time.Advance(TimeSpan.FromHours(1));
            var failed = store.Runs.Start(RunKind.Incremental, "test");
            store.Runs.AddCounts(failed, "Contact", RunOperation.PullUpdates, failed: 4);
            _time.Advance(TimeSpan.FromSeconds(10));
            store.Runs.Finish(failed, RunState.Failed, ErrorIds.InvalidCredentials, "The CRM refused the sync user's credentials.");
        }

        var status = _reader.Read("prod");
        Assert.Equal(SyncState.Failed, status.State);
        Assert.Equal(new SyncStatusError("The CRM refused the sync user's credentials.", ErrorIds.InvalidCredentials, _time.GetUtcNow())
        {
            RecommendedAction = SyncStatusReader.RecommendedActionFor(ErrorIds.InvalidCredentials),
        }, status.LastError);
        Assert.StartsWith($"Run {ShellAction.Connect}", status.LastError!.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal(firstSuccess, status.LastSuccess);
        Assert.Equal([new SyncOperationCount("Contact", RunOperation.PullUpdates, 0, 0, 0, 4, 0)], status.Counts);

        using (var store = _profiles.Open("prod"))
        {
            _time.Advance(TimeSpan.FromMinutes(5));
            store.Runs.Finish(store.Runs.Start(RunKind.Incremental, "test"), RunState.Succeeded);
        }
        status = _reader.Read("prod");
        Assert.Equal(SyncState.LastSynced, status.State);
        Assert.Null(status.LastError);
        Assert.Equal(_time.GetUtcNow(), status.LastSuccess);
    }

    [Fact]
    public void A_running_run_with_a_live_lease_is_in_progress_and_a_dead_one_is_failed()
    {
        using var store = TestProfiles.CreateStore(_dir, _time);
        store.Runs.Finish(store.Runs.Start(RunKind.Initial, "test"), RunState.Succeeded);
        _time.Advance(TimeSpan.FromMinutes(10));
        store.RunLock.Acquire(TimeSpan.FromMinutes(2));
        var run = store.Runs.Start(RunKind.Incremental, "test");
        store.Runs.AddCounts(run, "Lead", RunOperation.PullUpdates, updated: 7);

        var running = _reader.Read("prod");
        Assert.Equal(SyncState.InProgress, running.State);
        Assert.Equal(_time.GetUtcNow(), running.LastRunStarted);
        Assert.Equal([new SyncOperationCount("Lead", RunOperation.PullUpdates, 0, 7, 0, 0, 0)], running.Counts);
        Assert.Null(running.LastError);

        _time.Advance(TimeSpan.FromMinutes(3)); // the holder stopped heart-beating: its process died
        var dead = _reader.Read("prod");
        Assert.Equal(SyncState.Failed, dead.State);
        Assert.Equal(ErrorIds.SyncFailed, dead.LastError!.ErrorId);
        Assert.Contains($"Run {run}", dead.LastError.Message);
        Assert.Contains("stopped without finishing", dead.LastError.Message);
    }

    [Fact]
    public void Disabled_sync_and_an_explicit_database_path_are_reported()
    {
        var path = _dir.Combine("elsewhere", "crm.db");
        using (var store = _profiles.Create(TestProfiles.Salesforce("prod") with { Crm = CrmKind.Dynamics, LoginUrl = "https://acme.crm4.dynamics.com" }, path))
            store.Profile.SetSyncEnabled(false);

        var status = _reader.Read("prod", path);
        Assert.Equal((CrmKind.Dynamics, false, path), (status.Crm, status.Enabled, status.DatabasePath));
        Assert.Equal(ErrorIds.ProfileNotFound, Assert.Throws<CrmSyncException>(() => _reader.Read("prod")).ErrorId);
    }
}
