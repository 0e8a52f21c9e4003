using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;
using CrmSync.Emulator.Salesforce.Soql;

namespace CrmSync.Emulator.Salesforce.Querying;

/// <summary>
/// Exposes the store's schema to the SOQL engine, as one user sees it: fields hidden by field-level security
/// are unknown to the restricted user's queries (INVALID_FIELD).
/// </summary>
internal sealed class SoqlSchemaAdapter(SalesforceStore store, bool restricted) : ISoqlSchema
{
    public bool TryGetObject(string name, out ISoqlObject obj)
    {
        if (store.Definition(name) is { } definition)
        {
            obj = new ObjectAdapter(store, definition, definition.FieldSet, restricted);
            return true;
        }
        obj = null!;
        return false;
    }

    private sealed class ObjectAdapter(SalesforceStore store, SObjectDefinition definition, FieldSet fields, bool restricted) : ISoqlObject
    {
        public string Name => definition.Name;

        public bool TryGetField(string name, out SoqlField field)
        {
            if (fields.Find(name) is { } f && SalesforceStore.IsVisible(f, restricted))
            {
                field = Map(f);
                return true;
            }
            field = null!;
            return false;
        }

        public bool TryGetRelationship(string relationshipName, out SoqlField field)
        {
            foreach (var f in fields.Fields)
            {
                if (f.Type == FieldType.Reference && string.Equals(f.RelationshipName, relationshipName, StringComparison.OrdinalIgnoreCase)
                    && SalesforceStore.IsVisible(f, restricted))
                {
                    field = Map(f);
                    return field.ReferenceTo is not null;
                }
            }
            field = null!;
            return false;
        }

        private SoqlField Map(FieldDefinition f)
        {
            var type = f.Type switch
            {
                FieldType.Id => SoqlFieldType.Id,
                FieldType.Reference => SoqlFieldType.Reference,
                FieldType.Boolean => SoqlFieldType.Boolean,
                FieldType.Int => SoqlFieldType.Integer,
                FieldType.Double => SoqlFieldType.Double,
                FieldType.Currency => SoqlFieldType.Currency,
                FieldType.Percent => SoqlFieldType.Percent,
                FieldType.Date => SoqlFieldType.Date,
                FieldType.DateTime => SoqlFieldType.DateTime,
                _ => SoqlFieldType.String,
            };
            string? target = null;
            if (f.Type == FieldType.Reference)
            {
                target = f.ReferenceTo.FirstOrDefault(t => t == "User" && store.Definition(t) is not null)
                         ?? f.ReferenceTo.FirstOrDefault(t => store.Definition(t) is not null);
            }
            return new SoqlField(f.Name, type, target, target is null ? null : f.RelationshipName);
        }
    }
}
