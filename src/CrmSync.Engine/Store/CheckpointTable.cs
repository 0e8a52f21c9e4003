using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// How far a long phase of one object (e.g. the initial copy) has come: a cursor (a bulk job id and locator, or the
/// last (stamp, id) seen) as a JSON object, and the rows done out of the total when the CRM said.
/// </summary>
public sealed record Checkpoint(
    string ObjectName,
    string Phase,
    string CursorJson,
    long RowsDone,
    long? RowsTotal,
    DateTimeOffset UpdatedAt = default);

/// <summary>
/// Resumable checkpoints (<c>crmsync_checkpoint</c>). A page of records and its checkpoint are committed in the
/// caller's transaction, so a crash loses at most the page in flight and never applies one twice.
/// </summary>
public sealed class CheckpointTable
{
    /// <summary>The initial full copy of an object.</summary>
    public const string Initial = "initial";

    private readonly CrmSyncStore _store;

    internal CheckpointTable(CrmSyncStore store) => _store = store;

    /// <summary>The checkpoint of an object's phase, or null when there is none.</summary>
    public Checkpoint? Read(string objectName, string phase, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE object_name = $object AND phase = $phase", c => c.With("$object", objectName).With("$phase", phase))
            .FirstOrDefault();

    /// <summary>Every open checkpoint, ordered by object and phase.</summary>
    public IReadOnlyList<Checkpoint> List(SqliteTransaction? transaction = null) =>
        Query(transaction, "", _ => { });

    /// <summary>
    /// Writes the checkpoint inside <paramref name="transaction"/> (it persists only if the caller commits).
    /// <paramref name="cursorJson"/> must be a JSON object.
    /// </summary>
    public Checkpoint Commit(SqliteTransaction transaction, string objectName, string phase, string cursorJson, long rowsDone, long? rowsTotal)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        ArgumentException.ThrowIfNullOrWhiteSpace(phase);
        ArgumentOutOfRangeException.ThrowIfNegative(rowsDone);
        RequireJsonObject(cursorJson);
        var now = StoreTime.Format(_store.Time.GetUtcNow());
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_checkpoint (object_name, phase, cursor_json, rows_done, rows_total, updated_at)
                VALUES ($object, $phase, $cursor, $done, $total, $now)
                ON CONFLICT (object_name, phase) DO UPDATE SET
                    cursor_json = excluded.cursor_json, rows_done = excluded.rows_done,
                    rows_total = excluded.rows_total, updated_at = excluded.updated_at;
                """).With("$object", objectName).With("$phase", phase).With("$cursor", cursorJson)
                .With("$done", rowsDone).With("$total", rowsTotal).With("$now", now);
            return command.ExecuteNonQuery();
        });
        return new Checkpoint(objectName, phase, cursorJson, rowsDone, rowsTotal, StoreTime.Parse(now));
    }

    /// <summary>
    /// Ends a phase inside <paramref name="transaction"/>: its checkpoint is removed, so nothing resumes it.
    /// Returns false when there was none.
    /// </summary>
    public bool Complete(SqliteTransaction transaction, string objectName, string phase)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, "DELETE FROM crmsync_checkpoint WHERE object_name = $object AND phase = $phase;")
                .With("$object", objectName).With("$phase", phase);
            return command.ExecuteNonQuery() == 1;
        });
    }

    private static void RequireJsonObject(string cursorJson)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(cursorJson);
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object)
                return;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            "A checkpoint cursor must be a JSON object.", "Serialize the cursor as a JSON object.");
    }

    private List<Checkpoint> Query(SqliteTransaction? transaction, string where, Action<SqliteCommand> bind) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx,
                $"SELECT object_name, phase, cursor_json, rows_done, rows_total, updated_at FROM crmsync_checkpoint {where} ORDER BY object_name, phase;");
            bind(command);
            using var reader = command.ExecuteReader();
            var rows = new List<Checkpoint>();
            while (reader.Read())
                rows.Add(new Checkpoint(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    reader.NullableInt64(4), reader.Time(5)));
            return rows;
        });
}
