using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>API usage as the CRM last reported it.</summary>
/// <param name="At">When it was reported.</param>
/// <param name="Used">Calls used in the CRM's window (e.g. the last 24 hours).</param>
/// <param name="Max">The allowance, when the CRM said.</param>
/// <param name="Source">Where it came from, the provider's <see cref="Crm.ICrmProvider.UsageSource"/> (for Salesforce the usage header's name).</param>
public sealed record ApiUsageSample(DateTimeOffset At, long Used, long? Max, string Source);

/// <summary>API usage samples (<c>crmsync_api_usage</c>); samples older than <see cref="Retention"/> are trimmed as new ones arrive.</summary>
public sealed class ApiUsageLog
{
    /// <summary>How long samples are kept.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly CrmSyncStore _store;

    internal ApiUsageLog(CrmSyncStore store) => _store = store;

    /// <summary>Records a sample.</summary>
    public ApiUsageSample Record(long used, long? max, string source, SqliteTransaction? transaction = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(used);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var now = _store.Time.GetUtcNow();
        _store.Write(transaction, (connection, tx) =>
        {
            using (var trim = connection.Command(tx, "DELETE FROM crmsync_api_usage WHERE at < $cutoff;")
                       .With("$cutoff", StoreTime.Format(now - Retention)))
                trim.ExecuteNonQuery();
            using var command = connection.Command(tx, "INSERT INTO crmsync_api_usage (at, used, max, source) VALUES ($at, $used, $max, $source);")
                .With("$at", StoreTime.Format(now)).With("$used", used).With("$max", max).With("$source", source);
            return command.ExecuteNonQuery();
        });
        return new ApiUsageSample(StoreTime.Parse(StoreTime.Format(now)), used, max, source);
    }

    /// <summary>The latest sample, or null when the CRM has reported none.</summary>
    public ApiUsageSample? Latest(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx, "SELECT at, used, max, source FROM crmsync_api_usage ORDER BY id DESC LIMIT 1;");
        using var reader = command.ExecuteReader();
        return reader.Read() ? new ApiUsageSample(reader.Time(0), reader.GetInt64(1), reader.NullableInt64(2), reader.GetString(3)) : null;
    });
}
