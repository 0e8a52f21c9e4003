using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

public sealed class StoreSchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static List<string> Tables(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type || ':' || name FROM sqlite_schema ORDER BY type, name;";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
            names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public void Open_creates_the_file_and_folder_and_sets_user_version()
    {
        var path = _dir.Combine("nested", "folder", "p.db");
        using var store = CrmSyncStore.Open(path);

        Assert.True(File.Exists(path));
        Assert.Equal(CrmSyncStore.LatestSchemaVersion, store.ReadSchemaVersion());
        Assert.True(CrmSyncStore.LatestSchemaVersion >= 1);
    }

    [Fact]
    public void Reopening_is_idempotent_and_changes_nothing()
    {
        var path = _dir.Combine("p.db");
        using (var first = CrmSyncStore.Open(path))
            first.Runs.Start(RunKind.Initial, "test");
        var before = Tables(path);

        using var second = CrmSyncStore.Open(path);
        using var third = CrmSyncStore.Open(path);

        Assert.Equal(before, Tables(path));
        Assert.Equal(CrmSyncStore.LatestSchemaVersion, third.ReadSchemaVersion());
        Assert.Single(third.Runs.List());
    }

    [Fact]
    public void Every_system_table_is_prefixed_crmsync()
    {
        var path = _dir.Combine("p.db");
        using var store = CrmSyncStore.Open(path);

        var tables = Tables(path).Where(t => t.StartsWith("table:", StringComparison.Ordinal))
            .Select(t => t["table:".Length..]).Where(t => !t.StartsWith("sqlite_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(tables);
        Assert.All(tables, t => Assert.StartsWith("crmsync_", t));
        foreach (var expected in new[] { "crmsync_profile", "crmsync_field_catalog", "crmsync_field_mapping", "crmsync_outbox",
                     "crmsync_watermark", "crmsync_checkpoint", "crmsync_run", "crmsync_run_count", "crmsync_error",
                     "crmsync_conflict", "crmsync_api_usage", "crmsync_run_lock" })
            Assert.Contains(expected, tables);
    }

    [Fact]
    public void Journal_is_wal_and_connections_have_foreign_keys_and_busy_timeout()
    {
        using var store = CrmSyncStore.Open(_dir.Combine("p.db"));

        Assert.Equal("wal", store.ReadJournalMode());
        using var connection = store.OpenConnection();
        Assert.Equal(1L, Scalar(connection, "PRAGMA foreign_keys;"));
        Assert.Equal((long)CrmSyncStore.BusyTimeoutMilliseconds, Scalar(connection, "PRAGMA busy_timeout;"));
        Assert.Equal(1L, Scalar(connection, "PRAGMA synchronous;")); // NORMAL
    }

    [Fact]
    public void Foreign_keys_are_enforced()
    {
        using var store = CrmSyncStore.Open(_dir.Combine("p.db"));
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO crmsync_run_count (run_id, object_name, operation) VALUES (424242, 'Lead', 'PullUpdates');";

        var e = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
        Assert.Contains("FOREIGN KEY", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_reader_is_not_blocked_by_an_open_write_transaction()
    {
        using var store = CrmSyncStore.Open(_dir.Combine("p.db"));
        store.ApiUsage.Record(10, 1000, "test");

        using var writer = store.OpenConnection();
        using var transaction = writer.BeginTransaction();
        using (var insert = writer.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO crmsync_api_usage (at, used, max, source) VALUES ('2026-01-01T00:00:00.0000000Z', 20, 1000, 'w');";
            insert.ExecuteNonQuery();
        }

        // another connection reads the last committed state at once (WAL), it does not wait for the writer
        using var reader = store.OpenConnection();
        Assert.Equal(1L, Scalar(reader, "SELECT count(*) FROM crmsync_api_usage;"));

        transaction.Commit();
        Assert.Equal(2L, Scalar(reader, "SELECT count(*) FROM crmsync_api_usage;"));
    }

    [Fact]
    public void A_writer_commits_while_a_reader_holds_a_snapshot()
    {
        using var store = CrmSyncStore.Open(_dir.Combine("p.db"));
        store.ApiUsage.Record(10, 1000, "test");

        using var reader = store.OpenConnection();
        using var snapshot = reader.BeginTransaction(deferred: true);
        Assert.Equal(1L, ScalarIn(snapshot, "SELECT count(*) FROM crmsync_api_usage;"));

        // with a rollback journal this commit would wait for the reader and fail with SQLITE_BUSY; WAL lets it through
        store.ApiUsage.Record(20, 1000, "test");

        Assert.Equal(1L, ScalarIn(snapshot, "SELECT count(*) FROM crmsync_api_usage;")); // the reader's snapshot is stable
        snapshot.Commit();
        Assert.Equal(2L, Scalar(reader, "SELECT count(*) FROM crmsync_api_usage;"));
    }

    private static object? ScalarIn(SqliteTransaction transaction, string sql)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public void A_database_from_a_newer_CrmSync_is_refused()
    {
        var path = _dir.Combine("p.db");
        using (var store = CrmSyncStore.Open(path))
        using (var connection = store.OpenConnection())
            Scalar(connection, $"PRAGMA user_version = {CrmSyncStore.LatestSchemaVersion + 1};");

        var e = Assert.Throws<CrmSyncException>(() => CrmSyncStore.Open(path));
        Assert.Equal(ErrorIds.DatabaseSchemaTooNew, e.ErrorId);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Another_applications_database_is_left_alone()
    {
        var path = _dir.Combine("other.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            Scalar(connection, "CREATE TABLE invoices (id INTEGER PRIMARY KEY);");
        }

        var e = Assert.Throws<CrmSyncException>(() => CrmSyncStore.Open(path));
        Assert.Equal(ErrorIds.DatabasePathInvalid, e.ErrorId);
        Assert.Equal(["table:invoices"], Tables(path));
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_reported_as_corrupt()
    {
        var path = _dir.Combine("garbage.db");
        File.WriteAllText(path, new string('x', 4096));

        var e = Assert.Throws<CrmSyncException>(() => CrmSyncStore.Open(path));
        Assert.Equal(ErrorIds.DatabaseCorrupt, e.ErrorId);
    }

    [Fact]
    public void Timestamps_are_iso_8601_utc_text()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 10, 30, 0, TimeSpan.FromHours(1)));
        using var store = CrmSyncStore.Open(_dir.Combine("p.db"), time);
        store.Runs.Start(RunKind.Initial, "test");

        using var connection = store.OpenConnection();
        Assert.Equal("2026-11-02T09:30:00.000Z", Scalar(connection, "SELECT started_at FROM crmsync_run;"));
        Assert.Equal("text", Scalar(connection, "SELECT typeof(started_at) FROM crmsync_run;"));
    }
}
