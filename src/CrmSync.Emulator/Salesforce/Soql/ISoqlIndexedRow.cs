namespace CrmSync.Emulator.Salesforce.Soql;

/// <summary>
/// A row whose fields can also be read by a position resolved once per row shape, instead of by name for every value:
/// what a projection over many rows of one object uses (the bulk results of a million records read each field by name
/// otherwise). <see cref="Shape"/> identifies the name-to-position mapping: rows with the same shape (the same reference)
/// resolve the same names to the same positions.
/// </summary>
public interface ISoqlIndexedRow : IReadOnlyDictionary<string, object?>
{
    /// <summary>The mapping's identity (compared by reference).</summary>
    object Shape { get; }

    /// <summary>The position of a field, or -1 when the row has no such field (as <c>TryGetValue</c> returning false).</summary>
    int PositionOf(string field);

    /// <summary>The value at a position from <see cref="PositionOf"/>: the same value <c>TryGetValue</c> gives for its name.</summary>
    object? ValueAt(int position);
}
