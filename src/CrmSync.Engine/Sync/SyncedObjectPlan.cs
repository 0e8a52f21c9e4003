using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>One CRM field the pull writes, and the column it goes to.</summary>
/// <param name="FieldName">The CRM API field name.</param>
/// <param name="ColumnName">The local column (from the mapping, which points at a catalogued column).</param>
/// <param name="ColumnType">The column's storage class (from the catalog).</param>
/// <param name="Rule">The mapping rule: AlwaysLocal fields are written only into new rows, PreferCrmUnlessBlank keeps the local value when the CRM's is blank.</param>
/// <param name="IsCalculated">A formula or roll-up field, re-read on the slower formula schedule.</param>
public sealed record PulledField(string FieldName, string ColumnName, SqliteColumnType ColumnType, FieldMappingRule Rule, bool IsCalculated);

/// <summary>
/// How one synced object is pulled, built from the local field catalog and mappings only (no CRM call): the object's
/// schema (for the CRM query), the fields written and their columns, and the fields read for the sync's own use.
/// Orphaned fields and disabled mappings (or rule None) do not sync.
/// </summary>
public sealed class SyncedObjectPlan
{
    internal SyncedObjectPlan(SyncedObject syncedObject, CrmObjectSchema schema, IReadOnlyList<PulledField> fields,
        IReadOnlyList<string> requestFields, IReadOnlyList<string> tableFieldColumns, IReadOnlySet<string> tableColumns,
        string? createdDateField, IReadOnlyList<string> convertedIntoFields, string externalIdField)
    {
        ExternalIdField = externalIdField;
        Object = syncedObject;
        Schema = schema;
        Fields = fields;
        RequestFields = requestFields;
        TableFieldColumns = tableFieldColumns;
        TableColumns = tableColumns;
        CreatedDateField = createdDateField;
        ConvertedIntoFields = convertedIntoFields;
    }

    public SyncedObject Object { get; }
    public string ObjectName => Object.ObjectName;
    public string TableName => Object.TableName;
    /// <summary>The object's schema as catalogued (the current CRM type where the catalog recorded a type change).</summary>
    public CrmObjectSchema Schema { get; }
    /// <summary>The fields written into columns.</summary>
    public IReadOnlyList<PulledField> Fields { get; }
    /// <summary>The fields read from the CRM (written fields plus those the sync itself needs, e.g. the conversion fields).</summary>
    public IReadOnlyList<string> RequestFields { get; }
    /// <summary>Every catalogued column of the table (all objects sharing it), for merges and conversions.</summary>
    public IReadOnlyList<string> TableFieldColumns { get; }
    /// <summary>Every column the table has.</summary>
    public IReadOnlySet<string> TableColumns { get; }
    /// <summary>The field with the CRM's creation time (the catalog's <see cref="CrmFieldRole.CreatedDate"/> role), or null.</summary>
    public string? CreatedDateField { get; }
    /// <summary>The fields the adapter reads to fill <see cref="CrmRecord.ConvertedIntoId"/> (role <see cref="CrmFieldRole.ConvertedInto"/>).</summary>
    public IReadOnlyList<string> ConvertedIntoFields { get; }
    /// <summary>The CRM's external-key field (<see cref="SyncedObjectCatalog.ExternalIdField"/>): the push writes the client key to it.</summary>
    public string ExternalIdField { get; }
    /// <summary>
    /// The object's sync-filter field (a Two Options field such as Dynamics' <c>new_synctomkto</c>), always read when set; null
    /// when the profile has none or the object lacks it (<see cref="SyncFilterRules"/>: every record syncs).
    /// </summary>
    public string? SyncFilterField { get; init; }
    /// <summary>The local column the filter field is written to, when it is mapped; else null.</summary>
    public string? SyncFilterColumn => SyncFilterField is null ? null
        : Fields.FirstOrDefault(f => string.Equals(f.FieldName, SyncFilterField, StringComparison.OrdinalIgnoreCase))?.ColumnName;
    /// <summary>The calculated fields, re-read on the formula schedule.</summary>
    public IReadOnlyList<PulledField> FormulaFields => Fields.Where(f => f.IsCalculated).ToList();
    public bool IsPerson => Object.IsPerson;
    public bool HasColumn(string column) => TableColumns.Contains(column);

