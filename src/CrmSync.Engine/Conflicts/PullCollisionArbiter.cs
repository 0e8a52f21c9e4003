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
/// (<see cref="CaptureBase"/>): the CRM did not change that field, the local change simply stays;</item>
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

    /// <summary>See <see cref="IPullConflictGuard.HasWaitingChanges"/>: the row's waiting outbox entries, loaded once per transaction and table.</summary>
    public bool HasWaitingChanges(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Object.IsTwoWay
               && PendingOf(transaction, plan.TableName).TryGetValue(rowId.ToString(CultureInfo.InvariantCulture), out var changes)
               && changes.Count > 0;
    }

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
        var baseline = _store.CaptureBase.Read(transaction, plan.TableName, rowId);

        var keep = new List<string>();
        long? runId = null;
        var kind = ConflictResolver.KindOf(plan.Object.PersonKind, plan.Object.IsTwoWay);
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
                _store.CaptureBase.Set(transaction, plan.TableName, rowId, field.ColumnName, crmValue);
            }
            else
            {
                DropColumn(transaction, plan.TableName, rowId, changes, field.ColumnName);
            }
        }
        return keep;
    }

    private void DropColumn(SqliteTransaction transaction, string table, long rowId, List<PendingChange> changes, string column)
    {
        foreach (var change in changes)
        {
            if (change.Columns.RemoveAll(c => string.Equals(c, column, StringComparison.OrdinalIgnoreCase)) == 0)
                continue;
            _store.Outbox.SetChangedColumns(change.Id, change.Columns, transaction);
        }
        _store.CaptureBase.Forget(transaction, table, rowId, column);
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
        foreach (var entry in _store.Outbox.ListWaiting(table, transaction))
        {
            if (!byRow.TryGetValue(entry.RowKey, out var list))
                byRow[entry.RowKey] = list = [];
            list.Add(new PendingChange(entry.Id, [.. entry.ChangedColumns]));
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
