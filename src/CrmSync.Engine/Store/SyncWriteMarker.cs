using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CrmSync.Engine.Store;

/// <summary>
/// Marks the sync's own writes so that change-capture triggers do not echo them back into the outbox.
/// <para>The mark is a row in <c>crmsync_sync_writer</c> that the sync inserts at the start of each of its write
/// transactions and deletes before committing. No other connection ever sees it (it is never committed, and SQLite has one
/// writer at a time), while every statement of the sync's transaction, and every trigger those statements fire, does.
/// A crash rolls the transaction back and the mark with it. A trigger skips the sync's writes with
/// <c>WHEN NOT EXISTS (SELECT 1 FROM crmsync_sync_writer)</c> (<see cref="TriggerCondition"/>); a temporary table could not
/// be used, because a trigger of the main schema may not read the temp schema.</para>
/// </summary>
public static class SyncWriteMarker
{
    /// <summary>The marker table.</summary>
    public const string TableName = "crmsync_sync_writer";

    /// <summary>The WHEN clause body a capture trigger uses to ignore the sync's own writes.</summary>
    public const string TriggerCondition = "NOT EXISTS (SELECT 1 FROM crmsync_sync_writer)";

    /// <summary>
    /// Removes a mark left committed by a write that never reached <see cref="End"/> (it would hide every local change from
    /// the capture triggers). The table itself is created by the store's migrations. The orchestrator calls this at the
    /// start of each cycle, under the run lock.
    /// </summary>
    public static void ClearStaleMark(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.Write<object?>(null, (connection, transaction) =>
        {
            Execute(connection, transaction, $"DELETE FROM {TableName};");
            return null;
        });
    }

    /// <summary>Marks the rest of <paramref name="transaction"/> as the sync's own writes.</summary>
    public static void Begin(SqliteTransaction transaction, long? runId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT OR REPLACE INTO {TableName} (id, run_id, since) VALUES (1, $run, {StoreTime.SqlNow});";
        command.Parameters.AddWithValue("$run", (object?)runId ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    /// <summary>Removes the mark; call it right before committing <paramref name="transaction"/>.</summary>
    public static void End(SqliteTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Execute(transaction.Connection!, transaction, $"DELETE FROM {TableName};");
    }

    /// <summary>
    /// Turns trigger execution off on <paramref name="transaction"/>'s connection (SQLite's per-connection
    /// <c>SQLITE_DBCONFIG_ENABLE_TRIGGER</c>) until the returned handle is disposed, when that changes nothing the triggers
    /// would have done: the transaction carries the mark and every trigger on <paramref name="table"/> is one the mark
    /// silences (its WHEN clause starts with <see cref="TriggerCondition"/>). Returns null, and leaves triggers on, otherwise
    /// (a trigger someone else added to the table keeps firing). Other connections are not affected: a local edit made
    /// meanwhile by another tool or connection is captured as always.
    /// <para>Why: a statement that has triggers runs each row's trigger program (its WHEN subquery included) and, being a
    /// multi-write statement, copies every page it touches to a statement journal first; the initial copy's row-by-row
    /// INSERT paid both on every row although the mark made the triggers do nothing.</para>
    /// <para>Dispose the handle before the connection goes back to the pool (it turns triggers on again; if that fails, the
    /// connection's pool is cleared so no later user gets a connection without triggers). Statements prepared while
    /// triggers are off are re-prepared by SQLite when they are stepped again after that.</para>
    /// </summary>
    internal static IDisposable? SuspendSilencedTriggers(SqliteTransaction transaction, string table)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection!;
        using (var marked = connection.Command(transaction, $"SELECT EXISTS (SELECT 1 FROM {TableName});"))
            if (marked.ExecuteScalar() is not long m || m == 0)
                return null;
        using (var triggers = connection.Command(transaction, "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = $table;")
                   .With("$table", table))
        using (var reader = triggers.ExecuteReader())
            while (reader.Read())
                if (reader.IsDBNull(0) || !reader.GetString(0).Contains("\nWHEN " + TriggerCondition, StringComparison.Ordinal))
                    return null;
        SetTriggers(connection, enabled: false);
        return new TriggersOff(connection);
    }

    private const int EnableTriggerOption = 1003; // SQLITE_DBCONFIG_ENABLE_TRIGGER

    private static void SetTriggers(SqliteConnection connection, bool enabled)
    {
        var db = connection.Handle!;
        var rc = raw.sqlite3_db_config(db, EnableTriggerOption, enabled ? 1 : 0, out int now);
        if (rc != raw.SQLITE_OK)
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        if (now != (enabled ? 1 : 0))
            throw new InvalidOperationException($"SQLite reports triggers {(now != 0 ? "on" : "off")} after turning them {(enabled ? "on" : "off")}.");
    }

    private sealed class TriggersOff(SqliteConnection connection) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;
            try
            {
                SetTriggers(connection, enabled: true);
            }
            catch
            {
                SqliteConnection.ClearPool(connection); // never hand a connection without triggers to a later user
                throw;
            }
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