    /// <summary>
    /// The plans of every object with catalogued, non-orphaned fields, in the catalog's processing order (Lead before
    /// Contact, so that a conversion seen in the same cycle lands before the contact it became), custom objects last.
    /// </summary>
    /// <param name="syncFilterField">The sync-filter field (the profile's, else the catalog's default; null: none): where an object
    /// has it catalogued, it is always read and becomes the plan's <see cref="SyncFilterField"/>.</param>
    public static IReadOnlyList<SyncedObjectPlan> ReadAll(CrmSyncStore store, SyncedObjectCatalog objects, string? syncFilterField = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(objects);
        var catalog = store.FieldCatalog.List();
        var mappings = new FieldMappingService(store, objects);
        var order = objects.StandardObjects.Select((o, i) => (o.ObjectName, i)).ToDictionary(p => p.ObjectName, p => p.i, StringComparer.OrdinalIgnoreCase);
        var plans = new List<SyncedObjectPlan>();
        foreach (var group in catalog.Where(e => !e.IsOrphaned).GroupBy(e => e.ObjectName, StringComparer.OrdinalIgnoreCase)
                     .OrderBy(g => order.GetValueOrDefault(g.Key, int.MaxValue)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            var syncedObject = objects.ForCatalogObject(first.ObjectName, first.TableName);
            var columns = new HashSet<string>(store.SchemaWriter.ReadColumns(first.TableName), StringComparer.OrdinalIgnoreCase);
            if (!columns.Contains(SystemColumns.CrmId))
                continue; // the table was never created (Sync-CrmField did not finish): nothing to pull into
            plans.Add(Build(syncedObject, group.ToList(), catalog, mappings, columns, objects.ExternalIdField, syncFilterField));
        }
        return plans;
    }

    private static SyncedObjectPlan Build(SyncedObject syncedObject, IReadOnlyList<FieldCatalogEntry> entries, IReadOnlyList<FieldCatalogEntry> catalog,
        FieldMappingService mappings, HashSet<string> tableColumns, string externalIdField, string? syncFilterField)
    {
        bool Has(string name) => entries.Any(e => string.Equals(e.FieldName, name, StringComparison.OrdinalIgnoreCase));
        string? Name(string name) => entries.FirstOrDefault(e => string.Equals(e.FieldName, name, StringComparison.OrdinalIgnoreCase))?.FieldName;
        // Field roles are data: Sync-CrmField recorded them from the schema reader (migration 6 for older catalogues).
        string? Role(CrmFieldRole role) => entries.FirstOrDefault(e => e.Roles.HasFlag(role))?.FieldName;

        var fields = entries.Select(e =>
        {
            var native = e.ReplacedType ?? e.CrmType;
            return new CrmFieldSchema(e.FieldName, e.FieldName, e.FieldType ?? FieldTypeMapping.ParseNativeType(native), native, 0, 0, 0,
                e.IsCreateable, e.IsUpdateable, Nillable: true, Custom: false, e.IsCalculated, e.IsExternalId, Unique: false, [], []);
        }).ToList();
        var convertedInto = syncedObject.IsPerson ? entries.Where(e => e.Roles.HasFlag(CrmFieldRole.ConvertedInto)).Select(e => e.FieldName).ToList() : [];
        var schema = new CrmObjectSchema(syncedObject.ObjectName, syncedObject.ObjectName, syncedObject.IsCustom, true, true, true, true, fields)
        {
            SupportsChangeTracking = true,
            ModificationStampField = Role(CrmFieldRole.ModificationStamp),
            DeletedFlagField = Role(CrmFieldRole.DeletedFlag),
            MergedIntoField = Role(CrmFieldRole.MergedInto),
            CreatedDateField = Role(CrmFieldRole.CreatedDate),
            ConvertedIntoFields = convertedInto,
        };
        if (Role(CrmFieldRole.PrimaryId) is { } primaryId)
            schema = schema with { PrimaryIdField = primaryId };

        var pulled = new List<PulledField>();
        var usedColumns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // The Schema API decides what syncs: mapping enabled, rule not None, catalog row not orphaned.
        foreach (var mapping in mappings.ListSynced(syncedObject.ObjectName))
        {
            var entry = entries.FirstOrDefault(e => string.Equals(e.FieldName, mapping.FieldName, StringComparison.OrdinalIgnoreCase));
            if (entry is null || !tableColumns.Contains(mapping.ColumnName) || !SqlIdentifier.IsValid(mapping.ColumnName) || !usedColumns.Add(mapping.ColumnName))
                continue;
            pulled.Add(new PulledField(entry.FieldName, mapping.ColumnName, mapping.SqliteType, mapping.Rule, entry.IsCalculated));
        }

        var createdDate = schema.CreatedDateField;
        var filterField = syncFilterField is not null && Has(syncFilterField) ? Name(syncFilterField) : null;
        var request = pulled.Select(f => f.FieldName).ToList();
        foreach (var extra in new[] { createdDate, filterField }.Concat(convertedInto).Concat(syncedObject.RequiredFields ?? []))
            if (extra is not null && Has(extra) && !request.Contains(extra, StringComparer.OrdinalIgnoreCase))
                request.Add(Name(extra)!);

        var tableFieldColumns = catalog
            .Where(c => string.Equals(c.TableName, syncedObject.TableName, StringComparison.OrdinalIgnoreCase) && tableColumns.Contains(c.ColumnName)
                        && SqlIdentifier.IsValid(c.ColumnName))
            .Select(c => c.ColumnName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return new SyncedObjectPlan(syncedObject, schema, pulled, request, tableFieldColumns, tableColumns, createdDate, convertedInto, externalIdField)
        {
            SyncFilterField = filterField,
        };
    }
}
