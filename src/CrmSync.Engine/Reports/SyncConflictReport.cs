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

/// <summary>Reads a profile's conflict journal (<c>crmsync_conflict</c>) newest first, streaming row by row. Read-only.</summary>
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
        using var command = connection.Command("""
            SELECT id, run_id, object_name, crm_id, local_key, field_name, local_value, crm_value, winner, rule, occurred_at
            FROM crmsync_conflict
            WHERE ($run IS NULL OR run_id = $run)
              AND ($since IS NULL OR occurred_at >= $since)
            ORDER BY occurred_at DESC, id DESC
            LIMIT $limit;
            """)
            .With("$run", query.RunId).With("$since", query.Since is { } since ? StoreTime.Format(since) : null).With("$limit", limit);
        using var reader = connection.ExecuteReader(command);
        var written = 0;
        while (connection.Read(reader))
        {
            var objectName = reader.GetString(2);
            var fieldName = reader.GetString(5);
            if (!NameWildcard.MatchesAny(objects, objectName) || !NameWildcard.MatchesAny(fields, fieldName))
                continue;
            yield return new CrmSyncConflictInfo
            {
                Profile = profile,
                Id = reader.GetInt64(0),
                RunId = reader.NullableInt64(1),
                Object = objectName,
                CrmId = reader.NullableString(3),
                LocalKey = reader.NullableString(4),
                Field = fieldName,
                LocalValue = reader.NullableString(6),
                CrmValue = reader.NullableString(7),
                Winner = reader.Enum<ConflictWinner>(8),
                Rule = reader.GetString(9),
                OccurredAt = reader.Time(10),
            };
            if (query.Last is { } max && ++written >= max)
                yield break;
        }
    }
}
