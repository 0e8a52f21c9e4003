using System.Globalization;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>
/// A statement prepared once per page on the transaction's connection and bound by parameter index for each record
/// (SQLite's own prepared-statement API: no per-record lookup of parameters by name, no per-record allocation of
/// parameter objects, strings bound as UTF-16 without a managed copy). Still parameterised SQL: values are never
/// spliced into the text. A failing step throws <see cref="SqliteException"/> with SQLite's result code, as
/// <see cref="SqliteCommand"/> would, after the statement was reset (SQLite undid that statement's changes).
/// </summary>
internal sealed class RecordCommand : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SQLitePCL.sqlite3_stmt _statement;
    private readonly List<(Slot Slot, int Index)> _bound = [];

    public RecordCommand(SqliteConnection connection, string sql, bool withType, int fields, bool withRow)
    {
        _connection = connection;
        var rc = SQLitePCL.raw.sqlite3_prepare_v2(connection.Handle!, sql, out _statement);
        if (rc != SQLitePCL.raw.SQLITE_OK)
        {
            _statement?.Dispose();
            throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
        }
        Slot Add(string name)
        {
            var slot = new Slot();
            var index = SQLitePCL.raw.sqlite3_bind_parameter_index(_statement, name);
            if (index > 0) _bound.Add((slot, index));
            return slot;
        }
        Id = Add("$id");
        Deleted = Add("$deleted");
        Stamp = Add("$stamp");
        Now = Add("$now");
        Created = Add("$created");
        Type = withType ? Add("$type") : null;
        Fields = new Slot[fields];
        for (var i = 0; i < fields; i++)
            Fields[i] = Add("$p" + i.ToString(CultureInfo.InvariantCulture));
        Row = withRow ? Add("$row") : null;
    }

    /// <summary>The INSERT of one pulled record into <paramref name="table"/> (quoted); with <c>$type</c> when <paramref name="withType"/>.</summary>
    public static RecordCommand ForInsert(SqliteConnection connection, string table, SyncedObjectPlan plan, bool withType)
    {
        var columns = new List<string> { SystemColumns.CrmId, SystemColumns.CrmIsDeleted, SystemColumns.CrmModstamp, SystemColumns.CrmCreatedDate, SystemColumns.SyncedAt };
        var values = new List<string> { "$id", "$deleted", "$stamp", "$created", "$now" };
        if (withType)
        {
            columns.Add(SystemColumns.CrmType);
            values.Add("$type");
        }
        for (var i = 0; i < plan.Fields.Count; i++)
        {
            columns.Add(plan.Fields[i].ColumnName);
            values.Add("$p" + i.ToString(CultureInfo.InvariantCulture));
        }
        return new RecordCommand(connection,
            $"INSERT INTO {table} ({string.Join(", ", columns.Select(QuoteColumn))}) VALUES ({string.Join(", ", values)});",
            withType, plan.Fields.Count, withRow: false);
    }

    /// <summary>The UPDATE of one row by <c>$row</c> with the field rules applied; the columns in <paramref name="keep"/> are left as they are.</summary>
    public static RecordCommand ForUpdate(SqliteConnection connection, string table, SyncedObjectPlan plan, bool withType, IReadOnlySet<string>? keep = null) =>
        new(connection, UpdateSql(table, plan, withType, keep), withType, plan.Fields.Count, withRow: true);

    /// <summary>
    /// The SQL of <see cref="ForUpdate"/>: parameters <c>$deleted</c>, <c>$stamp</c>, <c>$created</c>, <c>$now</c>, <c>$type</c>
    /// (when <paramref name="withType"/>), <c>$p</c>i for the plan's i-th field (absent for a kept column) and <c>$row</c>.
    /// </summary>
    public static string UpdateSql(string table, SyncedObjectPlan plan, bool withType, IReadOnlySet<string>? keep)
    {
        var set = new List<string>
        {
            $"\"{SystemColumns.CrmIsDeleted}\" = $deleted",
            $"\"{SystemColumns.CrmModstamp}\" = coalesce($stamp, \"{SystemColumns.CrmModstamp}\")",
            $"\"{SystemColumns.CrmCreatedDate}\" = coalesce($created, \"{SystemColumns.CrmCreatedDate}\")",
            $"\"{SystemColumns.SyncedAt}\" = $now",
        };
        if (withType)
            set.Add($"\"{SystemColumns.CrmType}\" = $type");
        for (var i = 0; i < plan.Fields.Count; i++)
        {
            var field = plan.Fields[i];
            if (keep is not null && keep.Contains(field.ColumnName))
                continue;
            var column = SqlIdentifier.Quote(field.ColumnName);
            var p = "$p" + i.ToString(CultureInfo.InvariantCulture);
            switch (field.Rule)
            {
                case FieldMappingRule.AlwaysLocal:
                    set.Add($"{column} = coalesce({column}, {p})"); // local always wins; the CRM only fills an empty column
                    break;
                case FieldMappingRule.PreferCrmUnlessBlank:
                    set.Add($"{column} = CASE WHEN {p} IS NULL OR {p} = '' THEN {column} ELSE {p} END");
                    break;
                default:
                    set.Add($"{column} = {p}");
                    break;
            }
        }
        return $"UPDATE {table} SET {string.Join(", ", set)} WHERE \"{SystemColumns.RowId}\" = $row;";
    }

    /// <summary>System columns (constants of <see cref="SystemColumns"/>, which start with '_') quoted as they are; field columns checked by <see cref="SqlIdentifier"/>.</summary>
    private static string QuoteColumn(string name) =>
        name.StartsWith('_') && SystemColumns.NamesFor(isPerson: true, isTwoWay: true).Contains(name, StringComparer.Ordinal)
            ? "\"" + name + "\""
            : SqlIdentifier.Quote(name);


    public Slot Id { get; }
    public Slot Deleted { get; }
    public Slot Stamp { get; }
    public Slot Now { get; }
    public Slot Created { get; }
    public Slot? Type { get; }
    public Slot[] Fields { get; }
    public Slot? Row { get; }

    /// <summary>Binds every slot, runs the statement to completion and resets it; returns the rows changed.</summary>
    public int ExecuteNonQuery()
    {
        var db = _connection.Handle!;
        try
        {
            foreach (var (slot, index) in _bound)
                Check(BindValue(index, slot.Value), db);
            var rc = SQLitePCL.raw.sqlite3_step(_statement);
            if (rc != SQLitePCL.raw.SQLITE_DONE && rc != SQLitePCL.raw.SQLITE_ROW)
            {
                var message = SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string();
                var extended = SQLitePCL.raw.sqlite3_extended_errcode(db);
                SQLitePCL.raw.sqlite3_reset(_statement);
                throw new SqliteException($"SQLite Error {rc}: '{message}'.", rc, extended);
            }
            return SQLitePCL.raw.sqlite3_changes(db);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_reset(_statement);
        }
    }

    private int BindValue(int index, object? value) => value switch
    {
        null or DBNull => SQLitePCL.raw.sqlite3_bind_null(_statement, index),
        // An empty span would reach SQLite as a NULL pointer, which binds NULL: '' goes through the UTF-8 overload.
        string { Length: 0 } => SQLitePCL.raw.sqlite3_bind_text(_statement, index, string.Empty),
        string s => SQLitePCL.raw.sqlite3_bind_text16(_statement, index, s.AsSpan()),
        long l => SQLitePCL.raw.sqlite3_bind_int64(_statement, index, l),
        int i => SQLitePCL.raw.sqlite3_bind_int64(_statement, index, i),
        bool b => SQLitePCL.raw.sqlite3_bind_int64(_statement, index, b ? 1 : 0),
        double d => double.IsNaN(d) ? SQLitePCL.raw.sqlite3_bind_null(_statement, index) : SQLitePCL.raw.sqlite3_bind_double(_statement, index, d),
        byte[] bytes => SQLitePCL.raw.sqlite3_bind_blob(_statement, index, bytes),
        decimal m => SQLitePCL.raw.sqlite3_bind_text16(_statement, index, m.ToString(CultureInfo.InvariantCulture).AsSpan()),
        _ => throw new ArgumentException($"A value of type {value.GetType().Name} cannot be bound.", nameof(value)),
    };

    private void Check(int rc, SQLitePCL.sqlite3 db)
    {
        if (rc != SQLitePCL.raw.SQLITE_OK)
            throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string(), rc);
    }

    public void Dispose() => _statement.Dispose();

    /// <summary>The value a <see cref="RecordCommand"/> binds to one parameter on its next execution.</summary>
    public sealed class Slot
    {
        public object? Value;
    }
}
