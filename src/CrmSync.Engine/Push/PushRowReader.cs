using System.Globalization;
using System.Text.Json;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Push;

/// <summary>Reads what the push has to do: the due Pending outbox entries, merged per row, and those rows' current values.</summary>
internal sealed class PushRowReader(CrmSyncStore store, PushFieldMap map)
{
    private readonly CrmSyncStore _store = store;
    private readonly PushFieldMap _map = map;

    /// <summary>The rows with due changes (their waiting entries merged), each read as it is now; a row backing off waits as a whole.</summary>
    public List<PushRowChange> LoadDueRows() => _store.Read(LoadDueRows);

    private List<PushRowChange> LoadDueRows(SqliteConnection connection)
    {
        var now = _store.Time.GetUtcNow();
        var rows = new Dictionary<(string, string), PushRowChange>();
        foreach (var entry in _store.Outbox.ListPending(deletes: false))
        {
            if (!_map.TableColumns.ContainsKey(entry.TableName) || !long.TryParse(entry.RowKey, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rowId))
                continue;
            if (!rows.TryGetValue((entry.TableName, entry.RowKey), out var row))
                rows[(entry.TableName, entry.RowKey)] = row = new PushRowChange { Table = entry.TableName, RowId = rowId };
            row.OutboxIds.Add(entry.Id);
            foreach (var column in entry.ChangedColumns)
                row.Columns.Add(column);
            row.Attempts = Math.Max(row.Attempts, entry.Attempts);
            if (entry.NextAttemptAt is { } next && next > now)
                row.Due = false; // backing off after a transient failure: the whole row waits
        }
        var due = rows.Values.Where(r => r.Due).ToList();
        foreach (var table in due.GroupBy(r => r.Table, StringComparer.OrdinalIgnoreCase))
            ReadRows(connection, table.Key, table.ToList());
        return due;
    }

    private void ReadRows(SqliteConnection connection, string table, List<PushRowChange> rows)
    {
        var columns = new HashSet<string>(_store.SchemaWriter.ReadColumns(table), StringComparer.OrdinalIgnoreCase);
        string System(string name) => columns.Contains(name) ? $"\"{name}\"" : "NULL";
        var fields = _map.TableColumns[table].Where(columns.Contains).ToList();
        var byId = rows.ToDictionary(r => r.RowId);
        foreach (var chunk in rows.Chunk(5000))
        {
            using var read = connection.Command(null, $"""
                SELECT "{SystemColumns.RowId}", "{SystemColumns.CrmId}", {System(SystemColumns.CrmType)}, {System(SystemColumns.ClientKey)},
                       {System(SystemColumns.MergedInto)}{string.Concat(fields.Select(f => ", " + SqlIdentifier.Quote(f)))}
                FROM {SqlIdentifier.Quote(table)} WHERE "{SystemColumns.RowId}" IN (SELECT value FROM json_each($ids));
                """).With("$ids", JsonSerializer.Serialize(chunk.Select(r => r.RowId)));
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var row = byId[reader.GetInt64(0)];
                row.Exists = true;
                row.CrmId = reader.NullableString(1);
                row.CrmType = reader.NullableString(2);
                row.ClientKey = reader.NullableString(3);
                row.MergedInto = reader.NullableString(4);
                for (var i = 0; i < fields.Count; i++)
                    row.Values[fields[i]] = reader.IsDBNull(5 + i) ? null : reader.GetValue(5 + i);
            }
        }
    }
}
