using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>A system column of a synced table (CRM id, CRM type, modification stamp, ...).</summary>
public sealed record SystemColumn(string Name, SqliteColumnType Type, bool PrimaryKey = false, bool NotNull = false);

/// <summary>
/// Creates the synced object tables and their columns. It only ever issues <c>CREATE TABLE</c> and
/// <c>ALTER TABLE ... ADD COLUMN</c>: created columns and tables are permanent, and there is deliberately no way to
/// remove one. Field columns come only from the field catalog; every identifier is checked by
/// <see cref="SqlIdentifier"/> and quoted.
/// </summary>
public sealed class SchemaWriter
{
    private readonly CrmSyncStore _store;

    internal SchemaWriter(CrmSyncStore store) => _store = store;

    /// <summary>
    /// Creates <paramref name="tableName"/> with <paramref name="systemColumns"/> unless it exists. Returns true when it
    /// was created. Names starting with <c>crmsync_</c> are reserved for the store's own tables.
    /// </summary>
    public bool CreateTableIfMissing(SqliteTransaction transaction, string tableName, IReadOnlyList<SystemColumn> systemColumns)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(systemColumns);
        var table = QuoteSyncedTable(tableName);
        if (systemColumns.Count == 0)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"Table {tableName} needs at least one system column.", "Give the table's system columns.", tableName);
        if (systemColumns.Count(c => c.PrimaryKey) > 1)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"Table {tableName} may have one primary key column.", "Mark one system column as the primary key.", tableName);

        return _store.Write(transaction, (connection, tx) =>
        {
            if (TableExists(connection, tx, tableName))
                return false;
            var columns = systemColumns.Select(c =>
                $"{SqlIdentifier.Quote(c.Name)} {TypeName(c.Type)}{(c.PrimaryKey ? " PRIMARY KEY" : "")}{(c.NotNull && !c.PrimaryKey ? " NOT NULL" : "")}");
            using var command = connection.Command(tx, $"CREATE TABLE {table} ({string.Join(", ", columns)});");
            command.ExecuteNonQuery();
            return true;
        });
    }

    /// <summary>
    /// Adds to <paramref name="tableName"/> every catalogued column it does not have yet (in catalog order) and returns
    /// the names added. Only catalog rows are used; nothing is ever removed.
    /// </summary>
    public IReadOnlyList<string> AddCatalogColumns(SqliteTransaction transaction, string tableName)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var table = QuoteSyncedTable(tableName);
        return _store.Write(transaction, (connection, tx) =>
        {
            if (!TableExists(connection, tx, tableName))
                throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidOperation,
                    $"Table {tableName} does not exist yet.", "Create the table before adding catalog columns.", tableName);
            var present = new HashSet<string>(ReadColumns(connection, tx, tableName), StringComparer.OrdinalIgnoreCase);
            var added = new List<string>();
            foreach (var entry in _store.FieldCatalog.List(tableName: tableName, transaction: tx))
            {
                if (!present.Add(entry.ColumnName))
                    continue;
                using var command = connection.Command(tx,
                    $"ALTER TABLE {table} ADD COLUMN {SqlIdentifier.Quote(entry.ColumnName)} {TypeName(entry.SqliteType)};");
                command.ExecuteNonQuery();
                added.Add(entry.ColumnName);
            }
            return added;
        });
    }

    /// <summary>The columns of a table, in table order (empty when it does not exist).</summary>
    public IReadOnlyList<string> ReadColumns(string tableName, SqliteTransaction? transaction = null) =>
        _store.Read(transaction, (connection, tx) => ReadColumns(connection, tx, tableName));

    private static List<string> ReadColumns(SqliteConnection connection, SqliteTransaction? tx, string tableName)
    {
        using var command = connection.Command(tx, "SELECT name FROM pragma_table_info($table) ORDER BY cid;").With("$table", tableName);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
            names.Add(reader.GetString(0));
        return names;
    }

    private static bool TableExists(SqliteConnection connection, SqliteTransaction? tx, string tableName)
    {
        using var command = connection.Command(tx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = $table COLLATE NOCASE;")
            .With("$table", tableName);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static string QuoteSyncedTable(string tableName)
    {
        var quoted = SqlIdentifier.Quote(tableName);
        if (tableName.StartsWith("crmsync_", StringComparison.OrdinalIgnoreCase))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"Table names starting with 'crmsync_' are reserved for CrmSync's own tables ({tableName}).",
                "Use the CRM object's name for a synced table.", tableName);
        return quoted;
    }

    private static string TypeName(SqliteColumnType type) => type switch
    {
        SqliteColumnType.Text => "TEXT",
        SqliteColumnType.Integer => "INTEGER",
        SqliteColumnType.Real => "REAL",
        SqliteColumnType.Numeric => "NUMERIC",
        SqliteColumnType.Blob => "BLOB",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown SQLite column type."),
    };
}
