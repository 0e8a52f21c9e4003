using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>Where a sync run is.</summary>
public enum RunState
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>Initial full copy or incremental cycle.</summary>
public enum RunKind
{
    Initial,
    Incremental,
}

/// <summary>The operations a run counts per object.</summary>
public enum RunOperation
{
    PullUpdates,
    PullDeletes,
    PullConversions,
    PushNew,
    PushUpdates,
    SyncSchema,
    /// <summary>Rows of synced records deleted locally (Deleted): nothing is pushed, the CRM record stays (as in Marketo).</summary>
    LocalDeletes,
}

/// <summary>One sync run (<c>crmsync_run</c>).</summary>
public sealed record RunRecord(
    long Id,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    RunState State,
    RunKind Kind,
    string TriggeredBy,
    int ProcessId,
    string Host,
    long ApiCalls,
    string? ErrorId,
    string? ErrorMessage,
    TimeSpan? Duration);

/// <summary>What one run did to one object in one operation.</summary>
public sealed record RunCount(
    long RunId,
    string ObjectName,
    RunOperation Operation,
    long New,
    long Updated,
    long Deleted,
    long Failed,
    long Skipped,
    long Filtered = 0);

/// <summary>One object's counts of one operation summed over several runs.</summary>
public sealed record RunCountTotal(string ObjectName, long New, long Updated, long Deleted, long Failed, long Skipped);

/// <summary>The ended runs of one kind together: first start, last end (null when none), how many, and per-object totals.</summary>
public sealed record RunKindTotals(DateTimeOffset? FirstStartedAt, DateTimeOffset? LastEndedAt, long Runs, IReadOnlyList<RunCountTotal> Objects);

/// <summary>The run history (<c>crmsync_run</c>) and its per-object counts (<c>crmsync_run_count</c>).</summary>
public sealed class RunHistory
{
    private const string Columns =
        "id, started_at, ended_at, state, kind, triggered_by, pid, host, api_calls, error_id, error_message, duration_ms";

    private readonly CrmSyncStore _store;

    internal RunHistory(CrmSyncStore store) => _store = store;

