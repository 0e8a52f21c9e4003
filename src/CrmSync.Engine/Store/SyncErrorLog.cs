using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>Whether an error concerns one record or a whole job (object, phase, run).</summary>
public enum SyncErrorLevel
{
    Record,
    Job,
}

/// <summary>One sync error (<c>crmsync_error</c>). <see cref="Message"/> never contains secrets.</summary>
public sealed record SyncErrorEntry(
    long Id,
    long? RunId,
    SyncErrorLevel Level,
    string? ObjectName,
    string? LocalKey,
    string? CrmId,
    string? Operation,
    string ErrorId,
    string? CrmErrorCode,
    string Message,
    DateTimeOffset OccurredAt,
    int Attempts,
    DateTimeOffset? ResolvedAt);

/// <summary>The errors of one record with one message over a period: the last time it occurred and how many times.</summary>
public sealed record SyncErrorGroup(string? ObjectName, string? LocalKey, string? CrmId, string ErrorId, string? CrmErrorCode, string Message,
    DateTimeOffset LastAt, long Times);

/// <summary>An error to record.</summary>
public sealed record NewSyncError(
    SyncErrorLevel Level,
    string ErrorId,
    string Message,
    long? RunId = null,
    string? ObjectName = null,
    string? LocalKey = null,
    string? CrmId = null,
    string? Operation = null,
    string? CrmErrorCode = null,
    int Attempts = 1);

/// <summary>Record- and job-level sync errors, kept for <see cref="DefaultRetention"/> unless purged sooner or later.</summary>
public sealed class SyncErrorLog
{
    /// <summary>How long errors are kept by default (5 days).</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(5);

    private const string Columns =
        "id, run_id, level, object_name, local_key, crm_id, operation, error_id, crm_error_code, message, occurred_at, attempts, resolved_at";

    private readonly CrmSyncStore _store;

    internal SyncErrorLog(CrmSyncStore store) => _store = store;

