using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>
/// Schema edits as an admin makes them in Setup (the admin endpoints): add, remove, rename a field, change its type
/// (stored values converted, or null where they do not convert). Each publishes the change through the store.
/// </summary>
internal sealed class SchemaEditor(SalesforceStore store)
{
    private readonly SalesforceStore _store = store;

    /// <summary>Adds a field to an sObject (a schema change as an admin would make it).</summary>
    public FieldDefinition AddField(SObjectDefinition sobject, FieldDefinition field)
    {
        lock (_store.Sync)
        {
            var added = sobject.AddField(field);
            _store.SchemaChanged(sobject);
            return added;
        }
    }

    /// <summary>Removes a field; stored values disappear from every read.</summary>
    public void RemoveField(SObjectDefinition sobject, string name)
    {
        lock (_store.Sync)
        {
            var field = sobject.Field(name) ?? throw new KeyNotFoundException($"No field {name} on {sobject.Name}.");
            if (!field.Custom)
            {
                throw new InvalidOperationException("Only custom fields can be removed.");
            }
            foreach (var row in _store.Table(sobject).Snapshot())
            {
                if (row.Get(field) is not null)
                {
                    var values = row.CopyValues(sobject.FieldSet.SlotCount);
                    values[field.Ordinal] = null;
                    _store.Table(sobject).Put(new StoredRecord(row.Id, values));
                }
            }
            sobject.RemoveField(name);
            _store.SchemaChanged(sobject);
        }
    }

    /// <summary>Renames a field, keeping its values.</summary>
    public void RenameField(SObjectDefinition sobject, string name, string newName, string? newLabel)
    {
        lock (_store.Sync)
        {
            var field = sobject.Field(name) ?? throw new KeyNotFoundException($"No field {name} on {sobject.Name}.");
            if (sobject.Field(newName) is not null)
            {
                throw new InvalidOperationException($"Field {newName} already exists on {sobject.Name}.");
            }
            sobject.ReplaceField(name, field with { Name = newName, Label = newLabel ?? field.Label, Custom = newName.EndsWith("__c", StringComparison.Ordinal) });
            _store.SchemaChanged(sobject);
        }
    }

    /// <summary>Changes a field's type, converting stored values (values that do not convert become null).</summary>
    public void ChangeFieldType(SObjectDefinition sobject, string name, FieldType type, int? length)
    {
        lock (_store.Sync)
        {
            var field = sobject.Field(name) ?? throw new KeyNotFoundException($"No field {name} on {sobject.Name}.");
            var changed = field with
            {
                Type = type,
                Length = length ?? (type is FieldType.String or FieldType.TextArea or FieldType.Email or FieldType.Phone or FieldType.Url or FieldType.Picklist ? Math.Max(field.Length, 255) : 0),
                Precision = type is FieldType.Double or FieldType.Currency ? 18 : 0,
                Scale = type == FieldType.Currency ? 2 : 0,
                ExternalId = field.ExternalId && type is FieldType.String or FieldType.Email,
                Unique = field.Unique && type is FieldType.String or FieldType.Email,
                IdLookup = field.IdLookup && type is FieldType.String or FieldType.Email,
            };
            foreach (var row in _store.Table(sobject).Snapshot())
            {
                if (row.Get(field) is { } value)
                {
                    var values = row.CopyValues(sobject.FieldSet.SlotCount);
                    object? text = value switch
                    {
                        DateTime t => SalesforceFormat.DateTime(t),
                        DateOnly d => SalesforceFormat.Date(d),
                        _ => value is bool or decimal or long or string ? value : value.ToString(),
                    };
                    values[field.Ordinal] = ValueCoercion.Coerce(changed with { RestrictedPicklist = false }, text, out _);
                    _store.Table(sobject).Put(new StoredRecord(row.Id, values));
                }
            }
            sobject.ReplaceField(name, changed);
            _store.SchemaChanged(sobject);
        }
    }
}
