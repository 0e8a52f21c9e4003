using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// The committed position of one pull stream of one object: the CRM stamp (e.g. the object's modification stamp, a Dynamics delta
/// token) and the record id that breaks ties between equal stamps, so pulls can order by (stamp, id).
/// </summary>
/// <param name="ObjectName">CRM API object name.</param>
/// <param name="Stream">The stream, e.g. <see cref="WatermarkTable.PullUpdates"/>.</param>
/// <param name="Stamp">The CRM's stamp text, exactly as the CRM wrote it.</param>
/// <param name="StampId">The id of the last record seen at <paramref name="Stamp"/>.</param>
/// <param name="UpdatedAt">When it was committed (set by the store).</param>
public sealed record Watermark(string ObjectName, string Stream, string? Stamp, string? StampId, DateTimeOffset UpdatedAt = default);

/// <summary>
/// Per-object pull watermarks (<c>crmsync_watermark</c>). Commits go into the caller's transaction so that a page
/// of pulled records and the watermark it reached are committed together or not at all.
/// </summary>
public sealed class WatermarkTable
{
    /// <summary>The stream of changed records.</summary>
    public const string PullUpdates = "pull-updates";
    /// <summary>The stream of deleted records.</summary>
    public const string PullDeletes = "pull-deletes";
    /// <summary>The slower re-pull of formula fields.</summary>
    public const string Formula = "formula";

    private readonly CrmSyncStore _store;

    internal WatermarkTable(CrmSyncStore store) => _store = store;

    /// <summary>The committed watermark, or null when the stream has none yet.</summary>
    public Watermark? Read(string objectName, string stream, SqliteTransaction? transaction = null) =>
        List(transaction).FirstOrDefault(w => w.ObjectName == objectName && w.Stream == stream);

    /// <summary>Writes the watermark inside <paramref name="transaction"/> (it persists only if the caller commits).</summary>
    public Watermark Commit(SqliteTransaction transaction, string objectName, string stream, string? stamp, string? stampId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        var now = _store.Time.GetUtcNow();
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_watermark (object_name, stream, watermark, watermark_id, updated_at)
                VALUES ($object, $stream, $stamp, $id, $now)
                ON CONFLICT (object_name, stream) DO UPDATE SET
                    watermark = excluded.watermark, watermark_id = excluded.watermark_id, updated_at = excluded.updated_at;
                """).With("$object", objectName).With("$stream", stream).With("$stamp", stamp).With("$id", stampId)
                .With("$now", StoreTime.Format(now));
            return command.ExecuteNonQuery();
        });
        return new Watermark(objectName, stream, stamp, stampId, StoreTime.Parse(StoreTime.Format(now)));
    }

    /// <summary>Every committed watermark, ordered by object and stream.</summary>
    public IReadOnlyList<Watermark> List(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx,
            "SELECT object_name, stream, watermark, watermark_id, updated_at FROM crmsync_watermark ORDER BY object_name, stream;");
        using var reader = command.ExecuteReader();
        var rows = new List<Watermark>();
        while (reader.Read())
            rows.Add(new Watermark(reader.GetString(0), reader.GetString(1), reader.NullableString(2), reader.NullableString(3), reader.Time(4)));
        return rows;
    });
}
