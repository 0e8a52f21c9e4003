using CrmSync.Emulator.Salesforce.Soql.Evaluation;

namespace CrmSync.Emulator.Salesforce.Soql.Binding;

using Row = IReadOnlyDictionary<string, object?>;

/// <summary>
/// The shape of the result records: scalar fields and nested parent records, in SELECT order. Several paths
/// through one relationship (Owner.Name, Owner.Email) share one nested record, as in Salesforce's JSON.
/// </summary>
internal sealed class SoqlProjection(string objectName, string? idField)
{
    private readonly List<Item> _items = [];

    public string ObjectName { get; } = objectName;

    /// <summary>Adds a path (the hops to walk, then the field) at the position of its first mention.</summary>
    public void Add(IReadOnlyList<SoqlRelationshipHop> hops, SoqlField field, Func<string, string?> idFieldOf, int depth = 0)
    {
        if (depth == hops.Count)
        {
            _items.Add(new Item(field.Name, field, null));
            return;
        }

        var hop = hops[depth];
        var existing = _items.FirstOrDefault(i => i.Child is not null && string.Equals(i.Name, hop.RelationshipName, StringComparison.OrdinalIgnoreCase));
        if (existing is null)
        {
            existing = new Item(hop.RelationshipName, null, new SoqlProjection(hop.TargetObject, idFieldOf(hop.TargetObject)), hop.ForeignKey);
            _items.Add(existing);
        }

        existing.Child!.Add(hops, field, idFieldOf, depth + 1);
    }

    public SoqlRecord Project(Row row, SoqlRecordLookup? lookup)
    {
        var fields = new KeyValuePair<string, object?>[_items.Count];
        for (var k = 0; k < _items.Count; k++)
        {
            var item = _items[k];
            object? value;
            if (item.Child is null)
            {
                row.TryGetValue(item.Field!.Name, out var raw);
                value = SoqlValues.ForOutput(raw, SoqlValues.KindOf(item.Field.Type), item.Field.Name);
            }
            else
            {
                value = null;
                if (lookup is not null && row.TryGetValue(item.ForeignKey!, out var id) && id is string { Length: > 0 } parentId
                    && lookup(item.Child.ObjectName, parentId) is { } parent)
                {
                    value = item.Child.Project(parent, lookup);
                }
            }

            fields[k] = new KeyValuePair<string, object?>(item.Name, value);
        }

        string? recordId = null;
        if (idField is not null && row.TryGetValue(idField, out var rawId) && rawId is string { Length: > 0 } s)
        {
            recordId = s;
        }

        return new SoqlRecord(ObjectName, recordId, fields);
    }

    private sealed record Item(string Name, SoqlField? Field, SoqlProjection? Child, string? ForeignKey = null);
}
