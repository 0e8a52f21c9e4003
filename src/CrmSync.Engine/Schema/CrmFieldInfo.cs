using CrmSync.Engine.Store;

namespace CrmSync.Engine.Schema;

/// <summary>A created field as Get-CrmField shows it: its catalog row, label and mapping state. Read from the local database only.</summary>
public sealed record CrmFieldInfo
{
    /// <summary>The profile.</summary>
    public required string Profile { get; init; }
    /// <summary>The CRM object.</summary>
    public required string ObjectName { get; init; }
    /// <summary>The CRM API field name.</summary>
    public required string FieldName { get; init; }
    /// <summary>The CRM label when known (the field name otherwise).</summary>
    public required string Label { get; init; }
    /// <summary>The local table.</summary>
    public required string TableName { get; init; }
    /// <summary>The local column.</summary>
    public required string ColumnName { get; init; }
    /// <summary>The CRM type the field was created with.</summary>
    public required string CrmType { get; init; }
    /// <summary>The column's SQLite type.</summary>
    public required SqliteColumnType SqliteType { get; init; }
    /// <summary>The type the CRM reports now, when it changed since the field was created.</summary>
    public string? ReplacedType { get; init; }
    /// <summary>The field is gone from the CRM: kept, no longer synced.</summary>
    public required bool IsOrphaned { get; init; }
    /// <summary>When it was found orphaned.</summary>
    public DateTimeOffset? OrphanedAt { get; init; }
    /// <summary>The sync user may set it on create.</summary>
    public required bool IsCreateable { get; init; }
    /// <summary>The sync user may update it.</summary>
    public required bool IsUpdateable { get; init; }
    /// <summary>A formula or roll-up field.</summary>
    public required bool IsCalculated { get; init; }
    /// <summary>An External ID field.</summary>
    public required bool IsExternalId { get; init; }
    /// <summary>The mapping's direction (None when the field has no mapping).</summary>
    public required MappingDirection Direction { get; init; }
    /// <summary>True when the field takes part in the sync (mapping enabled, rule not None, not orphaned).</summary>
    public required bool IsSynced { get; init; }
    /// <summary>When the field was created locally.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Reads the created fields from the local catalog (Get-CrmField, tab completion); never the network.</summary>
public static class FieldCatalogView
{
    /// <summary>The created fields whose object and field names match the wildcard patterns (none: all), by object then creation order.</summary>
    public static IReadOnlyList<CrmFieldInfo> List(CrmSyncStore store, IEnumerable<string>? objectPatterns = null, IEnumerable<string>? fieldPatterns = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var objects = NameWildcard.Compile(objectPatterns);
        var fields = NameWildcard.Compile(fieldPatterns);
        var state = FieldSyncState.Read(store);
        var profile = store.Profile.Read()!.Name;
        var mappings = new Dictionary<(string, string), FieldMapping>(ObjectFieldComparer.Instance);
        foreach (var m in state.Mappings)
            mappings.TryAdd((m.ObjectName, m.FieldName), m);
        return state.Catalog
            .Where(e => NameWildcard.MatchesAny(objects, e.ObjectName) && NameWildcard.MatchesAny(fields, e.FieldName))
            .OrderBy(e => e.ObjectName, StringComparer.Ordinal).ThenBy(e => e.Id)
            .Select(e =>
            {
                var mapping = mappings.GetValueOrDefault((e.ObjectName, e.FieldName));
                return new CrmFieldInfo
                {
                    Profile = profile,
                    ObjectName = e.ObjectName,
                    FieldName = e.FieldName,
                    Label = state.Labels.GetValueOrDefault(FieldSyncState.LabelKey(e.ObjectName, e.FieldName)) ?? e.FieldName,
                    TableName = e.TableName,
                    ColumnName = e.ColumnName,
                    CrmType = e.CrmType,
                    SqliteType = e.SqliteType,
                    ReplacedType = e.ReplacedType,
                    IsOrphaned = e.IsOrphaned,
                    OrphanedAt = e.OrphanedAt,
                    IsCreateable = e.IsCreateable,
                    IsUpdateable = e.IsUpdateable,
                    IsCalculated = e.IsCalculated,
                    IsExternalId = e.IsExternalId,
                    Direction = mapping?.Direction ?? MappingDirection.None,
                    IsSynced = mapping is { Enabled: true } && mapping.Rule != FieldMappingRule.None && !e.IsOrphaned,
                    CreatedAt = e.CreatedAt,
                };
            })
            .ToList();
    }

    /// <summary>The CRM objects that have created fields, sorted (for -Object completion).</summary>
    public static IReadOnlyList<string> ObjectNames(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.FieldCatalog.List().Select(e => e.ObjectName).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The created field names (of one object when given), sorted (for field-name completion).</summary>
    public static IReadOnlyList<string> FieldNames(CrmSyncStore store, string? objectName = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.FieldCatalog.List().Where(e => objectName is null || string.Equals(e.ObjectName, objectName, StringComparison.OrdinalIgnoreCase))
            .Select(e => e.FieldName).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
    }
}
