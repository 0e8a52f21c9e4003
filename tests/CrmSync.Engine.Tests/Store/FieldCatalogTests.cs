using System.Reflection;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

public sealed class FieldCatalogTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly CrmSyncStore _store;

    public FieldCatalogTests() => _store = CrmSyncStore.Open(_dir.Combine("p.db"), _time);

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private static NewCatalogField Email => new("Lead", "person", "Email", "Email", "email", SqliteColumnType.Text, true, true);

    private int Execute(string sql)
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    [Fact]
    public void Append_stores_the_field_with_its_creation_facts()
    {
        var run = _store.Runs.Start(RunKind.Initial, "test");
        var entry = _store.FieldCatalog.Append(Email, run);

        Assert.Equal(("Lead", "person", "Email", "Email", "email", SqliteColumnType.Text),
            (entry.ObjectName, entry.TableName, entry.FieldName, entry.ColumnName, entry.CrmType, entry.SqliteType));
        Assert.True(entry.IsCreateable && entry.IsUpdateable && !entry.IsCalculated && !entry.IsExternalId && !entry.IsOrphaned);
        Assert.Equal(_time.GetUtcNow(), entry.CreatedAt);
        Assert.Equal(run, entry.CreatedByRun);
        Assert.Equal([entry], _store.FieldCatalog.List());
    }

    [Fact]
    public void Appending_the_same_field_again_is_harmless_but_moving_it_is_refused()
    {
        var first = _store.FieldCatalog.Append(Email);
        Assert.Equal(first, _store.FieldCatalog.Append(Email));

        var e = Assert.Throws<CrmSyncException>(() => _store.FieldCatalog.Append(Email with { ColumnName = "EmailAddress" }));
        Assert.Equal(ErrorIds.CatalogAppendOnly, e.ErrorId);
        Assert.Single(_store.FieldCatalog.List());
    }

    [Fact]
    public void The_database_refuses_a_raw_delete()
    {
        _store.FieldCatalog.Append(Email);

        var e = Assert.Throws<SqliteException>(() => Execute("DELETE FROM crmsync_field_catalog;"));
        Assert.Contains("append-only", e.Message);
        Assert.Single(_store.FieldCatalog.List());
    }

    [Theory]
    [InlineData("column_name = 'Other'")]
    [InlineData("table_name = 'account'")]
    [InlineData("field_name = 'Other'")]
    [InlineData("object_name = 'Contact'")]
    [InlineData("created_at = '2000-01-01T00:00:00.0000000Z'")]
    [InlineData("crm_type = 'string'")]
    [InlineData("sqlite_type = 'BLOB'")]
    public void The_database_refuses_changing_a_fields_identity(string assignment)
    {
        var before = _store.FieldCatalog.Append(Email);

        var e = Assert.Throws<SqliteException>(() => Execute($"UPDATE crmsync_field_catalog SET {assignment};"));
        Assert.Contains("append-only", e.Message);
        Assert.Equal(before, _store.FieldCatalog.Find("Lead", "Email"));
    }

    [Fact]
    public void Flags_such_as_orphaned_may_change()
    {
        _store.FieldCatalog.Append(Email);
        _store.FieldCatalog.Append(Email with { FieldName = "Phone", ColumnName = "Phone", CrmType = "phone" });

        Assert.Equal(1, Execute("UPDATE crmsync_field_catalog SET is_updateable = 0 WHERE field_name = 'Phone';"));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(_store.FieldCatalog.MarkOrphaned("Lead", "Email"));
        Assert.True(_store.FieldCatalog.MarkTypeReplaced("Lead", "Phone", "string"));
        Assert.False(_store.FieldCatalog.MarkOrphaned("Lead", "NoSuchField"));

        var email = _store.FieldCatalog.Find("Lead", "Email")!;
        Assert.True(email.IsOrphaned);
        Assert.Equal(_time.GetUtcNow(), email.OrphanedAt);
        var phone = _store.FieldCatalog.Find("Lead", "Phone")!;
        Assert.False(phone.IsUpdateable);
        Assert.Equal(("phone", "string"), (phone.CrmType, phone.ReplacedType));
    }

    [Theory]
    [InlineData("Email\"; DROP TABLE crmsync_run; --")]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("sqlite_master")]
    [InlineData("a b")]
    public void Identifiers_that_fail_the_strict_pattern_are_refused(string column)
    {
        var e = Assert.Throws<CrmSyncException>(() => _store.FieldCatalog.Append(Email with { ColumnName = column }));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        Assert.Empty(_store.FieldCatalog.List());
    }

    [Fact]
    public void The_schema_writer_creates_tables_and_adds_catalog_columns_only()
    {
        _store.FieldCatalog.Append(Email);
        _store.FieldCatalog.Append(new NewCatalogField("Contact", "person", "Email", "Email", "email", SqliteColumnType.Text));
        _store.FieldCatalog.Append(new NewCatalogField("Lead", "person", "AnnualRevenue", "AnnualRevenue", "currency", SqliteColumnType.Real));
        SystemColumn[] system = [new("local_id", SqliteColumnType.Integer, PrimaryKey: true), new("crm_id", SqliteColumnType.Text)];

        using var connection = _store.OpenConnection();
        using (var transaction = connection.BeginTransaction())
        {
            Assert.True(_store.SchemaWriter.CreateTableIfMissing(transaction, "person", system));
            Assert.False(_store.SchemaWriter.CreateTableIfMissing(transaction, "person", system));
            Assert.Equal(["Email", "AnnualRevenue"], _store.SchemaWriter.AddCatalogColumns(transaction, "person"));
            Assert.Empty(_store.SchemaWriter.AddCatalogColumns(transaction, "person"));
            transaction.Commit();
        }

        // an orphaned field keeps its column
        _store.FieldCatalog.MarkOrphaned("Lead", "AnnualRevenue");
        using (var transaction = connection.BeginTransaction())
        {
            Assert.Empty(_store.SchemaWriter.AddCatalogColumns(transaction, "person"));
            transaction.Commit();
        }
        Assert.Equal(["local_id", "crm_id", "Email", "AnnualRevenue"], _store.SchemaWriter.ReadColumns("person"));
        using var types = connection.CreateCommand();
        types.CommandText = "SELECT type FROM pragma_table_info('person') WHERE name = 'AnnualRevenue';";
        Assert.Equal("REAL", types.ExecuteScalar());
    }

    [Fact]
    public void The_client_key_is_unique_among_the_rows_that_have_one_through_a_partial_index()
    {
        using var connection = _store.OpenConnection();
        using (var transaction = connection.BeginTransaction())
        {
            Assert.True(_store.SchemaWriter.CreateTableIfMissing(transaction, "person", SystemColumns.For(isPerson: true, isTwoWay: true)));
            Assert.True(_store.SchemaWriter.CreateTableIfMissing(transaction, "campaign", SystemColumns.For(isPerson: false, isTwoWay: true)));
            transaction.Commit();
        }
        object? Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }
        foreach (var table in new[] { "person", "campaign" })
        {
            var index = SchemaWriter.PartialUniqueIndexName(table, SystemColumns.ClientKey);
            Assert.Equal("ux_" + table + "_client_key", index);
            // The index exists, is unique and partial; the column carries no UNIQUE constraint of its own (no index of the NULLs).
            Assert.Equal(1L, Scalar($"SELECT \"unique\" FROM pragma_index_list('{table}') WHERE name = '{index}';"));
            Assert.Equal(1L, Scalar($"SELECT partial FROM pragma_index_list('{table}') WHERE name = '{index}';"));
            Assert.Equal(0L, Scalar($"SELECT count(*) FROM pragma_index_list('{table}') AS l JOIN pragma_index_info(l.name) AS i WHERE l.origin = 'u' AND i.name = '_client_key';"));

            Execute($"INSERT INTO {table} (_crm_id, _client_key) VALUES ('a', NULL), ('b', NULL), ('c', 'k1');"); // NULLs: any number
            var duplicate = Assert.Throws<SqliteException>(() => Execute($"INSERT INTO {table} (_crm_id, _client_key) VALUES ('d', 'k1');"));
            Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT, as the UNIQUE constraint answered
            Assert.Contains("_client_key", duplicate.Message);
            // The look-up of a created row by its key (RecordApplier's adoption) still uses an index.
            Assert.Contains(index, QueryPlan(connection, $"SELECT _row_id FROM {table} WHERE _client_key = 'k1' AND _crm_id IS NULL;"));
        }

        var bad = new SystemColumn("_client_key", SqliteColumnType.Text) { Unique = true, UniqueWhenNotNull = true };
        using var tx = connection.BeginTransaction();
        Assert.Throws<CrmSyncException>(() => _store.SchemaWriter.CreateTableIfMissing(tx, "other",
            [new SystemColumn("_row_id", SqliteColumnType.Integer, PrimaryKey: true), bad]));
    }

    private static string QueryPlan(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
            lines.Add(reader.GetString(3));
        return string.Join("\n", lines);
    }

    [Theory]
    [InlineData("person; DROP TABLE crmsync_run")]
    [InlineData("crmsync_field_catalog")]
    [InlineData("sqlite_sequence")]
    public void The_schema_writer_refuses_unsafe_or_reserved_table_names(string table)
    {
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();

        var e = Assert.Throws<CrmSyncException>(() =>
            _store.SchemaWriter.CreateTableIfMissing(transaction, table, [new SystemColumn("id", SqliteColumnType.Integer, PrimaryKey: true)]));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        Assert.Throws<CrmSyncException>(() => _store.SchemaWriter.AddCatalogColumns(transaction, table));
        transaction.Rollback();
        Assert.Empty(_store.Runs.List()); // crmsync_run is still there and readable
    }

    [Fact]
    public void No_store_type_offers_a_way_to_drop_a_field_column_or_table()
    {
        string[] forbidden = ["Drop", "DeleteField", "RemoveField", "DeleteColumn", "RemoveColumn", "DeleteTable", "RemoveTable", "Truncate"];
        var storeTypes = typeof(CrmSyncStore).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(CrmSyncStore).Namespace)
            .ToList();
        Assert.Contains(typeof(SchemaWriter), storeTypes);
        Assert.Contains(typeof(FieldCatalog), storeTypes);

        var offenders = storeTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => forbidden.Any(f => m.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .ToList();
        Assert.Empty(offenders);

        // the schema writer's whole public surface: create, add, read
        var writerMethods = typeof(SchemaWriter).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Select(m => m.Name).Order().ToList();
        Assert.Equal(["AddCatalogColumns", "CreateTableIfMissing", "ReadColumns"], writerMethods);
    }

    [Fact]
    public void MarkRestored_revives_an_orphaned_field_and_only_an_orphaned_one()
    {
        var created = _store.FieldCatalog.Append(Email);
        Assert.False(_store.FieldCatalog.MarkRestored("Lead", "Email")); // not orphaned
        Assert.False(_store.FieldCatalog.MarkRestored("Lead", "NoSuchField"));
        _store.FieldCatalog.MarkOrphaned("Lead", "Email");
        Assert.True(_store.FieldCatalog.Find("Lead", "Email")!.IsOrphaned);

        using (var connection = _store.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            Assert.True(_store.FieldCatalog.MarkRestored("Lead", "Email", transaction));
            transaction.Rollback();
        }
        Assert.True(_store.FieldCatalog.Find("Lead", "Email")!.IsOrphaned); // the caller's transaction decides

        Assert.True(_store.FieldCatalog.MarkRestored("Lead", "Email"));
        var restored = _store.FieldCatalog.Find("Lead", "Email")!;
        Assert.False(restored.IsOrphaned);
        Assert.Null(restored.OrphanedAt);
        Assert.Equal(created with { IsOrphaned = false, OrphanedAt = null }, restored);
    }

    [Fact]
    public void ClearReplacedType_forgets_a_recorded_type_change_and_keeps_the_created_type()
    {
        var created = _store.FieldCatalog.Append(Email);
        Assert.False(_store.FieldCatalog.ClearReplacedType("Lead", "Email")); // nothing recorded
        _store.FieldCatalog.MarkTypeReplaced("Lead", "Email", "string");
        Assert.Equal("string", _store.FieldCatalog.Find("Lead", "Email")!.ReplacedType);

        Assert.True(_store.FieldCatalog.ClearReplacedType("Lead", "Email"));

        var entry = _store.FieldCatalog.Find("Lead", "Email")!;
        Assert.Null(entry.ReplacedType);
        Assert.Equal("email", entry.CrmType);
        Assert.Equal(created, entry);
        Assert.False(_store.FieldCatalog.ClearReplacedType("Lead", "NoSuchField"));
    }

    [Fact]
    public void The_triggers_still_refuse_delete_and_identity_changes_after_restoring_and_clearing()
    {
        _store.FieldCatalog.Append(Email);
        _store.FieldCatalog.MarkOrphaned("Lead", "Email");
        _store.FieldCatalog.MarkTypeReplaced("Lead", "Email", "string");
        _store.FieldCatalog.MarkRestored("Lead", "Email");
        _store.FieldCatalog.ClearReplacedType("Lead", "Email");
        var before = _store.FieldCatalog.Find("Lead", "Email");

        Assert.Contains("append-only", Assert.Throws<SqliteException>(() => Execute("DELETE FROM crmsync_field_catalog;")).Message);
        Assert.Contains("append-only", Assert.Throws<SqliteException>(() => Execute("UPDATE crmsync_field_catalog SET crm_type = 'string';")).Message);
        Assert.Contains("append-only", Assert.Throws<SqliteException>(() => Execute("UPDATE crmsync_field_catalog SET column_name = 'Mail';")).Message);
        Assert.Equal(before, _store.FieldCatalog.Find("Lead", "Email"));
    }

    [Theory]
    [InlineData("_crm_id", true)]
    [InlineData("_row_id", true)]
    [InlineData("_converted_from_lead_id", true)]
    [InlineData("_x1", true)]
    [InlineData("crm_id", false)]
    [InlineData("_Crm_id", false)]
    [InlineData("__crm_id", false)]
    [InlineData("_1", false)]
    [InlineData("_", false)]
    [InlineData("_crm_id\n", false)]
    [InlineData("_crm_id\"; DROP TABLE crmsync_run; --", false)]
    [InlineData("_crm id", false)]
    public void System_column_names_are_an_underscore_then_lower_case_letters_digits_and_underscores(string name, bool valid)
    {
        Assert.Equal(valid, SqlIdentifier.IsValidSystemColumn(name));
        if (valid)
            Assert.Equal("\"" + name + "\"", SqlIdentifier.QuoteSystemColumn(name));
        else
            Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CrmSyncException>(() => SqlIdentifier.QuoteSystemColumn(name)).ErrorId);
        if (valid)
            Assert.False(SqlIdentifier.IsValid(name)); // a field column can never take a system column's name
    }

    [Fact]
    public void The_schema_writer_creates_a_synced_table_with_its_system_columns_and_their_constraints()
    {
        _store.FieldCatalog.Append(Email);
        using var connection = _store.OpenConnection();
        using (var transaction = connection.BeginTransaction())
        {
            Assert.True(_store.SchemaWriter.CreateTableIfMissing(transaction, "person", SystemColumns.For(isPerson: true, isTwoWay: true)));
            Assert.Equal(["Email"], _store.SchemaWriter.AddCatalogColumns(transaction, "person"));
            transaction.Commit();
        }

        Assert.Equal([.. SystemColumns.NamesFor(isPerson: true, isTwoWay: true), "Email"], _store.SchemaWriter.ReadColumns("person"));
        Execute("INSERT INTO person (_crm_id, _crm_type, Email) VALUES ('00Q000000000001AAA', 'Lead', 'a@example.com');");
        Execute("INSERT INTO person (_crm_id, _crm_type) VALUES ('00Q000000000001AAa', 'Contact');"); // ids compare case-sensitively
        Execute("INSERT INTO person (_crm_type) VALUES (NULL);"); // a person created locally
        Assert.Throws<SqliteException>(() => Execute("INSERT INTO person (_crm_id) VALUES ('00Q000000000001AAA');")); // unique
        Assert.Throws<SqliteException>(() => Execute("INSERT INTO person (_crm_type) VALUES ('Account');")); // CHECK
        Assert.Throws<SqliteException>(() => Execute("INSERT INTO person (_crm_is_deleted) VALUES (2);")); // a flag
        Assert.Throws<SqliteException>(() => Execute("INSERT INTO person (_crm_is_deleted) VALUES (NULL);"));
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(_crm_is_deleted) FROM person;";
        Assert.Equal("0,0,0", command.ExecuteScalar()); // DEFAULT 0
        command.CommandText = "SELECT count(*) FROM pragma_table_info('person') WHERE name = '_row_id' AND pk = 1 AND type = 'INTEGER';";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public void The_schema_writer_refuses_unsafe_system_column_definitions()
    {
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        SystemColumn[][] unsafeDefinitions =
        [
            [new("_row_id\" INTEGER); DROP TABLE crmsync_run; --", SqliteColumnType.Integer, PrimaryKey: true)],
            [new("_Row", SqliteColumnType.Integer, PrimaryKey: true)],
            [new("_row_id", SqliteColumnType.Integer, PrimaryKey: true), new("_row_id", SqliteColumnType.Text)],
            [new("_row_id", SqliteColumnType.Integer, PrimaryKey: true), new("_kind", SqliteColumnType.Text) { AllowedValues = ["Lead'); DROP TABLE x; --"] }],
            [new("_row_id", SqliteColumnType.Integer, PrimaryKey: true), new("_kind", SqliteColumnType.Text) { AllowedValues = [] }],
            [new("_row_id", SqliteColumnType.Integer, PrimaryKey: true), new("_kind", SqliteColumnType.Integer) { AllowedValues = ["A"] }],
            [new("_row_id", SqliteColumnType.Integer, PrimaryKey: true), new("_flag", SqliteColumnType.Text) { IsFlag = true }],
        ];

        foreach (var columns in unsafeDefinitions)
            Assert.Equal(ErrorIds.InvalidArgument,
                Assert.Throws<CrmSyncException>(() => _store.SchemaWriter.CreateTableIfMissing(transaction, "thing", columns)).ErrorId);
        transaction.Rollback();
        Assert.Empty(_store.SchemaWriter.ReadColumns("thing"));
        Assert.Empty(_store.Runs.List()); // crmsync_run is still there
    }
}
