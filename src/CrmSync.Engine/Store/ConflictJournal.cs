using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>Which side's value was kept.</summary>
public enum ConflictWinner
{
    Local,
    Crm,
}

/// <summary>
/// One collision: the same field changed on both sides within one cycle (<c>crmsync_conflict</c>).
/// <see cref="Id"/> and <see cref="OccurredAt"/> are set by the store when recorded.
/// </summary>
public sealed record ConflictEntry(
    long? RunId,
    string ObjectName,
    string? CrmId,
    string? LocalKey,
    string FieldName,
    string? LocalValue,
    string? CrmValue,
    ConflictWinner Winner,
    string Rule)
{
    /// <summary>The journal id (0 before it is recorded).</summary>
    public long Id { get; init; }
    /// <summary>When the collision was resolved.</summary>
    public DateTimeOffset OccurredAt { get; init; }
}

/// <summary>The conflict journal: every collision with both values, the winner, the rule and the cycle.</summary>
public sealed class ConflictJournal
{
    private const string Columns = "id, run_id, object_name, crm_id, local_key, field_name, local_value, crm_value, winner, rule, occurred_at";

    private readonly CrmSyncStore _store;

    internal ConflictJournal(CrmSyncStore store) => _store = store;

    /// <summary>Records a collision and returns it with its id and time.</summary>
    public ConflictEntry Record(ConflictEntry conflict, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        ArgumentException.ThrowIfNullOrWhiteSpace(conflict.ObjectName);
        ArgumentException.ThrowIfNullOrWhiteSpace(conflict.FieldName);
        ArgumentException.ThrowIfNullOrWhiteSpace(conflict.Rule);
        var now = StoreTime.Format(_store.Time.GetUtcNow());
        var id = _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_conflict (run_id, object_name, crm_id, local_key, field_name, local_value, crm_value, winner, rule, occurred_at)
                VALUES ($run, $object, $crmId, $local, $field, $localValue, $crmValue, $winner, $rule, $now)
                RETURNING id;
                """).With("$run", conflict.RunId).With("$object", conflict.ObjectName).With("$crmId", conflict.CrmId)
                .With("$local", conflict.LocalKey).With("$field", conflict.FieldName).With("$localValue", conflict.LocalValue)
                .With("$crmValue", conflict.CrmValue).With("$winner", conflict.Winner.ToString()).With("$rule", conflict.Rule)
                .With("$now", now);
            return (long)command.ExecuteScalar()!;
        });
        return conflict with { Id = id, OccurredAt = StoreTime.Parse(now) };
    }

    /// <summary>The journal, newest first, optionally of one run.</summary>
    public IReadOnlyList<ConflictEntry> List(long? runId = null, int max = 1000, SqliteTransaction? transaction = null) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, $"""
                SELECT {Columns}
                FROM crmsync_conflict WHERE $run IS NULL OR run_id = $run ORDER BY id DESC LIMIT $max;
                """).With("$run", runId).With("$max", max);
            using var reader = command.ExecuteReader();
            var rows = new List<ConflictEntry>();
            while (reader.Read())
                rows.Add(ReadEntry(reader));
            return rows;
        });

    /// <summary>
    /// The statement of the conflict report (Get-CrmSyncConflict, <c>crmsync conflict</c>), on the caller's connection (the
    /// reports' read-only one): collisions newest first (by time, then id), optionally of one run and since a time; at most
    /// <paramref name="limit"/> rows (-1: all). Read each row with <see cref="ReadEntry"/>.
    /// </summary>
    internal static SqliteCommand ReportQuery(SqliteConnection connection, long? runId, DateTimeOffset? since, long limit) =>
        connection.Command(null, $"""
            SELECT {Columns}
            FROM crmsync_conflict
            WHERE ($run IS NULL OR run_id = $run)
              AND ($since IS NULL OR occurred_at >= $since)
            ORDER BY occurred_at DESC, id DESC
            LIMIT $limit;
            """)
            .With("$run", runId).With("$since", since is { } from ? StoreTime.Format(from) : null).With("$limit", limit);

    /// <summary>The collision of the current row of a reader over <see cref="ReportQuery"/>.</summary>
    internal static ConflictEntry ReadEntry(SqliteDataReader reader) =>
        new(reader.NullableInt64(1), reader.GetString(2), reader.NullableString(3),
            reader.NullableString(4), reader.GetString(5), reader.NullableString(6), reader.NullableString(7),
            reader.Enum<ConflictWinner>(8), reader.GetString(9))
        {
            Id = reader.GetInt64(0),
            OccurredAt = reader.Time(10),
        };
}