    /// <summary>Records the start of a run by this process and returns its id.</summary>
    /// <param name="kind">Initial or incremental.</param>
    /// <param name="triggeredBy">Who started it, e.g. "Start-CrmSync", "crmsync start", "schedule".</param>
    public long Start(RunKind kind, string triggeredBy, SqliteTransaction? transaction = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(triggeredBy);
        return _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_run (started_at, state, kind, triggered_by, pid, host)
                VALUES ($now, 'Running', $kind, $trigger, $pid, $host) RETURNING id;
                """).With("$now", _store.Now()).With("$kind", kind.ToString()).With("$trigger", triggeredBy)
                .With("$pid", Environment.ProcessId).With("$host", Environment.MachineName);
            return (long)command.ExecuteScalar()!;
        });
    }

    /// <summary>Adds to a run's counts for one object and operation (counts accumulate across pages).</summary>
    public void AddCounts(long runId, string objectName, RunOperation operation,
        long @new = 0, long updated = 0, long deleted = 0, long failed = 0, long skipped = 0, SqliteTransaction? transaction = null, long filtered = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_run_count (run_id, object_name, operation, new_count, updated_count, deleted_count, failed_count, skipped_count, filtered_count)
                VALUES ($run, $object, $operation, $new, $updated, $deleted, $failed, $skipped, $filtered)
                ON CONFLICT (run_id, object_name, operation) DO UPDATE SET
                    new_count = new_count + excluded.new_count, updated_count = updated_count + excluded.updated_count,
                    deleted_count = deleted_count + excluded.deleted_count, failed_count = failed_count + excluded.failed_count,
                    skipped_count = skipped_count + excluded.skipped_count, filtered_count = filtered_count + excluded.filtered_count;
                """).With("$run", runId).With("$filtered", filtered).With("$object", objectName).With("$operation", operation.ToString())
                .With("$new", @new).With("$updated", updated).With("$deleted", deleted).With("$failed", failed).With("$skipped", skipped);
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>Adds to the number of CRM API calls a run made.</summary>
    public void AddApiCalls(long runId, long calls, SqliteTransaction? transaction = null) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, "UPDATE crmsync_run SET api_calls = api_calls + $calls WHERE id = $run;")
            .With("$calls", calls).With("$run", runId);
        return command.ExecuteNonQuery();
    });

    /// <summary>
    /// Ends a run: sets its final state, end time and duration, and for a failure the error id and message
    /// (a message never contains secrets).
    /// </summary>
    public RunRecord Finish(long runId, RunState state, string? errorId = null, string? errorMessage = null, SqliteTransaction? transaction = null)
    {
        if (state == RunState.Running)
            throw new ArgumentOutOfRangeException(nameof(state), state, "A run finishes as Succeeded, Failed or Cancelled.");
        if (errorId is not null && !ErrorIds.IsCatalogued(errorId))
            throw new ArgumentException($"ErrorId '{errorId}' is not in the ErrorIds catalog.", nameof(errorId));
        return _store.Write(transaction, (connection, tx) =>
        {
            var run = Get(runId, tx) ?? throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.ObjectNotFound,
                $"Run {runId} does not exist.", "Use the id returned when the run started.", runId);
            var now = _store.Time.GetUtcNow();
            var duration = (long)Math.Max(0, (now - run.StartedAt).TotalMilliseconds);
            using var command = connection.Command(tx, """
                UPDATE crmsync_run SET state = $state, ended_at = $now, duration_ms = $duration, error_id = $errorId, error_message = $message
                WHERE id = $run;
                """).With("$state", state.ToString()).With("$now", StoreTime.Format(now)).With("$duration", duration)
                .With("$errorId", errorId).With("$message", errorMessage).With("$run", runId);
            command.ExecuteNonQuery();
            return Get(runId, tx)!;
        });
    }

    /// <summary>
    /// Records a start that failed before its cycle could run (profile, secrets, sign-in, the run lock, no synced fields):
    /// a run that begins and ends Failed at once with <paramref name="errorId"/> and <paramref name="errorMessage"/>, so the
    /// status says Failed with the reason instead of the previous run's state. Returns the run.
    /// </summary>
    public RunRecord RecordFailedStart(RunKind kind, string triggeredBy, string errorId, string errorMessage, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (_, tx) =>
        {
            var id = Start(kind, triggeredBy, tx);
            return Finish(id, RunState.Failed, errorId, errorMessage, tx);
        });

    /// <summary>
    /// Closes the runs still marked Running by processes that died (killed, or stopped by a full disk before they could
    /// record their end): they become Failed with <see cref="ErrorIds.SyncFailed"/> and a message saying so. Call it only
    /// while holding the run lock (no other run can be running then). Returns how many were closed.
    /// </summary>
    public int CloseInterrupted(SqliteTransaction? transaction = null) => _store.Write(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            UPDATE crmsync_run SET state = 'Failed', ended_at = coalesce(ended_at, $now), error_id = $errorId, error_message = $message
            WHERE state = 'Running';
            """).With("$now", _store.Now()).With("$errorId", ErrorIds.SyncFailed).With("$message", InterruptedMessage);
        return command.ExecuteNonQuery();
    });

    /// <summary>The error message of a run that stopped without recording its end.</summary>
    public const string InterruptedMessage =
        "The run stopped without finishing (its process was killed or ended, or the disk was full); everything up to its last " +
        "committed page is kept and the next run resumes from there.";

    /// <summary>One run, or null.</summary>
    public RunRecord? Get(long runId, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE id = $id", 1, c => c.With("$id", runId)).FirstOrDefault();

    /// <summary>The most recent run in any state, or null.</summary>
    public RunRecord? Latest(SqliteTransaction? transaction = null) => Query(transaction, "", 1, _ => { }).FirstOrDefault();

    /// <summary>The most recent run that has ended (Succeeded, Failed or Cancelled), or null.</summary>
    public RunRecord? LatestFinished(SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE state <> 'Running'", 1, _ => { }).FirstOrDefault();

    /// <summary>The most recent run in <paramref name="state"/>, or null.</summary>
    public RunRecord? LatestIn(RunState state, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE state = $state", 1, c => c.With("$state", state.ToString())).FirstOrDefault();

    /// <summary>The most recent runs, newest first.</summary>
    public IReadOnlyList<RunRecord> List(int max = 100, SqliteTransaction? transaction = null) =>
        Query(transaction, "", max, _ => { });

    /// <summary>A run's counts, ordered by object and operation.</summary>
    public IReadOnlyList<RunCount> Counts(long runId, SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, """
            SELECT run_id, object_name, operation, new_count, updated_count, deleted_count, failed_count, skipped_count, filtered_count
            FROM crmsync_run_count WHERE run_id = $run ORDER BY object_name, operation;
            """).With("$run", runId);
        using var reader = command.ExecuteReader();
        var rows = new List<RunCount>();
        while (reader.Read())
            rows.Add(new RunCount(reader.GetInt64(0), reader.GetString(1), reader.Enum<RunOperation>(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8)));
        return rows;
    });

    /// <summary>The runs that have ended (Succeeded, Failed or Cancelled) with an id above <paramref name="cursor"/>, oldest first.</summary>
    public IReadOnlyList<RunRecord> FinishedAfter(long cursor, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE id > $cursor AND state <> 'Running'", -1, c => c.With("$cursor", cursor), newestFirst: false);

    /// <summary>True when a run of <paramref name="kind"/> has ended (in any final state).</summary>
    public bool HasFinished(RunKind kind, SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, "SELECT EXISTS (SELECT 1 FROM crmsync_run WHERE kind = $kind AND state <> 'Running');")
            .With("$kind", kind.ToString());
        return (long)command.ExecuteScalar()! == 1;
    });

    /// <summary>
    /// What the ended runs of <paramref name="kind"/> did together: when the first started, when the last ended, how many
    /// there were, and per object the counts of <paramref name="operation"/> summed over them (ordered by object).
    /// </summary>
    public RunKindTotals Totals(RunKind kind, RunOperation operation, SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        var objects = new List<RunCountTotal>();
        using (var command = connection.Command(tx, """
                   SELECT c.object_name, sum(c.new_count), sum(c.updated_count), sum(c.deleted_count), sum(c.failed_count), sum(c.skipped_count)
                   FROM crmsync_run_count c JOIN crmsync_run r ON r.id = c.run_id
                   WHERE r.kind = $kind AND c.operation = $operation
                   GROUP BY c.object_name ORDER BY c.object_name;
                   """).With("$kind", kind.ToString()).With("$operation", operation.ToString()))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                objects.Add(new RunCountTotal(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3),
                    reader.GetInt64(4), reader.GetInt64(5)));
        }
        using var times = connection.Command(tx, "SELECT min(started_at), max(ended_at), count(*) FROM crmsync_run WHERE kind = $kind AND state <> 'Running';")
            .With("$kind", kind.ToString());
        using var row = times.ExecuteReader();
        row.Read();
        return new RunKindTotals(row.NullableTime(0), row.NullableTime(1), row.GetInt64(2), objects);
    });

    private List<RunRecord> Query(SqliteTransaction? transaction, string where, int max, Action<SqliteCommand> bind, bool newestFirst = true) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, $"SELECT {Columns} FROM crmsync_run {where} ORDER BY id {(newestFirst ? "DESC" : "ASC")} LIMIT $max;")
                .With("$max", max);
            bind(command);
            using var reader = command.ExecuteReader();
            var rows = new List<RunRecord>();
            while (reader.Read())
                rows.Add(new RunRecord(reader.GetInt64(0), reader.Time(1), reader.NullableTime(2), reader.Enum<RunState>(3),
                    reader.Enum<RunKind>(4), reader.GetString(5), reader.GetInt32(6), reader.GetString(7), reader.GetInt64(8),
                    reader.NullableString(9), reader.NullableString(10),
                    reader.NullableInt64(11) is { } ms ? TimeSpan.FromMilliseconds(ms) : null));
            return rows;
        });
}
