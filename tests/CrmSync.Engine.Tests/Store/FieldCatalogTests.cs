using System.Reflection;
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
}
