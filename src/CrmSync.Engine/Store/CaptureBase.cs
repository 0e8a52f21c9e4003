using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// The capture base (<c>crmsync_capture_base</c>): per row and column, the value the column had before its first unpushed
/// local change (the capture triggers fill it). The pull compares a pulled value with it to tell a local-only change from a
/// collision; the push moves it to what the CRM has after a successful push. Every call runs in the caller's transaction.
/// </summary>
public sealed class CaptureBase
{
    /// <summary>The table (created by the store's migrations; the capture triggers write it too).</summary>
    public const string TableName = "crmsync_capture_base";

    private readonly CrmSyncStore _store;

    internal CaptureBase(CrmSyncStore store) => _store = store;

    /// <summary>The base values of one row, by column.</summary>
    public IReadOnlyDictionary<string, object?> Read(SqliteTransaction transaction, string table, long rowId) =>
        _store.Read(transaction, (connection, tx) =>
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            using var read = connection.Command(tx, $"SELECT column_name, old_value FROM {TableName} WHERE table_name = $table AND row_id = $row;")
                .With("$table", table).With("$row", rowId);
            using var reader = read.ExecuteReader();
            while (reader.Read())
                values[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetValue(1);
            return values;
        });

    /// <summary>Sets the base of one column (what the CRM has now).</summary>
    public void Set(SqliteTransaction transaction, string table, long rowId, string column, object? value) =>
        Execute(transaction, $"INSERT OR REPLACE INTO {TableName} (table_name, row_id, column_name, old_value) VALUES ($table, $row, $column, $value);",
            table, rowId, column, value);

    /// <summary>Forgets the base of one column, or of the whole row when <paramref name="column"/> is null.</summary>
    public void Forget(SqliteTransaction transaction, string table, long rowId, string? column = null) =>
        Execute(transaction, column is null
            ? $"DELETE FROM {TableName} WHERE table_name = $table AND row_id = $row;"
            : $"DELETE FROM {TableName} WHERE table_name = $table AND row_id = $row AND column_name = $column;", table, rowId, column, null);

    /// <summary>Forgets the base of a row that has no change waiting in the outbox any more.</summary>
    public void ForgetIfSettled(SqliteTransaction transaction, string table, long rowId) =>
        Execute(transaction, $"""
            DELETE FROM {TableName} WHERE table_name = $table AND row_id = $row
              AND NOT EXISTS (SELECT 1 FROM crmsync_outbox WHERE table_name = $table AND row_key = $key AND state IN ('Pending', 'InFlight'));
            """, table, rowId, null, null);

    private void Execute(SqliteTransaction transaction, string sql, string table, long rowId, string? column, object? value) =>
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, sql).With("$table", table).With("$row", rowId)
                .With("$key", rowId.ToString(System.Globalization.CultureInfo.InvariantCulture)).With("$column", column).With("$value", value);
            return command.ExecuteNonQuery();
        });
}
