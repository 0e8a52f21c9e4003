using CrmSync.Emulator.Salesforce.Soql.Evaluation;

namespace CrmSync.Emulator.Salesforce.Soql.Binding;

/// <summary>One step from a record to its parent: read <see cref="ForeignKey"/>, look the id up in <see cref="TargetObject"/>.</summary>
internal sealed record SoqlRelationshipHop(string ForeignKey, string RelationshipName, string TargetObject);

/// <summary>Reads a bound field path (a field of the FROM object or of a parent reached through relationships) from a row.</summary>
internal sealed class SoqlFieldAccessor
{
    private readonly SoqlRelationshipHop[] _hops;

    public SoqlFieldAccessor(IReadOnlyList<SoqlRelationshipHop> hops, SoqlField field, string path)
    {
        _hops = hops.ToArray();
        Field = field;
        Path = path;
        Kind = SoqlValues.KindOf(field.Type);
    }

    /// <summary>The field at the end of the path.</summary>
    public SoqlField Field { get; }

    /// <summary>The canonical path, for example <c>Owner.Name</c>.</summary>
    public string Path { get; }

    public SoqlValueKind Kind { get; }

    public IReadOnlyList<SoqlRelationshipHop> Hops => _hops;

    /// <summary>True for a field of the FROM object itself.</summary>
    public bool IsDirect => _hops.Length == 0;

    /// <summary>The raw value, or null when a relationship on the way is empty or cannot be resolved.</summary>
    public object? GetRaw(IReadOnlyDictionary<string, object?> row, SoqlRecordLookup? lookup)
    {
        var current = row;
        foreach (var hop in _hops)
        {
            if (lookup is null || !current.TryGetValue(hop.ForeignKey, out var id) || id is not string { Length: > 0 } parentId)
            {
                return null;
            }

            var parent = lookup(hop.TargetObject, parentId);
            if (parent is null)
            {
                return null;
            }

            current = parent;
        }

        return current.TryGetValue(Field.Name, out var value) ? value : null;
    }

    /// <summary>The normalized, comparable value (see <see cref="SoqlValues.Normalize"/>).</summary>
    public object? Get(IReadOnlyDictionary<string, object?> row, SoqlRecordLookup? lookup) =>
        SoqlValues.Normalize(GetRaw(row, lookup), Kind, Path);
}
