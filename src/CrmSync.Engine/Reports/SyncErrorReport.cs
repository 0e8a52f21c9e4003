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
/// Reads a profile's error log (<see cref="SyncErrorLog"/>'s statements on a read-only connection) newest first, filtered
/// in SQL where an index helps and by wildcard in memory for object names, streaming row by row. Read-only.
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
        SyncErrorLevel? level = query.Level switch
        {
            SyncErrorLevelFilter.All => null,
            SyncErrorLevelFilter.Record => SyncErrorLevel.Record,
            SyncErrorLevelFilter.Job => SyncErrorLevel.Job,
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Level, "Unknown error level filter."),
        };
        // LIMIT in SQL only when no in-memory filter follows; -1 is SQLite's "no limit".
        long limit = objects.Count == 0 && query.Last is { } last ? last : -1;

        using var connection = ReadOnlyReportConnection.Open(store, cancellationToken);
        using var command = SyncErrorLog.ReportQuery(connection.Connection, query.IncludeResolved, query.RunId, level, query.Since, limit);
        using var reader = connection.ExecuteReader(command);
        var written = 0;
        while (connection.Read(reader))
        {
            var error = SyncErrorLog.ReadEntry(reader);
            if (objects.Count > 0 && (error.ObjectName is null || !NameWildcard.MatchesAny(objects, error.ObjectName)))
                continue;
            yield return new CrmSyncErrorInfo
            {
                Profile = profile,
                Id = error.Id,
                RunId = error.RunId,
                Level = error.Level,
                Object = error.ObjectName,
                LocalKey = error.LocalKey,
                CrmId = error.CrmId,
                Operation = error.Operation,
                ErrorId = error.ErrorId,
                CrmErrorCode = error.CrmErrorCode,
                Message = error.Message,
                OccurredAt = error.OccurredAt,
                Attempts = error.Attempts,
                Resolved = error.ResolvedAt is not null,
                ResolvedAt = error.ResolvedAt,
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
        using var command = SyncErrorLog.CountBeforeQuery(connection.Connection, cutoff);
        return (long)connection.ExecuteScalar(command)!;
    }
}
