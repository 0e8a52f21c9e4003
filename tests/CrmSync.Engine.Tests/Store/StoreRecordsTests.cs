using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

public sealed class StoreRecordsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly CrmSyncStore _store;

    public StoreRecordsTests() => _store = CrmSyncStore.Open(_dir.Combine("p.db"), _time);

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private static long Count(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table};";
        return (long)command.ExecuteScalar()!;
    }

    private void CreatePersonTable()
    {
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        _store.SchemaWriter.CreateTableIfMissing(transaction, "person",
            [new SystemColumn("local_id", SqliteColumnType.Integer, PrimaryKey: true), new SystemColumn("crm_id", SqliteColumnType.Text)]);
        transaction.Commit();
    }

    private static void InsertPerson(SqliteTransaction transaction, string crmId)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO person (crm_id) VALUES ($id);";
        command.Parameters.AddWithValue("$id", crmId);
        command.ExecuteNonQuery();
    }

    [Fact]
    public void A_rolled_back_page_leaves_neither_data_nor_checkpoint_nor_watermark()
    {
        CreatePersonTable();
        using var connection = _store.OpenConnection();

        using (var transaction = connection.BeginTransaction())
        {
            InsertPerson(transaction, "00Q000000000001AAA");
            _store.Checkpoints.Commit(transaction, "Lead", CheckpointTable.Initial, """{"job":"750x","locator":"abc"}""", 1, 10);
            _store.Watermarks.Commit(transaction, "Lead", WatermarkTable.PullUpdates, "2026-11-01T00:00:00.000Z", "00Q000000000001AAA");
            // inside the transaction the page and its checkpoint are visible together
            Assert.Equal(1, _store.Checkpoints.Read("Lead", CheckpointTable.Initial, transaction)!.RowsDone);
            transaction.Rollback();
        }

        Assert.Equal(0, Count(connection, "person"));
        Assert.Null(_store.Checkpoints.Read("Lead", CheckpointTable.Initial));
        Assert.Null(_store.Watermarks.Read("Lead", WatermarkTable.PullUpdates));
    }

    [Fact]
    public void A_committed_page_persists_data_checkpoint_and_watermark_together()
    {
        CreatePersonTable();
        using var connection = _store.OpenConnection();

        using (var transaction = connection.BeginTransaction())
        {
            InsertPerson(transaction, "00Q000000000001AAA");
            InsertPerson(transaction, "00Q000000000002AAA");
            _store.Checkpoints.Commit(transaction, "Lead", CheckpointTable.Initial, """{"job":"750x","locator":"abc"}""", 2, 10);
            _store.Watermarks.Commit(transaction, "Lead", WatermarkTable.PullUpdates, "2026-11-01T00:00:00.000Z", "00Q000000000002AAA");
            transaction.Commit();
        }

        Assert.Equal(2, Count(connection, "person"));
        Assert.Equal(new Checkpoint("Lead", "initial", """{"job":"750x","locator":"abc"}""", 2, 10, _time.GetUtcNow()),
            _store.Checkpoints.Read("Lead", CheckpointTable.Initial));
        Assert.Equal(new Watermark("Lead", "pull-updates", "2026-11-01T00:00:00.000Z", "00Q000000000002AAA", _time.GetUtcNow()),
            _store.Watermarks.Read("Lead", WatermarkTable.PullUpdates));

        using (var transaction = connection.BeginTransaction())
        {
            Assert.True(_store.Checkpoints.Complete(transaction, "Lead", CheckpointTable.Initial));
            transaction.Commit();
        }
        Assert.Empty(_store.Checkpoints.List());
    }

    [Fact]
    public void A_checkpoint_cursor_must_be_a_json_object()
    {
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var e = Assert.Throws<CrmSyncException>(() => _store.Checkpoints.Commit(transaction, "Lead", "initial", "not json", 0, null));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
    }

    [Fact]
    public void Errors_older_than_the_retention_are_purged()
    {
        var run = _store.Runs.Start(RunKind.Incremental, "test");
        var old = _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION: Phone is required", run, "Lead", "42", "00Q000000000001AAA", "PushUpdates", "FIELD_CUSTOM_VALIDATION_EXCEPTION"));
        _time.Advance(TimeSpan.FromDays(3));
        var recent = _store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, ErrorIds.CrmUnreachable, "The CRM did not answer.", run));
        _time.Advance(TimeSpan.FromDays(2) + TimeSpan.FromSeconds(1)); // old is now 5 days + 1 s old

        Assert.Equal(1, _store.Errors.Purge());
        var left = Assert.Single(_store.Errors.List());
        Assert.Equal(recent, left.Id);
        Assert.Equal((SyncErrorLevel.Job, ErrorIds.CrmUnreachable, run), (left.Level, left.ErrorId, left.RunId));
        Assert.NotEqual(old, left.Id);

        Assert.Equal(0, _store.Errors.Purge(TimeSpan.FromDays(3)));
        Assert.Equal(1, _store.Errors.Purge(TimeSpan.FromDays(1)));
        Assert.Empty(_store.Errors.List());
    }

    [Fact]
    public void Errors_round_trip_and_can_be_resolved()
    {
        var id = _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, "UNABLE_TO_LOCK_ROW",
            ObjectName: "Contact", LocalKey: "7", CrmId: "003000000000001AAA", Operation: "PushUpdates", CrmErrorCode: "UNABLE_TO_LOCK_ROW", Attempts: 3));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(_store.Errors.Resolve(id));

        var entry = Assert.Single(_store.Errors.List());
        Assert.Equal(new SyncErrorEntry(id, null, SyncErrorLevel.Record, "Contact", "7", "003000000000001AAA", "PushUpdates",
            ErrorIds.RecordPushFailed, "UNABLE_TO_LOCK_ROW", "UNABLE_TO_LOCK_ROW", _time.GetUtcNow() - TimeSpan.FromMinutes(1), 3,
            _time.GetUtcNow()), entry);
        Assert.Empty(_store.Errors.List(includeResolved: false));
        Assert.Throws<ArgumentException>(() => _store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, "NotAnId", "x")));
    }

    [Fact]
    public void The_conflict_journal_round_trips()
    {
        var run = _store.Runs.Start(RunKind.Incremental, "test");
        var recorded = _store.Conflicts.Record(new ConflictEntry(run, "Lead", "00Q000000000001AAA", "42", "Phone",
            "+31 20 123 4567", "+31 20 765 4321", ConflictWinner.Local, "TwoWay"));
        _store.Conflicts.Record(new ConflictEntry(null, "Contact", "003000000000001AAA", "43", "Title", null, "CEO", ConflictWinner.Crm, "AlwaysCrm"));

        Assert.True(recorded.Id > 0);
        Assert.Equal(_time.GetUtcNow(), recorded.OccurredAt);
        Assert.Equal(recorded, Assert.Single(_store.Conflicts.List(run)));
        var all = _store.Conflicts.List();
        Assert.Equal(2, all.Count);
        Assert.Equal(("Title", null, "CEO", ConflictWinner.Crm), (all[0].FieldName, all[0].LocalValue, all[0].CrmValue, all[0].Winner));
    }

    [Fact]
    public void The_outbox_queues_peeks_retries_and_counts_its_backlog()
    {
        var a = _store.Outbox.Enqueue("person", "1", "Lead", OutboxOperation.Update, ["Phone", "Email"], crmId: "00Q000000000001AAA");
        var b = _store.Outbox.Enqueue("person", "2", "Lead", OutboxOperation.Insert, ["LastName"], clientKey: "c2");
        Assert.Equal(2, _store.Outbox.CountBacklog());

        var due = _store.Outbox.PeekDue(10);
        Assert.Equal([a, b], due.Select(e => e.Id));
        Assert.Equal(["Phone", "Email"], due[0].ChangedColumns);

        _store.Outbox.MarkInFlight([a, b]);
        Assert.Empty(_store.Outbox.PeekDue(10));
        _store.Outbox.MarkDone(a);
        _store.Outbox.MarkFailed(b, "UNABLE_TO_LOCK_ROW", _time.GetUtcNow() + TimeSpan.FromMinutes(1));
        Assert.Equal(1, _store.Outbox.CountBacklog());
        Assert.Empty(_store.Outbox.PeekDue(10)); // not due yet

        _time.Advance(TimeSpan.FromMinutes(1));
        var retry = Assert.Single(_store.Outbox.PeekDue(10));
        Assert.Equal((b, 1, "UNABLE_TO_LOCK_ROW", OutboxState.Pending, "c2"), (retry.Id, retry.Attempts, retry.LastError, retry.State, retry.ClientKey));

        _store.Outbox.MarkFailed(b, "REQUIRED_FIELD_MISSING", retryAt: null);
        Assert.Equal(0, _store.Outbox.CountBacklog());
        Assert.Equal(OutboxState.Failed, _store.Outbox.Get(b)!.State);
        Assert.Throws<CrmSyncException>(() => _store.Outbox.MarkDone(999));
    }

    [Fact]
    public void Runs_record_counts_api_calls_and_duration()
    {
        var run = _store.Runs.Start(RunKind.Initial, "Start-CrmSync");
        _store.Runs.AddCounts(run, "Lead", RunOperation.PullUpdates, @new: 100, updated: 2);
        _store.Runs.AddCounts(run, "Lead", RunOperation.PullUpdates, @new: 50, skipped: 1);
        _store.Runs.AddCounts(run, "Contact", RunOperation.PushNew, @new: 3, failed: 1);
        _store.Runs.AddApiCalls(run, 7);
        _time.Advance(TimeSpan.FromSeconds(42));
        var finished = _store.Runs.Finish(run, RunState.Failed, ErrorIds.CrmUnreachable, "The CRM did not answer.");

        Assert.Equal((RunState.Failed, TimeSpan.FromSeconds(42), 7L, ErrorIds.CrmUnreachable, Environment.ProcessId),
            (finished.State, finished.Duration!.Value, finished.ApiCalls, finished.ErrorId, finished.ProcessId));
        Assert.Equal(_time.GetUtcNow(), finished.EndedAt);
        Assert.Equal(
            [new RunCount(run, "Contact", RunOperation.PushNew, 3, 0, 0, 1, 0), new RunCount(run, "Lead", RunOperation.PullUpdates, 150, 2, 0, 0, 1)],
            _store.Runs.Counts(run));
        Assert.Equal(finished, _store.Runs.LatestFinished());
        Assert.Null(_store.Runs.LatestIn(RunState.Succeeded));
        Assert.Throws<ArgumentOutOfRangeException>(() => _store.Runs.Finish(run, RunState.Running));
    }

    [Fact]
    public void Api_usage_reports_the_latest_sample()
    {
        Assert.Null(_store.ApiUsage.Latest());
        _store.ApiUsage.Record(100, 15000, "Sforce-Limit-Info");
        _time.Advance(TimeSpan.FromMinutes(5));
        _store.ApiUsage.Record(180, 15000, "Sforce-Limit-Info");

        Assert.Equal(new ApiUsageSample(_time.GetUtcNow(), 180, 15000, "Sforce-Limit-Info"), _store.ApiUsage.Latest());
    }

    [Fact]
    public void Field_mappings_are_saved_and_replaced()
    {
        _store.FieldMappings.Save(new FieldMapping("Lead", "Email", "person", "Email", FieldMappingRule.TwoWay, MappingDirection.TwoWay, true));
        _store.FieldMappings.Save(new FieldMapping("Lead", "Email", "person", "Email", FieldMappingRule.AlwaysCrm, MappingDirection.CrmToLocal, false));
        _store.FieldMappings.Save(new FieldMapping("Account", "Name", "account", "Name", FieldMappingRule.AlwaysCrm, MappingDirection.CrmToLocal, true));

        Assert.Equal([new FieldMapping("Lead", "Email", "person", "Email", FieldMappingRule.AlwaysCrm, MappingDirection.CrmToLocal, false)],
            _store.FieldMappings.List("Lead"));
        Assert.Equal(2, _store.FieldMappings.List().Count);
    }

    [Fact]
    public void The_profile_row_has_no_secret_columns_and_round_trips()
    {
        var saved = _store.Profile.Save(TestProfiles.Salesforce() with { Sandbox = true, SettingsJson = """{"interval":300}""" });
        Assert.Equal(_time.GetUtcNow(), saved.CreatedAt);
        Assert.True(saved.Sandbox);
        Assert.Null(saved.MappingsLockedAt);

        _time.Advance(TimeSpan.FromHours(1));
        var locked = _store.Profile.LockMappings();
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(locked, _store.Profile.LockMappings()); // the first lock wins
        _store.Profile.SetSyncEnabled(false);

        var read = _store.Profile.Read()!;
        Assert.Equal((locked, false, saved.CreatedAt, _time.GetUtcNow()), (read.MappingsLockedAt!.Value, read.SyncEnabled, read.CreatedAt, read.UpdatedAt));

        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info('crmsync_profile');";
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
            columns.Add(reader.GetString(0));
        Assert.Contains("user_name", columns);
        Assert.DoesNotContain(columns, c => c.Contains("password") || c.Contains("secret") || c.Contains("token"));
    }
}
