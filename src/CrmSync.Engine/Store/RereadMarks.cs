using System.Text.Json;
using CrmSync.Engine.Schema;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// The CRM ids a full re-read of an object has been given so far (<c>crmsync_reread_seen</c>, store migration 8). A re-read
/// replaces an incremental read whose change position the CRM no longer knows (a Dataverse delta token older than the org
/// keeps changes): it returns only live records, so the records deleted meanwhile are found as the local rows it did not
/// return. Each page's ids are marked in the page's own transaction (with its checkpoint), so a re-read killed half way
/// resumes with its marks; the transaction that completes the re-read reads the unseen rows (<see cref="Unseen"/>), flags
/// them and clears the marks (<see cref="Clear"/>).
/// </summary>
public sealed class RereadMarks
{
    private readonly CrmSyncStore _store;

    internal RereadMarks(CrmSyncStore store) => _store = store;

    /// <summary>Marks <paramref name="ids"/> as returned by the re-read of <paramref name="objectName"/> (again: no change).</summary>
    public void Mark(SqliteTransaction transaction, string objectName, IEnumerable<string?> ids)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids.Where(i => !string.IsNullOrEmpty(i)).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
            return;
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT OR IGNORE INTO crmsync_reread_seen (object_name, crm_id) SELECT $object, value FROM json_each($ids);
                """).With("$object", objectName).With("$ids", JsonSerializer.Serialize(list));
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>
    /// The CRM ids of the rows of <paramref name="table"/> that belong to <paramref name="objectName"/> (rows of
    /// <paramref name="crmType"/> in a person table; every row otherwise), have a CRM id, are not flagged deleted, and were not
    /// marked by its re-read. Rows created locally and never pushed (no CRM id) are never among them.
    /// </summary>
    public IReadOnlyList<string> Unseen(SqliteTransaction transaction, string objectName, string table, string? crmType)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        var typed = crmType is null ? "" : $" AND t.\"{SystemColumns.CrmType}\" = $type";
        return _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, $"""
                SELECT t."{SystemColumns.CrmId}" FROM {SqlIdentifier.Quote(table)} AS t
                WHERE t."{SystemColumns.CrmId}" IS NOT NULL AND t."{SystemColumns.CrmId}" <> '' AND t."{SystemColumns.CrmIsDeleted}" = 0{typed}
                  AND NOT EXISTS (SELECT 1 FROM crmsync_reread_seen AS s WHERE s.object_name = $object AND s.crm_id = t."{SystemColumns.CrmId}")
                ORDER BY t."{SystemColumns.RowId}";
                """).With("$object", objectName);
            if (crmType is not null)
                command.With("$type", crmType);
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
                ids.Add(reader.GetString(0));
            return ids;
        });
    }

    /// <summary>Forgets the marks of <paramref name="objectName"/> (its re-read ended, or a new one starts).</summary>
    public void Clear(SqliteTransaction transaction, string objectName)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, "DELETE FROM crmsync_reread_seen WHERE object_name = $object;").With("$object", objectName);
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>How many ids the current re-read of <paramref name="objectName"/> has marked.</summary>
    public long Count(string objectName, SqliteTransaction? transaction = null) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, "SELECT count(*) FROM crmsync_reread_seen WHERE object_name = $object;").With("$object", objectName);
            return (long)command.ExecuteScalar()!;
        });
}
