using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>The kind of local change waiting in the outbox.</summary>
public enum OutboxOperation
{
    Insert,
    Update,
    Delete,
}

/// <summary>Where an outbox entry is in its life.</summary>
public enum OutboxState
{
    Pending,
    InFlight,
    Done,
    Failed,
}

/// <summary>One local change to push.</summary>
public sealed record OutboxEntry(
    long Id,
    string TableName,
    string RowKey,
    string CrmObject,
    string? CrmId,
    string? ClientKey,
    OutboxOperation Operation,
    IReadOnlyList<string> ChangedColumns,
    DateTimeOffset CapturedAt,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    OutboxState State);

/// <summary>
/// Local changes to two-way tables waiting to be pushed (<c>crmsync_outbox</c>). Change-capture triggers will
/// fill it later; this is the queue's API: enqueue, peek what is due, and mark progress.
/// </summary>
public sealed class Outbox
{
    private const string Columns =
        "id, table_name, row_key, crm_object, crm_id, client_key, operation, changed_columns, captured_at, attempts, " +
        "next_attempt_at, last_error, state";

    private readonly CrmSyncStore _store;

    internal Outbox(CrmSyncStore store) => _store = store;

    /// <summary>Queues a change and returns its id.</summary>
    public long Enqueue(string tableName, string rowKey, string crmObject, OutboxOperation operation,
        IReadOnlyList<string> changedColumns, string? crmId = null, string? clientKey = null, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(changedColumns);
        SqlIdentifier.Quote(tableName);
        foreach (var column in changedColumns)
            SqlIdentifier.Quote(column);
        return _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_outbox (table_name, row_key, crm_object, crm_id, client_key, operation, changed_columns, captured_at)
                VALUES ($table, $key, $object, $crmId, $clientKey, $operation, $columns, $now)
                RETURNING id;
                """)
                .With("$table", tableName).With("$key", rowKey).With("$object", crmObject).With("$crmId", crmId)
                .With("$clientKey", clientKey).With("$operation", operation.ToString())
                .With("$columns", JsonSerializer.Serialize(changedColumns)).With("$now", _store.Now());
            return (long)command.ExecuteScalar()!;
        });
    }

    /// <summary>Up to <paramref name="max"/> pending entries that are due now, oldest first.</summary>
    public IReadOnlyList<OutboxEntry> PeekDue(int max, SqliteTransaction? transaction = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return Query(transaction,
            "WHERE state = 'Pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $now) ORDER BY id LIMIT $max",
            c => c.With("$now", _store.Now()).With("$max", max));
    }

    /// <summary>One entry, or null.</summary>
    public OutboxEntry? Get(long id, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE id = $id", c => c.With("$id", id)).FirstOrDefault();

    /// <summary>Marks entries as being pushed now (each attempt counts).</summary>
    public void MarkInFlight(IEnumerable<long> ids, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids.ToList();
        _store.Write(transaction, (connection, tx) =>
        {
            foreach (var id in list)
            {
                using var command = connection.Command(tx,
                    "UPDATE crmsync_outbox SET state = 'InFlight', attempts = attempts + 1 WHERE id = $id;").With("$id", id);
                command.ExecuteNonQuery();
            }
            return list.Count;
        });
    }

    /// <summary>Marks an entry pushed.</summary>
    public void MarkDone(long id, SqliteTransaction? transaction = null) =>
        SetState(id, "state = 'Done', last_error = NULL, next_attempt_at = NULL", null, null, transaction);

    /// <summary>
    /// Records a failed push. With <paramref name="retryAt"/> the entry goes back to Pending and is due then;
    /// without it the failure is final (state Failed).
    /// </summary>
    public void MarkFailed(long id, string error, DateTimeOffset? retryAt, SqliteTransaction? transaction = null) =>
        SetState(id,
            retryAt is null ? "state = 'Failed', last_error = $error, next_attempt_at = NULL"
                            : "state = 'Pending', last_error = $error, next_attempt_at = $retry",
            error, retryAt, transaction);

    /// <summary>How many entries still have to be pushed (Pending or InFlight).</summary>
    public long CountBacklog(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, "SELECT count(*) FROM crmsync_outbox WHERE state IN ('Pending', 'InFlight');");
        return (long)command.ExecuteScalar()!;
    });

    /// <summary>
    /// Entries waiting for a retry after a transient failure (Pending, due later than now): how many, and when the first
    /// of them is due.
    /// </summary>
    public (long Count, DateTimeOffset? NextAttemptAt) CountWaitingForRetry(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx,
            "SELECT count(*), min(next_attempt_at) FROM crmsync_outbox WHERE state = 'Pending' AND next_attempt_at IS NOT NULL AND next_attempt_at > $now;")
            .With("$now", _store.Now());
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.NullableTime(1));
    });

    /// <summary>Makes every entry waiting for a retry due now (Start-CrmSync -RetryNow). Returns how many were waiting.</summary>
    public int RetryNow(SqliteTransaction? transaction = null) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx,
            "UPDATE crmsync_outbox SET next_attempt_at = NULL WHERE state = 'Pending' AND next_attempt_at IS NOT NULL AND next_attempt_at > $now;")
            .With("$now", _store.Now());
        return command.ExecuteNonQuery();
    });

    /// <summary>
    /// At the start of a push (under the run lock): entries left InFlight by a cycle that died are Pending again, and Done
    /// entries captured before <paramref name="purgeDoneBefore"/> are deleted.
    /// </summary>
    public void ResetInFlight(DateTimeOffset purgeDoneBefore, SqliteTransaction? transaction = null) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx,
                "UPDATE crmsync_outbox SET state = 'Pending' WHERE state = 'InFlight'; " +
                "DELETE FROM crmsync_outbox WHERE state = 'Done' AND julianday(captured_at) < julianday($cutoff);")
            .With("$cutoff", StoreTime.Format(purgeDoneBefore));
        return command.ExecuteNonQuery();
    });

    /// <summary>Every Pending entry, oldest first: the local deletes when <paramref name="deletes"/> is true, else the inserts and updates.</summary>
    public IReadOnlyList<OutboxEntry> ListPending(bool deletes, SqliteTransaction? transaction = null) =>
        Query(transaction, deletes ? "WHERE state = 'Pending' AND operation = 'Delete' ORDER BY id" : "WHERE state = 'Pending' AND operation <> 'Delete' ORDER BY id", _ => { });

    /// <summary>The entries of <paramref name="table"/> still to be pushed (Pending or InFlight), oldest first.</summary>
    public IReadOnlyList<OutboxEntry> ListWaiting(string table, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE table_name = $table AND state IN ('Pending', 'InFlight') ORDER BY id", c => c.With("$table", table));

    /// <summary>True when a change of <paramref name="table"/> is still to be pushed (Pending or InFlight).</summary>
    public bool HasWaiting(string table, SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx,
            "SELECT EXISTS (SELECT 1 FROM crmsync_outbox WHERE table_name = $table AND state IN ('Pending', 'InFlight'));").With("$table", table);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    });

    /// <summary>
    /// Narrows an entry to <paramref name="columns"/> (a collision the CRM won took the others away); an update left with no
    /// column is Done.
    /// </summary>
    public void SetChangedColumns(long id, IReadOnlyList<string> columns, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _store.Write(transaction, (connection, tx) =>
        {
            using var update = connection.Command(tx,
                    "UPDATE crmsync_outbox SET changed_columns = $columns, state = CASE WHEN $empty = 1 AND operation = 'Update' THEN 'Done' ELSE state END WHERE id = $id;")
                .With("$columns", JsonSerializer.Serialize(columns)).With("$empty", columns.Count == 0 ? 1 : 0).With("$id", id);
            return update.ExecuteNonQuery();
        });
    }

    private void SetState(long id, string assignments, string? error, DateTimeOffset? retryAt, SqliteTransaction? transaction) =>
        _store.Write(transaction, (connection, tx) =>
        {
            // assignments is one of the constant strings above.
            using var command = connection.Command(tx, $"UPDATE crmsync_outbox SET {assignments} WHERE id = $id;")
                .With("$id", id).With("$error", error).With("$retry", StoreTime.ToDb(retryAt));
            return command.ExecuteNonQuery() == 1
                ? 0
                : throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.ObjectNotFound,
                    $"Outbox entry {id} does not exist.", "Use an id returned by the outbox.", id);
        });

    private List<OutboxEntry> Query(SqliteTransaction? transaction, string where, Action<SqliteCommand> bind) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, $"SELECT {Columns} FROM crmsync_outbox {where};");
            bind(command);
            using var reader = command.ExecuteReader();
            var rows = new List<OutboxEntry>();
            while (reader.Read())
                rows.Add(new OutboxEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.NullableString(4), reader.NullableString(5), reader.Enum<OutboxOperation>(6),
                    JsonSerializer.Deserialize<string[]>(reader.GetString(7)) ?? [], reader.Time(8), reader.GetInt32(9),
                    reader.NullableTime(10), reader.NullableString(11), reader.Enum<OutboxState>(12)));
            return rows;
        });
}
