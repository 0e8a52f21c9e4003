using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Reports;

/// <summary>What to list from the error log. Every filter narrows; null or empty means "no filter".</summary>
public sealed record SyncErrorQuery
{
    /// <summary>CRM object names or wildcard patterns (case-insensitive). Errors without an object (job-level errors about the whole run) match only when no pattern is given.</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>Record, Job or All.</summary>
    public SyncErrorLevelFilter Level { get; init; } = SyncErrorLevelFilter.All;
    /// <summary>Only errors that occurred at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only errors of this run.</summary>
    public long? RunId { get; init; }
    /// <summary>Also list errors that a later attempt resolved.</summary>
    public bool IncludeResolved { get; init; }
    /// <summary>At most this many (the newest); null for all.</summary>
    public int? Last { get; init; }
}

/// <summary>
/// Reads a profile's error log (<c>crmsync_error</c>) newest first, filtered in SQL where an index helps and by
/// wildcard in memory for object names, streaming row by row. Read-only.
/// </summary>
public static class SyncErrorReport
{
    /// <summary>The errors of <paramref name="store"/> that match <paramref name="query"/>, newest first.</summary>
    public static IEnumerable<CrmSyncErrorInfo> Read(CrmSyncStore store, string profile, SyncErrorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        ReportArguments.CheckLast(query.Last);
        return ReadCore(store, profile, query, cancellationToken);
    }

    private static IEnumerable<CrmSyncErrorInfo> ReadCore(CrmSyncStore store, string profile, SyncErrorQuery query, CancellationToken cancellationToken)
    {
        var objects = NameWildcard.Compile(query.Object);
        string? level = query.Level switch
        {
            SyncErrorLevelFilter.All => null,
            SyncErrorLevelFilter.Record => nameof(SyncErrorLevel.Record),
            SyncErrorLevelFilter.Job => nameof(SyncErrorLevel.Job),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Level, "Unknown error level filter."),
        };
        // LIMIT in SQL only when no in-memory filter follows; -1 is SQLite's "no limit".
        long limit = objects.Count == 0 && query.Last is { } last ? last : -1;

        using var connection = ReadOnlyReportConnection.Open(store, cancellationToken);
        using var command = connection.Command("""
            SELECT id, run_id, level, object_name, local_key, crm_id, operation, error_id, crm_error_code, message,
                   occurred_at, attempts, resolved_at
            FROM crmsync_error
            WHERE ($all = 1 OR resolved_at IS NULL)
              AND ($run IS NULL OR run_id = $run)
              AND ($level IS NULL OR level = $level)
              AND ($since IS NULL OR occurred_at >= $since)
            ORDER BY occurred_at DESC, id DESC
            LIMIT $limit;
            """)
            .With("$all", query.IncludeResolved ? 1 : 0).With("$run", query.RunId).With("$level", level)
            .With("$since", query.Since is { } since ? StoreTime.Format(since) : null).With("$limit", limit);
        using var reader = connection.ExecuteReader(command);
        var written = 0;
        while (connection.Read(reader))
        {
            var objectName = reader.NullableString(3);
            if (objects.Count > 0 && (objectName is null || !NameWildcard.MatchesAny(objects, objectName)))
                continue;
            var resolvedAt = reader.NullableTime(12);
            yield return new CrmSyncErrorInfo
            {
                Profile = profile,
                Id = reader.GetInt64(0),
                RunId = reader.NullableInt64(1),
                Level = reader.Enum<SyncErrorLevel>(2),
                Object = objectName,
                LocalKey = reader.NullableString(4),
                CrmId = reader.NullableString(5),
                Operation = reader.NullableString(6),
                ErrorId = reader.GetString(7),
                CrmErrorCode = reader.NullableString(8),
                Message = reader.GetString(9),
                OccurredAt = reader.Time(10),
                Attempts = reader.GetInt32(11),
                Resolved = resolvedAt is not null,
                ResolvedAt = resolvedAt,
            };
            if (query.Last is { } max && ++written >= max)
                yield break;
        }
    }

    /// <summary>How many errors occurred before <paramref name="cutoff"/> (what a purge with that cutoff deletes).</summary>
    public static long CountOlderThan(CrmSyncStore store, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var connection = ReadOnlyReportConnection.Open(store, cancellationToken);
        using var command = connection.Command("SELECT count(*) FROM crmsync_error WHERE occurred_at < $cutoff;")
            .With("$cutoff", StoreTime.Format(cutoff));
        return (long)connection.ExecuteScalar(command)!;
    }
}
