using System.Globalization;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Conflicts;

/// <summary>
/// Arbitrates, during the pull, between a pulled record and the local changes of the same row still waiting in the outbox.
/// For each waiting column the pull would overwrite:
/// <list type="bullet">
/// <item>the CRM's value equals the local one: nothing to decide (both sides agree);</item>
/// <item>the CRM's value equals the value the column had before its first unpushed local change
/// (<see cref="ChangeCapture.BaseTable"/>): the CRM did not change that field, the local change simply stays;</item>
/// <item>otherwise both sides changed the field: a collision, decided by <see cref="ConflictResolver"/> and written to the
/// conflict journal with both values, the winner, the rule and the run. Local wins: the column keeps its value and its
/// outbox change (the CRM's value becomes the new base, so a re-read of the same record is no new collision). CRM wins:
/// the pull writes the CRM's value and the column is dropped from the waiting outbox entries (an entry left with no column
/// is done), so the push never overwrites the CRM's value.</item>
/// </list>
/// Called inside the pull's page transaction; the waiting changes of a table are loaded once per transaction.
/// </summary>
public sealed class PullCollisionArbiter
{
    private readonly CrmSyncStore _store;
    private SqliteTransaction? _cachedFor;
    private readonly Dictionary<string, Dictionary<string, List<PendingChange>>> _pending = new(StringComparer.OrdinalIgnoreCase);

    private sealed class PendingChange(long id, List<string> columns)
    {
        public long Id { get; } = id;
        public List<string> Columns { get; } = columns;
    }

    /// <summary>An arbiter writing its journal into <paramref name="store"/>.</summary>
    public PullCollisionArbiter(CrmSyncStore store) => _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Collisions journaled by this arbiter since it was created.</summary>
    public int CollisionCount { get; private set; }

    /// <summary>See <see cref="IPullConflictGuard.ColumnsToKeep"/>.</summary>
    public IReadOnlyCollection<string>? ColumnsToKeep(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId, CrmRecord record)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(record);
        if (!plan.Object.IsTwoWay)
            return null;
        var byRow = PendingOf(transaction, plan.TableName);
        var rowKey = rowId.ToString(CultureInfo.InvariantCulture);
        if (!byRow.TryGetValue(rowKey, out var changes) || changes.Count == 0)
            return null;
        var waiting = new HashSet<string>(changes.SelectMany(c => c.Columns), StringComparer.OrdinalIgnoreCase);
        var fields = plan.Fields.Where(f => waiting.Contains(f.ColumnName)).ToList();
        if (fields.Count == 0)
            return null;

        var connection = transaction.Connection!;
        var table = SqlIdentifier.Quote(plan.TableName);
        var local = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        using (var read = connection.Command(transaction,
                   $"SELECT {string.Join(", ", fields.Select(f => SqlIdentifier.Quote(f.ColumnName)))} FROM {table} WHERE \"{SystemColumns.RowId}\" = $row;")
                   .With("$row", rowId))
        using (var reader = read.ExecuteReader())
        {
            if (!reader.Read())
                return null;
            for (var i = 0; i < fields.Count; i++)
                local[fields[i].ColumnName] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }
        var baseline = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        using (var read = connection.Command(transaction,
                   $"SELECT column_name, old_value FROM {ChangeCapture.BaseTable} WHERE table_name = $table AND row_id = $row;")
                   .With("$table", plan.TableName).With("$row", rowId))
        using (var reader = read.ExecuteReader())
            while (reader.Read())
                baseline[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetValue(1);

        var keep = new List<string>();
        long? runId = null;
        var kind = ConflictResolver.KindOf(plan.ObjectName, plan.Object.IsTwoWay);
        foreach (var field in fields)
        {
            var crm = SqliteValueConverter.ToStorage(record.Values.GetValueOrDefault(field.FieldName), field.ColumnType, out _);
            var crmValue = crm is DBNull ? null : crm;
            var localValue = local[field.ColumnName];
            if (StoredValues.Same(crmValue, localValue))
                continue;
            if (baseline.TryGetValue(field.ColumnName, out var before) && StoredValues.Same(crmValue, before))
            {
                keep.Add(field.ColumnName); // the CRM did not change this field: the local change stays
                continue;
            }
            var decision = ConflictResolver.Resolve(kind, field.Rule, crmValue);
            if (decision.Resolution == ConflictResolution.NotSynced)
            {
                keep.Add(field.ColumnName);
                continue;
            }
            runId ??= CurrentRunId(transaction);
            _store.Conflicts.Record(new ConflictEntry(runId, plan.ObjectName, record.Id, rowKey, field.FieldName,
                StoredValues.Text(localValue), StoredValues.Text(crmValue), decision.Winner!.Value, decision.Rule), transaction);
            CollisionCount++;
            if (decision.Resolution == ConflictResolution.LocalWins)
            {
                keep.Add(field.ColumnName);
                using var rebase = connection.Command(transaction,
                    $"INSERT OR REPLACE INTO {ChangeCapture.BaseTable} (table_name, row_id, column_name, old_value) VALUES ($table, $row, $column, $value);")
                    .With("$table", plan.TableName).With("$row", rowId).With("$column", field.ColumnName).With("$value", crmValue);
                rebase.ExecuteNonQuery();
            }
            else
            {
                DropColumn(transaction, plan.TableName, rowId, changes, field.ColumnName);
            }
        }
        return keep;
    }

