using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

/// <summary>The system tables that used to be created on first use now come from migration 2, for new and upgraded files alike.</summary>
public sealed class StoreMigrationTests : IDisposable
{
    private static readonly string[] TablesOfMigration2 = [SyncWriteMarker.TableName, ChangeCapture.BaseTable, FieldSyncState.LabelTable];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SqliteConnection OpenRaw(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static bool Exists(SqliteConnection connection, string type, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = $type AND name = $name;";
        command.Parameters.AddWithValue("$type", type);
        command.Parameters.AddWithValue("$name", name);
        return (long)command.ExecuteScalar()! == 1;
    }

    /// <summary>A database as CrmSync wrote it before migration 2 (schema version 1).</summary>
    private string CreateVersion1Database(string name, Action<SqliteConnection>? before = null)
    {
        var path = _dir.Combine(name);
        using var connection = OpenRaw(path);
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Execute(connection, StoreMigrations.All[0]);
        Execute(connection, $"PRAGMA user_version = 1; PRAGMA application_id = {StoreMigrations.ApplicationId};");
        before?.Invoke(connection);
        return path;
    }

    [Fact]
    public void The_latest_schema_version_is_the_number_of_migrations_and_at_least_2()
    {
        Assert.Equal(StoreMigrations.All.Count, CrmSyncStore.LatestSchemaVersion);
        Assert.True(CrmSyncStore.LatestSchemaVersion >= 2);
    }

    [Fact]
    public void A_new_database_gets_16_KB_pages_and_an_existing_one_keeps_its_own()
    {
        var fresh = _dir.Combine("fresh-pages.db");
        using (CrmSyncStore.Open(fresh))
        {
        }
        using (var connection = OpenRaw(fresh))
        {
            Assert.Equal((long)CrmSyncStore.NewDatabasePageSize, Scalar(connection, "PRAGMA page_size;"));
            Assert.Equal(16384L, Scalar(connection, "PRAGMA page_size;"));
            Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        }

        var old = CreateVersion1Database("old-pages.db"); // SQLite's default 4 KB pages, as CrmSync created files before
        using (var store = CrmSyncStore.Open(old))
        {
        }
        using (var connection = OpenRaw(old))
        {
            Assert.Equal(4096L, Scalar(connection, "PRAGMA page_size;"));
            Assert.Equal((long)CrmSyncStore.LatestSchemaVersion, Scalar(connection, "PRAGMA user_version;"));
            Assert.Equal("ok", Scalar(connection, "PRAGMA integrity_check;"));
        }
    }

    [Fact]
    public void A_fresh_store_has_every_system_table_and_the_error_time_index()
    {
        var path = _dir.Combine("fresh.db");
        using var store = CrmSyncStore.Open(path);

        using var connection = OpenRaw(path);
        foreach (var table in TablesOfMigration2)
            Assert.True(Exists(connection, "table", table), table);
        Assert.True(Exists(connection, "index", "crmsync_error_occurred"));
        Assert.Equal(0L, Scalar(connection, $"SELECT count(*) FROM {SyncWriteMarker.TableName};"));
    }

    [Fact]
    public void A_version_1_database_without_the_tables_upgrades()
    {
        var path = CreateVersion1Database("v1.db");
        using (var connection = OpenRaw(path))
            Assert.All(TablesOfMigration2, t => Assert.False(Exists(connection, "table", t), t));

        using var store = CrmSyncStore.Open(path);

        Assert.Equal(CrmSyncStore.LatestSchemaVersion, store.ReadSchemaVersion());
        using var raw = OpenRaw(path);
        foreach (var table in TablesOfMigration2)
            Assert.True(Exists(raw, "table", table), table);
        Assert.True(Exists(raw, "index", "crmsync_error_occurred"));
    }

    [Fact]
    public void A_version_1_database_that_created_the_tables_on_first_use_keeps_their_rows_and_loses_a_stale_mark()
    {
        var path = CreateVersion1Database("v1-used.db", connection => Execute(connection, $"""
            CREATE TABLE IF NOT EXISTS {SyncWriteMarker.TableName} (id INTEGER PRIMARY KEY CHECK (id = 1), run_id INTEGER, since TEXT NOT NULL);
            INSERT INTO {SyncWriteMarker.TableName} (id, run_id, since) VALUES (1, 7, '2026-11-01T00:00:00.000Z');
            CREATE TABLE IF NOT EXISTS {ChangeCapture.BaseTable} (table_name TEXT NOT NULL, row_id INTEGER NOT NULL, column_name TEXT NOT NULL,
                old_value, PRIMARY KEY (table_name, row_id, column_name));
            INSERT INTO {ChangeCapture.BaseTable} VALUES ('person', 1, 'Email', 'old@example.com');
            CREATE TABLE IF NOT EXISTS {FieldSyncState.LabelTable} (
                object_name TEXT NOT NULL, field_name TEXT NOT NULL, label TEXT NOT NULL, PRIMARY KEY (object_name, field_name));
            INSERT INTO {FieldSyncState.LabelTable} VALUES ('Lead', 'Email', 'Email Address');
            """));

        using var store = CrmSyncStore.Open(path);

        Assert.Equal(CrmSyncStore.LatestSchemaVersion, store.ReadSchemaVersion());
        using var raw = OpenRaw(path);
        Assert.Equal("old@example.com", Scalar(raw, $"SELECT old_value FROM {ChangeCapture.BaseTable} WHERE row_id = 1;"));
        Assert.Equal("Email Address", Scalar(raw, $"SELECT label FROM {FieldSyncState.LabelTable} WHERE field_name = 'Email';"));
        // a committed writer mark would hide every local change from the capture triggers
        Assert.Equal(0L, Scalar(raw, $"SELECT count(*) FROM {SyncWriteMarker.TableName};"));
    }

    [Fact]
    public void Reopening_an_upgraded_database_changes_nothing()
    {
        var path = CreateVersion1Database("v1-twice.db");
        using (CrmSyncStore.Open(path)) { }
        string Schema()
        {
            using var connection = OpenRaw(path);
            return (string)Scalar(connection, "SELECT group_concat(type || ':' || name || ':' || coalesce(sql, ''), '|') FROM (SELECT * FROM sqlite_schema ORDER BY name);")!;
        }
        var before = Schema();

        using var again = CrmSyncStore.Open(path);

        Assert.Equal(before, Schema());
        Assert.Equal(CrmSyncStore.LatestSchemaVersion, again.ReadSchemaVersion());
    }

    [Fact]
    public void Migration_6_fills_the_field_roles_and_neutral_types_of_an_existing_catalogue()
    {
        var path = CreateVersion1Database("v1-catalog.db", connection =>
        {
            foreach (var (obj, field, type) in new[]
                     {
                         ("Lead", "Id", "id"), ("Lead", "SystemModstamp", "datetime"), ("Lead", "LastModifiedDate", "datetime"), ("Lead", "CreatedDate", "datetime"),
                         ("Lead", "IsDeleted", "boolean"), ("Lead", "MasterRecordId", "reference"), ("Lead", "IsConverted", "boolean"),
                         ("Lead", "ConvertedContactId", "reference"), ("Lead", "Email", "email"), ("Account", "Id", "id"), ("Account", "LastModifiedDate", "datetime"),
                     })
                Execute(connection, $"""
                    INSERT INTO crmsync_field_catalog (object_name, table_name, field_name, column_name, crm_type, sqlite_type, created_at)
                    VALUES ('{obj}', '{obj.ToLowerInvariant()}', '{field}', '{field}', '{type}', 'TEXT', '2026-01-01T00:00:00.000Z');
                    """);
        });

        using var store = CrmSyncStore.Open(path);

        var rows = store.FieldCatalog.List().ToDictionary(e => e.ObjectName + "." + e.FieldName);
        Assert.Equal(CrmFieldRole.PrimaryId, rows["Lead.Id"].Roles);
        Assert.Equal(CrmFieldRole.ModificationStamp, rows["Lead.SystemModstamp"].Roles);
        Assert.Equal(CrmFieldRole.None, rows["Lead.LastModifiedDate"].Roles);
        Assert.Equal(CrmFieldRole.CreatedDate, rows["Lead.CreatedDate"].Roles);
        Assert.Equal(CrmFieldRole.DeletedFlag, rows["Lead.IsDeleted"].Roles);
        Assert.Equal(CrmFieldRole.MergedInto, rows["Lead.MasterRecordId"].Roles);
        Assert.Equal(CrmFieldRole.ConvertedInto, rows["Lead.IsConverted"].Roles);
        Assert.Equal(CrmFieldRole.ConvertedInto, rows["Lead.ConvertedContactId"].Roles);
        Assert.Equal(CrmFieldRole.None, rows["Lead.Email"].Roles);
        Assert.Equal(CrmFieldRole.ModificationStamp, rows["Account.LastModifiedDate"].Roles); // no SystemModstamp: the next stamp
        Assert.Equal(CrmFieldType.Email, rows["Lead.Email"].FieldType);
        Assert.Equal(CrmFieldType.Reference, rows["Lead.MasterRecordId"].FieldType);
        Assert.Equal(CrmFieldType.Id, rows["Account.Id"].FieldType);
    }
}
