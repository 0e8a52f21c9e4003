using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Reports;

/// <summary>What to list from the conflict journal. Every filter narrows; null or empty means "no filter".</summary>
public sealed record SyncConflictQuery
{
    /// <summary>CRM object names or wildcard patterns (case-insensitive).</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>CRM field names or wildcard patterns (case-insensitive).</summary>
    public IReadOnlyList<string> Field { get; init; } = [];
    /// <summary>Only collisions of this run.</summary>
    public long? RunId { get; init; }
    /// <summary>Only collisions at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>At most this many (the newest); null for all.</summary>
    public int? Last { get; init; }
}

/// <summary>Reads a profile's conflict journal (<see cref="ConflictJournal"/>'s statement on a read-only connection) newest first, streaming row by row. Read-only.</summary>
public static class SyncConflictReport
{
    /// <summary>The collisions of <paramref name="store"/> that match <paramref name="query"/>, newest first.</summary>
    public static IEnumerable<CrmSyncConflictInfo> Read(CrmSyncStore store, string profile, SyncConflictQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        ReportArguments.CheckLast(query.Last);
        return ReadCore(store, profile, query, cancellationToken);
    }

    private static IEnumerable<CrmSyncConflictInfo> ReadCore(CrmSyncStore store, string profile, SyncConflictQuery query, CancellationToken cancellationToken)
    {
        var objects = NameWildcard.Compile(query.Object);
        var fields = NameWildcard.Compile(query.Field);
        long limit = objects.Count == 0 && fields.Count == 0 && query.Last is { } last ? last : -1;

        using var connection = ReadOnlyReportConnection.Open(store, cancellationToken);
        using var command = ConflictJournal.ReportQuery(connection.Connection, query.RunId, query.Since, limit);
        using var reader = connection.ExecuteReader(command);
        var written = 0;
        while (connection.Read(reader))
        {
            var conflict = ConflictJournal.ReadEntry(reader);
            if (!NameWildcard.MatchesAny(objects, conflict.ObjectName) || !NameWildcard.MatchesAny(fields, conflict.FieldName))
                continue;
            yield return new CrmSyncConflictInfo
            {
                Profile = profile,
                Id = conflict.Id,
                RunId = conflict.RunId,
                Object = conflict.ObjectName,
                CrmId = conflict.CrmId,
                LocalKey = conflict.LocalKey,
                Field = conflict.FieldName,
                LocalValue = conflict.LocalValue,
                CrmValue = conflict.CrmValue,
                Winner = conflict.Winner,
                Rule = conflict.Rule,
                OccurredAt = conflict.OccurredAt,
            };
            if (query.Last is { } max && ++written >= max)
                yield break;
        }
    }
}
