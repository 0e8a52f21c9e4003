using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Push;

/// <summary>One synced field of a two-way object, as capture and push see it.</summary>
/// <param name="FieldName">The CRM API name.</param>
/// <param name="ColumnName">The local column (from the catalog through the mapping).</param>
/// <param name="Rule">The mapping rule: only TwoWay, PreferCrmUnlessBlank and AlwaysLocal push.</param>
/// <param name="Type">The CRM type, to turn the stored value back into the CRM's (booleans are 0/1 locally).</param>
/// <param name="IsCreateable">The sync user may set it on create.</param>
/// <param name="IsUpdateable">The sync user may update it.</param>
/// <param name="IsCalculated">A formula or roll-up: never pushed.</param>
public sealed record PushedField(string FieldName, string ColumnName, FieldMappingRule Rule, CrmFieldType Type, bool IsCreateable,
    bool IsUpdateable, bool IsCalculated)
{
    /// <summary>True when a local change of this field goes to the CRM on update.</summary>
    public bool PushesOnUpdate => FieldMappingService.Pushes(Rule) && IsUpdateable && !IsCalculated;

    /// <summary>What the field means to the sync (its catalogued roles: id, modification stamp, ...).</summary>
    public CrmFieldRole Roles { get; init; }

    /// <summary>True when a local value of this field goes to the CRM on create.</summary>
    public bool PushesOnCreate => FieldMappingService.Pushes(Rule) && IsCreateable && !IsCalculated;
}

/// <summary>The synced fields of one two-way object in its table.</summary>
public sealed record PushedObject(SyncedObject Object, IReadOnlyList<PushedField> Fields)
{
    public string ObjectName => Object.ObjectName;
    public string TableName => Object.TableName;

    /// <summary>The field stored in <paramref name="column"/>, or null when this object has none there.</summary>
    public PushedField? ByColumn(string column) =>
        Fields.FirstOrDefault(f => string.Equals(f.ColumnName, column, StringComparison.OrdinalIgnoreCase));

    /// <summary>The field named <paramref name="fieldName"/>, or null.</summary>
    public PushedField? ByField(string fieldName) =>
        Fields.FirstOrDefault(f => string.Equals(f.FieldName, fieldName, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The two-way objects and their synced fields, from the local field catalog and mappings only (column names never come
/// from anywhere else). Capture triggers watch the union of the columns of a table's objects; the push sends a field only
/// when its rule pushes and the CRM lets the sync user write it. The External ID field is the sync's own: never captured,
/// only written by the push itself.
/// </summary>
public sealed class PushFieldMap
{
    private PushFieldMap(IReadOnlyList<PushedObject> objects, IReadOnlyDictionary<string, IReadOnlyList<string>> tableColumns,
        SyncedObjectCatalog catalog, string externalIdField)
    {
        Objects = objects;
        TableColumns = tableColumns;
        Catalog = catalog;
        ExternalIdField = externalIdField;
    }

    /// <summary>The CRM's synced objects and rules (person rules, push order, upserts), from its provider.</summary>
    public SyncedObjectCatalog Catalog { get; }

    /// <summary>The External ID field creates upsert on.</summary>
    public string ExternalIdField { get; }

    /// <summary>
    /// The profile's sync-filter field: its own (Connect's sync filter field setting) or else the CRM's default
    /// (<see cref="SyncedObjectCatalog.DefaultSyncFilterField"/>); null when there is none. A person created locally is
    /// created as Yes in it where its local value is empty.
    /// </summary>
    public string? SyncFilterField { get; private init; }

    /// <summary>The two-way person object of <paramref name="kind"/> (a local <c>_crm_type</c>), or null when it is not synced.</summary>
    public PushedObject? FindPersonKind(string kind) =>
        Catalog.Persons.OfKind(kind) is { } person ? Find(person.ObjectName) : null;

    /// <summary>The two-way objects that have a local table, in the catalog's order (persons, groups, memberships).</summary>
    public IReadOnlyList<PushedObject> Objects { get; }

    /// <summary>Per two-way table, the columns the capture triggers watch.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> TableColumns { get; }

    /// <summary>The object named <paramref name="objectName"/>, or null when it is not two-way or has no table.</summary>
    public PushedObject? Find(string objectName) =>
        Objects.FirstOrDefault(o => string.Equals(o.ObjectName, objectName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the map from <paramref name="store"/>; a null <paramref name="externalIdField"/> is the catalog's.</summary>
    public static PushFieldMap Read(CrmSyncStore store, SyncedObjectCatalog objects, string? externalIdField = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(objects);
        externalIdField ??= objects.ExternalIdField;
        var catalog = store.FieldCatalog.List().Where(e => !e.IsOrphaned).ToList();
        var mappings = new FieldMappingService(store, objects);
        var result = new List<PushedObject>();
        var tables = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var synced in objects.StandardObjects.Where(o => o.IsTwoWay))
        {
            var existing = store.SchemaWriter.ReadColumns(synced.TableName);
            if (!existing.Contains(SystemColumns.CrmId, StringComparer.OrdinalIgnoreCase))
                continue; // the table was never created
            var columns = new HashSet<string>(existing, StringComparer.OrdinalIgnoreCase);
            var fields = new List<PushedField>();
            foreach (var mapping in mappings.ListSynced(synced.ObjectName))
            {
                if (string.Equals(mapping.FieldName, externalIdField, StringComparison.OrdinalIgnoreCase)
                    || !SqlIdentifier.IsValid(mapping.ColumnName) || !columns.Contains(mapping.ColumnName))
                    continue;
                var entry = catalog.FirstOrDefault(e => string.Equals(e.ObjectName, synced.ObjectName, StringComparison.OrdinalIgnoreCase)
                                                        && string.Equals(e.FieldName, mapping.FieldName, StringComparison.OrdinalIgnoreCase));
                if (entry is null)
                    continue;
                var type = entry.FieldType ?? FieldTypeMapping.ParseNativeType(entry.ReplacedType ?? entry.CrmType);
                fields.Add(new PushedField(entry.FieldName, entry.ColumnName, mapping.Rule, type, entry.IsCreateable, entry.IsUpdateable,
                    entry.IsCalculated) { Roles = entry.Roles });
            }
            if (fields.Count == 0)
                continue;
            result.Add(new PushedObject(synced, fields));
            if (!tables.TryGetValue(synced.TableName, out var watched))
                tables[synced.TableName] = watched = [];
            foreach (var field in fields)
                if (!watched.Contains(field.ColumnName, StringComparer.OrdinalIgnoreCase))
                    watched.Add(field.ColumnName);
        }
        var profileFilter = store.Profile.Read()?.SyncFilterField;
        return new PushFieldMap(result, tables.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.OrdinalIgnoreCase),
            objects, externalIdField)
        {
            SyncFilterField = string.IsNullOrWhiteSpace(profileFilter) ? objects.DefaultSyncFilterField : profileFilter.Trim(),
        };
    }
}