    /// <summary>Records an error and returns its id.</summary>
    public long Record(NewSyncError error, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!ErrorIds.IsCatalogued(error.ErrorId))
            throw new ArgumentException($"ErrorId '{error.ErrorId}' is not in the ErrorIds catalog.", nameof(error));
        ArgumentException.ThrowIfNullOrWhiteSpace(error.Message);
        return _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_error (run_id, level, object_name, local_key, crm_id, operation, error_id, crm_error_code, message, occurred_at, attempts)
                VALUES ($run, $level, $object, $local, $crmId, $operation, $errorId, $code, $message, $now, $attempts)
                RETURNING id;
                """).With("$run", error.RunId).With("$level", error.Level.ToString()).With("$object", error.ObjectName)
                .With("$local", error.LocalKey).With("$crmId", error.CrmId).With("$operation", error.Operation)
                .With("$errorId", error.ErrorId).With("$code", error.CrmErrorCode).With("$message", error.Message)
                .With("$now", _store.Now()).With("$attempts", error.Attempts);
            return (long)command.ExecuteScalar()!;
        });
    }

    /// <summary>Marks the open Record-level <paramref name="errorId"/> errors of one local row resolved (it has now gone through). Returns how many.</summary>
    public int ResolveRecord(string errorId, string objectName, string localKey, SqliteTransaction? transaction = null) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            UPDATE crmsync_error SET resolved_at = $now
            WHERE error_id = $errorId AND level = 'Record' AND object_name = $object AND local_key = $key AND resolved_at IS NULL;
            """).With("$now", _store.Now()).With("$errorId", errorId).With("$object", objectName).With("$key", localKey);
        return command.ExecuteNonQuery();
    });

    /// <summary>Marks an error resolved (e.g. the record pushed on a later attempt). False when it does not exist.</summary>
    public bool Resolve(long id, SqliteTransaction? transaction = null) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, "UPDATE crmsync_error SET resolved_at = coalesce(resolved_at, $now) WHERE id = $id;")
            .With("$now", _store.Now()).With("$id", id);
        return command.ExecuteNonQuery() == 1;
    });

    /// <summary>The newest errors first, optionally only unresolved ones or only those of one run.</summary>
    public IReadOnlyList<SyncErrorEntry> List(bool includeResolved = true, long? runId = null, int max = 1000, SqliteTransaction? transaction = null) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, $"""
                SELECT {Columns} FROM crmsync_error
                WHERE ($all = 1 OR resolved_at IS NULL) AND ($run IS NULL OR run_id = $run)
                ORDER BY id DESC LIMIT $max;
                """).With("$all", includeResolved ? 1 : 0).With("$run", runId).With("$max", max);
            using var reader = command.ExecuteReader();
            var rows = new List<SyncErrorEntry>();
            while (reader.Read())
                rows.Add(ReadEntry(reader));
            return rows;
        });

    /// <summary>
    /// The statement of the error report (Get-CrmSyncError, <c>crmsync error</c>), on the caller's connection (the reports'
    /// read-only one, which runs and cancels it): errors newest first (by time, then id), unresolved only unless
    /// <paramref name="includeResolved"/>, optionally of one run, one level and since a time; at most <paramref name="limit"/>
    /// rows (-1: all). Read each row with <see cref="ReadEntry"/>.
    /// </summary>
    internal static SqliteCommand ReportQuery(SqliteConnection connection, bool includeResolved, long? runId, SyncErrorLevel? level,
        DateTimeOffset? since, long limit) =>
        connection.Command(null, $"""
            SELECT {Columns} FROM crmsync_error
            WHERE ($all = 1 OR resolved_at IS NULL)
              AND ($run IS NULL OR run_id = $run)
              AND ($level IS NULL OR level = $level)
              AND ($since IS NULL OR occurred_at >= $since)
            ORDER BY occurred_at DESC, id DESC
            LIMIT $limit;
            """)
            .With("$all", includeResolved ? 1 : 0).With("$run", runId).With("$level", level?.ToString())
            .With("$since", since is { } from ? StoreTime.Format(from) : null).With("$limit", limit);

    /// <summary>The statement counting the errors that occurred before <paramref name="cutoff"/> (what a purge with it deletes).</summary>
    internal static SqliteCommand CountBeforeQuery(SqliteConnection connection, DateTimeOffset cutoff) =>
        connection.Command(null, "SELECT count(*) FROM crmsync_error WHERE occurred_at < $cutoff;").With("$cutoff", StoreTime.Format(cutoff));

    /// <summary>The error of the current row of a reader over <see cref="ReportQuery"/> (or any statement selecting the log's columns).</summary>
    internal static SyncErrorEntry ReadEntry(SqliteDataReader reader) =>
        new(reader.GetInt64(0), reader.NullableInt64(1), reader.Enum<SyncErrorLevel>(2),
            reader.NullableString(3), reader.NullableString(4), reader.NullableString(5), reader.NullableString(6),
            reader.GetString(7), reader.NullableString(8), reader.GetString(9), reader.Time(10), reader.GetInt32(11),
            reader.NullableTime(12));

    /// <summary>
    /// The Record-level errors that occurred in [<paramref name="from"/>, <paramref name="to"/>), one group per record and
    /// message (a record retried in several cycles counts once), ordered by their last occurrence: how many groups there
    /// are, and the first <paramref name="max"/>.
    /// </summary>
    public (long Total, IReadOnlyList<SyncErrorGroup> First) RecordErrorsBetween(DateTimeOffset from, DateTimeOffset to, int max,
        SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        const string Grouped = """
            SELECT object_name, local_key, crm_id, error_id, crm_error_code, message, max(occurred_at) AS last_at, count(*) AS times
            FROM crmsync_error
            WHERE level = 'Record' AND occurred_at >= $from AND occurred_at < $to
            GROUP BY object_name, local_key, crm_id, message
            """;
        long total;
        using (var count = connection.Command(tx, $"SELECT count(*) FROM ({Grouped});")
                   .With("$from", StoreTime.Format(from)).With("$to", StoreTime.Format(to)))
            total = (long)count.ExecuteScalar()!;
        var groups = new List<SyncErrorGroup>();
        if (total > 0)
        {
            using var command = connection.Command(tx, $"{Grouped} ORDER BY last_at, object_name LIMIT $limit;")
                .With("$from", StoreTime.Format(from)).With("$to", StoreTime.Format(to)).With("$limit", max);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                groups.Add(new SyncErrorGroup(reader.NullableString(0), reader.NullableString(1), reader.NullableString(2), reader.GetString(3),
                    reader.NullableString(4), reader.GetString(5), reader.Time(6), reader.GetInt64(7)));
        }
        return (total, (IReadOnlyList<SyncErrorGroup>)groups);
    });

    /// <summary>Deletes errors that occurred more than <paramref name="retention"/> (default 5 days) ago; returns how many.</summary>
    public int Purge(TimeSpan? retention = null, SqliteTransaction? transaction = null)
    {
        var keep = retention ?? DefaultRetention;
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, TimeSpan.Zero, nameof(retention));
        var cutoff = StoreTime.Format(_store.Time.GetUtcNow() - keep);
        return _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, "DELETE FROM crmsync_error WHERE occurred_at < $cutoff;").With("$cutoff", cutoff);
            return command.ExecuteNonQuery();
        });
    }
}
