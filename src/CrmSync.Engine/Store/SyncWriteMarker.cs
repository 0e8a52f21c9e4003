using Microsoft.Data.Sqlite;

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

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
