namespace CrmSync.Emulator.Salesforce.Soql;

/// <summary>The objects a query may name in FROM; supplied by the server. Lookups are case-insensitive.</summary>
public interface ISoqlSchema
{
    /// <summary>Finds an sObject type by name, ignoring case.</summary>
    bool TryGetObject(string name, out ISoqlObject obj);
}

/// <summary>One sObject type: its canonical name, its fields and its parent relationships.</summary>
public interface ISoqlObject
{
    /// <summary>The canonical API name, for example <c>Lead</c>.</summary>
    string Name { get; }

    /// <summary>Finds a field by API name, ignoring case.</summary>
    bool TryGetField(string name, out SoqlField field);

    /// <summary>
    /// Finds the reference field whose <see cref="SoqlField.RelationshipName"/> matches, ignoring case
    /// (for example <c>Owner</c> gives the <c>OwnerId</c> field, which references <c>User</c>).
    /// </summary>
    bool TryGetRelationship(string relationshipName, out SoqlField field);
}

/// <summary>
/// The type of a field as far as SOQL is concerned. <see cref="String"/> covers string, email, phone, url,
/// picklist, textarea and similar text types (compared case-insensitively); <see cref="Reference"/> is an id
/// of another record (compared like <see cref="Id"/>).
/// </summary>
public enum SoqlFieldType
{
    /// <summary>The record id (15 or 18 characters, compared exactly).</summary>
    Id,
    /// <summary>Any text type: string, email, phone, url, picklist, textarea, combobox.</summary>
    String,
    /// <summary>A lookup or master-detail id.</summary>
    Reference,
    /// <summary>A checkbox; never null in Salesforce (a null value reads as false).</summary>
    Boolean,
    /// <summary>An int field.</summary>
    Integer,
    /// <summary>A double field.</summary>
    Double,
    /// <summary>A currency field.</summary>
    Currency,
    /// <summary>A percent field.</summary>
    Percent,
    /// <summary>A date without time; row values are <see cref="DateOnly"/>.</summary>
    Date,
    /// <summary>A UTC instant; row values are <see cref="DateTime"/> (UTC) or <see cref="DateTimeOffset"/>.</summary>
    DateTime,
}

/// <summary>
/// A field of an sObject. For reference fields, <paramref name="ReferenceTo"/> names the parent object and
/// <paramref name="RelationshipName"/> the path segment used in SOQL (for example OwnerId → User, Owner).
/// </summary>
public sealed record SoqlField(string Name, SoqlFieldType Type, string? ReferenceTo = null, string? RelationshipName = null);

/// <summary>A ready-made in-memory <see cref="ISoqlSchema"/>; the server may use it or implement the interface itself.</summary>
public sealed class SoqlSchema : ISoqlSchema
{
    private readonly Dictionary<string, ISoqlObject> _objects = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds (or replaces) an object with its fields and returns it.</summary>
    public SoqlObject Add(string objectName, IEnumerable<SoqlField> fields)
    {
        var obj = new SoqlObject(objectName, fields);
        _objects[objectName] = obj;
        return obj;
    }

    /// <inheritdoc />
    public bool TryGetObject(string name, out ISoqlObject obj) => _objects.TryGetValue(name, out obj!);
}

/// <summary>An in-memory <see cref="ISoqlObject"/>.</summary>
public sealed class SoqlObject : ISoqlObject
{
    private readonly Dictionary<string, SoqlField> _fields = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SoqlField> _relationships = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates an object; field names and relationship names must be unique ignoring case.</summary>
    public SoqlObject(string name, IEnumerable<SoqlField> fields)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(fields);
        Name = name;
        foreach (var field in fields)
        {
            if (!_fields.TryAdd(field.Name, field))
            {
                throw new ArgumentException($"Field '{field.Name}' is declared twice on '{name}'.", nameof(fields));
            }

            if (field.RelationshipName is { Length: > 0 } relationship && field.ReferenceTo is { Length: > 0 }
                && !_relationships.TryAdd(relationship, field))
            {
                throw new ArgumentException($"Relationship '{relationship}' is declared twice on '{name}'.", nameof(fields));
            }
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Every field of the object (in no particular order).</summary>
    public IReadOnlyCollection<SoqlField> Fields => _fields.Values;

    /// <inheritdoc />
    public bool TryGetField(string name, out SoqlField field) => _fields.TryGetValue(name, out field!);

    /// <inheritdoc />
    public bool TryGetRelationship(string relationshipName, out SoqlField field) =>
        _relationships.TryGetValue(relationshipName, out field!);
}
