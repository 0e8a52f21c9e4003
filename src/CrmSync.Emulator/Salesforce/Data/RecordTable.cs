using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>
/// The records of one sObject in insertion (= id) order, with an id index and lazily built indexes on External ID
/// fields. Not thread-safe: the owning <see cref="SalesforceStore"/> serializes access.
/// </summary>
internal sealed class RecordTable
{
    private readonly List<StoredRecord> _rows = [];
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _externalIndexes = new(StringComparer.OrdinalIgnoreCase);

    public RecordTable(SObjectDefinition sobject) => SObject = sobject;

    public SObjectDefinition SObject { get; }

    public int Count => _rows.Count;

    /// <summary>Changes with every write (cached derived indexes compare it).</summary>
    public long Version { get; private set; }

    private (long Version, long[] Ticks, StoredRecord[] Rows)? _modstampIndex;

    /// <summary>Every record ordered by SystemModstamp (ties in id order), cached until the next write.</summary>
    public (long[] Ticks, StoredRecord[] Rows) ModstampIndex()
    {
        if (_modstampIndex is { } cached && cached.Version == Version)
        {
            return (cached.Ticks, cached.Rows);
        }
        var field = SObject.Field("SystemModstamp");
        var rows = _rows.ToArray();
        var ticks = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            ticks[i] = field is not null && rows[i].Get(field) is DateTime stamp ? stamp.Ticks : long.MinValue;
        }
        var order = new int[rows.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (a, b) => ticks[a] != ticks[b] ? ticks[a].CompareTo(ticks[b]) : a.CompareTo(b));
        var sortedTicks = new long[rows.Length];
        var sortedRows = new StoredRecord[rows.Length];
        for (int i = 0; i < order.Length; i++)
        {
            sortedTicks[i] = ticks[order[i]];
            sortedRows[i] = rows[order[i]];
        }
        _modstampIndex = (Version, sortedTicks, sortedRows);
        return (sortedTicks, sortedRows);
    }

    public StoredRecord? Find(string id) => _byId.TryGetValue(id, out int index) ? _rows[index] : null;

    public StoredRecord[] Snapshot() => _rows.ToArray();

    public void Put(StoredRecord record)
    {
        Version++;
        StoredRecord? previous = null;
        if (_byId.TryGetValue(record.Id, out int index))
        {
            previous = _rows[index];
            _rows[index] = record;
        }
        else
        {
            _byId[record.Id] = _rows.Count;
            _rows.Add(record);
        }
        UpdateIndexes(previous, record);
    }

    /// <summary>Physically removes a record (to roll back a create, or to empty the recycle bin).</summary>
    public void Remove(string id)
    {
        if (!_byId.TryGetValue(id, out int index))
        {
            return;
        }
        Version++;
        UpdateIndexes(_rows[index], null);
        _rows.RemoveAt(index);
        _byId.Clear();
        for (int i = 0; i < _rows.Count; i++)
        {
            _byId[_rows[i].Id] = i;
        }
    }

    /// <summary>Ids of records whose <paramref name="field"/> equals <paramref name="value"/> (case-insensitive).</summary>
    public IReadOnlyCollection<string> FindByExternalId(FieldDefinition field, string value)
    {
        if (!_externalIndexes.TryGetValue(field.Name, out var index))
        {
            index = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var row in _rows)
            {
                if (row.Get(field) is string key)
                {
                    Add(index, key, row.Id);
                }
            }
            _externalIndexes[field.Name] = index;
        }
        return index.TryGetValue(value, out var ids) ? ids : [];
    }

    /// <summary>Drops the external-id indexes (after a schema change).</summary>
    public void ResetIndexes() => _externalIndexes.Clear();

    private void UpdateIndexes(StoredRecord? previous, StoredRecord? current)
    {
        foreach (var (name, index) in _externalIndexes)
        {
            var field = SObject.Field(name);
            if (field is null)
            {
                continue;
            }
            if (previous?.Get(field) is string oldKey && index.TryGetValue(oldKey, out var set))
            {
                set.Remove(previous.Id);
                if (set.Count == 0)
                {
                    index.Remove(oldKey);
                }
            }
            if (current?.Get(field) is string newKey)
            {
                Add(index, newKey, current.Id);
            }
        }
    }

    private static void Add(Dictionary<string, HashSet<string>> index, string key, string id)
    {
        if (!index.TryGetValue(key, out var set))
        {
            set = new HashSet<string>(StringComparer.Ordinal);
            index[key] = set;
        }
        set.Add(id);
    }
}
