using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// A system column of a synced table (CRM id, CRM type, modification stamp, ...). Its name is a system column name
/// (<see cref="SqlIdentifier.IsValidSystemColumn"/>, e.g. <c>_crm_id</c>) or a plain identifier; constraints are flags,
/// never SQL text.
/// </summary>
/// <param name="Name">The column name.</param>
/// <param name="Type">The storage class.</param>
/// <param name="PrimaryKey">The table's primary key (an INTEGER one is the rowid).</param>
/// <param name="NotNull">NOT NULL.</param>
public sealed record SystemColumn(string Name, SqliteColumnType Type, bool PrimaryKey = false, bool NotNull = false)
{
    /// <summary>UNIQUE; a unique TEXT column compares case-sensitively (<c>COLLATE BINARY</c>, spelled out).</summary>
    public bool Unique { get; init; }

    /// <summary>
    /// Unique among the rows that have a value: a partial unique index (<c>WHERE column IS NOT NULL</c>) instead of a UNIQUE
    /// constraint, for a column most rows leave NULL (<c>_client_key</c>: only rows created locally have one). A UNIQUE
    /// constraint indexes the NULLs too: an index entry written for every pulled row, which no look-up ever reads.
    /// A TEXT column compares case-sensitively (<c>COLLATE BINARY</c>, spelled out).
    /// </summary>
    public bool UniqueWhenNotNull { get; init; }

    /// <summary>A 0/1 flag: INTEGER NOT NULL DEFAULT 0 CHECK (column IN (0, 1)).</summary>
    public bool IsFlag { get; init; }

    /// <summary>
    /// The only values a TEXT column may hold (CHECK IN; NULL too unless <see cref="NotNull"/>); each is 1 to 64 letters,
    /// digits or '_'. Null allows any value.
    /// </summary>
    public IReadOnlyList<string>? AllowedValues { get; init; }
}

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
        var columns = systemColumns.Select(c => ColumnDefinition(tableName, c)).ToList();
        if (systemColumns.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != systemColumns.Count)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"Table {tableName} names a system column twice.", "Give each system column once.", tableName);

        return _store.Write(transaction, (connection, tx) =>
        {
            if (TableExists(connection, tx, tableName))
                return false;
            using (var command = connection.Command(tx, $"CREATE TABLE {table} ({string.Join(", ", columns)});"))
                command.ExecuteNonQuery();
            foreach (var column in systemColumns.Where(c => c.UniqueWhenNotNull))
            {
                var name = QuoteColumn(column);
                using var index = connection.Command(tx,
                    $"CREATE UNIQUE INDEX {SqlIdentifier.Quote(PartialUniqueIndexName(tableName, column.Name))} ON {table} ({name}) WHERE {name} IS NOT NULL;");
                index.ExecuteNonQuery();
            }
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

    /// <summary>The name of the partial unique index of a <see cref="SystemColumn.UniqueWhenNotNull"/> column: <c>ux_&lt;table&gt;_&lt;column without its leading '_'&gt;</c>.</summary>
    public static string PartialUniqueIndexName(string tableName, string columnName) => "ux_" + tableName + "_" + columnName.TrimStart('_');

    private static string QuoteColumn(SystemColumn column) =>
        SqlIdentifier.IsValidSystemColumn(column.Name) ? SqlIdentifier.QuoteSystemColumn(column.Name) : SqlIdentifier.Quote(column.Name);

    /// <summary>The column definition of a system column: every name checked and quoted, every constraint from a flag.</summary>
    private static string ColumnDefinition(string tableName, SystemColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var name = QuoteColumn(column);
        if (column.IsFlag && (column.Type != SqliteColumnType.Integer || column.PrimaryKey || column.AllowedValues is not null))
            throw Invalid(tableName, column, "a flag column is a plain INTEGER column");
        if (column.AllowedValues is { } allowed && (column.Type != SqliteColumnType.Text || column.PrimaryKey || allowed.Count == 0
                || allowed.Any(v => v is null || v.Length is 0 or > 64 || !v.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))))
            throw Invalid(tableName, column, "allowed values belong to a TEXT column and are 1 to 64 letters, digits or '_'");

        var sql = new System.Text.StringBuilder($"{name} {TypeName(column.Type)}");
        if (column.UniqueWhenNotNull && (column.Unique || column.PrimaryKey))
            throw Invalid(tableName, column, "a column is either the primary key, UNIQUE or unique when not NULL");
        if ((column.Unique || column.UniqueWhenNotNull) && column.Type == SqliteColumnType.Text)
            sql.Append(" COLLATE BINARY");
        if (column.PrimaryKey)
            sql.Append(" PRIMARY KEY");
        else
        {
            if (column.NotNull || column.IsFlag)
                sql.Append(" NOT NULL");
            if (column.IsFlag)
                sql.Append($" DEFAULT 0 CHECK ({name} IN (0, 1))");
            if (column.Unique)
                sql.Append(" UNIQUE");
            if (column.AllowedValues is { } values)
                sql.Append($" CHECK ({name} IN ({string.Join(", ", values.Select(v => "'" + v + "'"))}){(column.NotNull ? "" : $" OR {name} IS NULL")})");
        }
        return sql.ToString();
    }

    private static CrmSyncException Invalid(string tableName, SystemColumn column, string reason) =>
        new(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            $"The system column {column.Name} of table {tableName} is not valid: {reason}.", "Fix the system column definition.", tableName);

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