    private static void DropColumn(SqliteTransaction transaction, string table, long rowId, List<PendingChange> changes, string column)
    {
        var connection = transaction.Connection!;
        foreach (var change in changes)
        {
            if (change.Columns.RemoveAll(c => string.Equals(c, column, StringComparison.OrdinalIgnoreCase)) == 0)
                continue;
            using var update = connection.Command(transaction,
                "UPDATE crmsync_outbox SET changed_columns = $columns, state = CASE WHEN $empty = 1 AND operation = 'Update' THEN 'Done' ELSE state END WHERE id = $id;")
                .With("$columns", JsonSerializer.Serialize(change.Columns)).With("$empty", change.Columns.Count == 0 ? 1 : 0).With("$id", change.Id);
            update.ExecuteNonQuery();
        }
        using var unbase = connection.Command(transaction,
            $"DELETE FROM {ChangeCapture.BaseTable} WHERE table_name = $table AND row_id = $row AND column_name = $column;")
            .With("$table", table).With("$row", rowId).With("$column", column);
        unbase.ExecuteNonQuery();
    }

    private Dictionary<string, List<PendingChange>> PendingOf(SqliteTransaction transaction, string table)
    {
        if (!ReferenceEquals(_cachedFor, transaction))
        {
            _pending.Clear();
            _cachedFor = transaction;
        }
        if (_pending.TryGetValue(table, out var cached))
            return cached;
        var byRow = new Dictionary<string, List<PendingChange>>(StringComparer.Ordinal);
        using (var read = transaction.Connection!.Command(transaction,
                   "SELECT id, row_key, changed_columns FROM crmsync_outbox WHERE table_name = $table AND state IN ('Pending', 'InFlight') ORDER BY id;")
                   .With("$table", table))
        using (var reader = read.ExecuteReader())
            while (reader.Read())
            {
                var key = reader.GetString(1);
                if (!byRow.TryGetValue(key, out var list))
                    byRow[key] = list = [];
                list.Add(new PendingChange(reader.GetInt64(0), JsonSerializer.Deserialize<List<string>>(reader.GetString(2)) ?? []));
            }
        _pending[table] = byRow;
        return byRow;
    }

    private static long? CurrentRunId(SqliteTransaction transaction)
    {
        using var read = transaction.Connection!.Command(transaction, $"SELECT run_id FROM {SyncWriteMarker.TableName} LIMIT 1;");
        return read.ExecuteScalar() is long id ? id : null;
    }
}

/// <summary>Compares and shows values as SQLite stores them (long, double, text, blob).</summary>
internal static class StoredValues
{
    public static bool Same(object? a, object? b)
    {
        a = a is DBNull ? null : a;
        b = b is DBNull ? null : b;
        if (a is null || b is null)
            return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
            return Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture);
        if (a is byte[] x && b is byte[] y)
            return x.AsSpan().SequenceEqual(y);
        return string.Equals(Text(a), Text(b), StringComparison.Ordinal);
    }

    public static string? Text(object? value) => value switch
    {
        null or DBNull => null,
        byte[] bytes => Convert.ToBase64String(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static bool IsNumber(object value) => value is long or int or short or byte or double or float or decimal;
}
