using System.Collections.Frozen;

namespace CrmSync.Emulator.Salesforce.Schema;

/// <summary>An immutable set of fields of one sObject, looked up case-insensitively.</summary>
public sealed class FieldSet
{
    private readonly FrozenDictionary<string, FieldDefinition> _byName;

    /// <summary>Creates a field set (order is describe order).</summary>
    public FieldSet(IReadOnlyList<FieldDefinition> fields, int slotCount)
    {
        Fields = fields;
        SlotCount = slotCount;
        _byName = fields.ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Fields in describe order.</summary>
    public IReadOnlyList<FieldDefinition> Fields { get; }

    /// <summary>Number of storage slots ever allocated (removed fields keep theirs).</summary>
    public int SlotCount { get; }

    /// <summary>Finds a field by API name, case-insensitively.</summary>
    public FieldDefinition? Find(string name) => _byName.GetValueOrDefault(name);
}

/// <summary>An sObject type: its describe flags and its (changeable) field set.</summary>
public sealed class SObjectDefinition
{
    private volatile FieldSet _fieldSet;

    /// <summary>Creates an sObject definition.</summary>
    public SObjectDefinition(string name, string label, string labelPlural, string keyPrefix, bool custom, IReadOnlyList<FieldDefinition> fields)
    {
        Name = name;
        Label = label;
        LabelPlural = labelPlural;
        KeyPrefix = keyPrefix;
        Custom = custom;
        var numbered = fields.Select((f, i) => f with { Ordinal = i }).ToList();
        _fieldSet = new FieldSet(numbered, numbered.Count);
    }

    /// <summary>API name, e.g. <c>Lead</c>.</summary>
    public string Name { get; }
    /// <summary>Label.</summary>
    public string Label { get; }
    /// <summary>Plural label.</summary>
    public string LabelPlural { get; }
    /// <summary>Three-character id prefix.</summary>
    public string KeyPrefix { get; }
    /// <summary>Custom object.</summary>
    public bool Custom { get; }
    /// <summary>Records can be created through the API.</summary>
    public bool Createable { get; init; } = true;
    /// <summary>Records can be updated through the API.</summary>
    public bool Updateable { get; init; } = true;
    /// <summary>Records can be deleted through the API.</summary>
    public bool Deletable { get; init; } = true;
    /// <summary>Records can be merged.</summary>
    public bool Mergeable { get; init; }
    /// <summary>Feed tracking enabled.</summary>
    public bool FeedEnabled { get; init; }

    /// <summary>The current field set.</summary>
    public FieldSet FieldSet => _fieldSet;

    /// <summary>Finds a field by name.</summary>
    public FieldDefinition? Field(string name) => _fieldSet.Find(name);

    /// <summary>Adds a field (schema change); returns the stored definition.</summary>
    public FieldDefinition AddField(FieldDefinition field)
    {
        var current = _fieldSet;
        if (current.Find(field.Name) is not null)
        {
            throw new InvalidOperationException($"Field {field.Name} already exists on {Name}.");
        }
        var added = field with { Ordinal = current.SlotCount };
        _fieldSet = new FieldSet([.. current.Fields, added], current.SlotCount + 1);
        return added;
    }

    /// <summary>Replaces a field definition in place (same slot).</summary>
    public void ReplaceField(string name, FieldDefinition replacement)
    {
        var current = _fieldSet;
        var list = current.Fields.Select(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) ? replacement with { Ordinal = f.Ordinal } : f).ToList();
        _fieldSet = new FieldSet(list, current.SlotCount);
    }

    /// <summary>Removes a field; its slot stays allocated.</summary>
    public void RemoveField(string name)
    {
        var current = _fieldSet;
        var list = current.Fields.Where(f => !string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        _fieldSet = new FieldSet(list, current.SlotCount);
    }

    /// <summary>Restores a persisted field set.</summary>
    public void RestoreFieldSet(IReadOnlyList<FieldDefinition> fields, int slotCount) => _fieldSet = new FieldSet(fields, slotCount);
}
