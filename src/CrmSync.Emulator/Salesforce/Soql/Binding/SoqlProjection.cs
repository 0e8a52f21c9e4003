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
    private Resolved? _resolved; // the items' positions in the last row shape seen (ISoqlIndexedRow)

    public string ObjectName { get; } = objectName;

    /// <summary>Adds a path (the hops to walk, then the field) at the position of its first mention.</summary>
    public void Add(IReadOnlyList<SoqlRelationshipHop> hops, SoqlField field, Func<string, string?> idFieldOf, int depth = 0)
    {
        if (depth == hops.Count)
        {
            _items.Add(new Item(field.Name, field, null) { Kind = SoqlValues.KindOf(field.Type) });
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

    /// <summary>True when every item is a field of the row itself (no parent record): <see cref="ProjectValues"/> applies.</summary>
    public bool IsFlat => _items.TrueForAll(i => i.Child is null);

    /// <summary>The number of items (the values of <see cref="ProjectValues"/>).</summary>
    public int Count => _items.Count;

    /// <summary>
    /// The values of a flat projection (<see cref="IsFlat"/>) of <paramref name="row"/>, in SELECT order, into
    /// <paramref name="values"/>: the values <see cref="Project"/> gives, without a record per row.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ProjectValues(Row row, Span<object?> values)
    {
        var positions = row is ISoqlIndexedRow indexed ? PositionsFor(indexed) : null;
        for (var k = 0; k < _items.Count; k++)
            values[k] = ScalarValue(_items[k], row, positions, k);
    }

    private object? ScalarValue(Item item, Row row, int[]? positions, int k)
    {
        object? raw;
        if (positions is not null)
            raw = positions[k] >= 0 ? ((ISoqlIndexedRow)row).ValueAt(positions[k]) : null;
        else
            row.TryGetValue(item.Field!.Name, out raw);
        return SoqlValues.ForOutput(raw, item.Kind, item.Field!.Name);
    }

    /// <summary>The items' positions in rows of <paramref name="row"/>'s shape (resolved by name once per shape).</summary>
    private int[] PositionsFor(ISoqlIndexedRow row)
    {
        var resolved = _resolved;
        if (resolved is not null && ReferenceEquals(resolved.Shape, row.Shape))
            return resolved.Positions;
        var positions = new int[_items.Count];
        for (var k = 0; k < positions.Length; k++)
            positions[k] = _items[k].Field is { } field ? row.PositionOf(field.Name) : -1;
        _resolved = new Resolved(row.Shape, positions);
        return positions;
    }

    public SoqlRecord Project(Row row, SoqlRecordLookup? lookup)
    {
        var fields = new KeyValuePair<string, object?>[_items.Count];
        var positions = row is ISoqlIndexedRow indexed ? PositionsFor(indexed) : null;
        for (var k = 0; k < _items.Count; k++)
        {
            var item = _items[k];
            object? value;
            if (item.Child is null)
            {
                value = ScalarValue(item, row, positions, k);
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

    private sealed record Item(string Name, SoqlField? Field, SoqlProjection? Child, string? ForeignKey = null)
    {
        /// <summary>The value kind of <see cref="Field"/> (resolved once).</summary>
        public SoqlValueKind Kind { get; init; }
    }

    private sealed record Resolved(object Shape, int[] Positions);
}
