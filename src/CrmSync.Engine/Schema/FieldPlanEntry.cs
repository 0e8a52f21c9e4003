using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Schema;

/// <summary>What Sync-CrmField does with one CRM field.</summary>
public enum FieldPlanAction
{
    /// <summary>A new field: a permanent column and a catalog row are created.</summary>
    Create,
    /// <summary>Already created; nothing to do.</summary>
    Exists,
    /// <summary>Was orphaned and is visible again: it syncs again into its original column.</summary>
    Restored,
    /// <summary>Created earlier and gone from the CRM (or no longer visible): kept, marked orphaned, no longer synced.</summary>
    Orphaned,
    /// <summary>Created with one CRM type, the CRM now reports another: the old column is kept and the change reported.</summary>
    TypeChanged,
    /// <summary>Matched an -ExcludeField pattern: not created.</summary>
    Excluded,
    /// <summary>A compound field (address, geolocation): not created; its components are fields of their own.</summary>
    Unsupported,
}

/// <summary>One line of the Sync-CrmField plan: a CRM field, its local column and what happens to it.</summary>
public sealed record FieldPlanEntry
{
    /// <summary>The CRM object, e.g. Lead.</summary>
    public required string ObjectName { get; init; }
    /// <summary>The CRM API field name, e.g. Email.</summary>
    public required string FieldName { get; init; }
    /// <summary>The CRM label (the field name when unknown, e.g. for an orphaned field).</summary>
    public required string Label { get; init; }
    /// <summary>The neutral CRM type.</summary>
    public required CrmFieldType CrmType { get; init; }
    /// <summary>The CRM's own type name (Salesforce describe type), as the catalog records it.</summary>
    public required string NativeType { get; init; }
    /// <summary>The local table, e.g. person.</summary>
    public required string Table { get; init; }
    /// <summary>The local column, or null for a field that is not created (Excluded, Unsupported).</summary>
    public string? Column { get; init; }
    /// <summary>The column's SQLite type, or null when no column is created.</summary>
    public SqliteColumnType? SqliteType { get; init; }
    /// <summary>TwoWay only for an updateable or createable, non-calculated field of a two-way object; CrmToLocal otherwise.</summary>
    public required MappingDirection Direction { get; init; }
    /// <summary>What happens to the field.</summary>
    public required FieldPlanAction Action { get; init; }
    /// <summary>Why, or what else to know (a rename, a shared person column, the exclusion pattern, ...).</summary>
    public string? Note { get; init; }
    /// <summary>The type the field was created with, when it differs from the CRM's current one.</summary>
    public string? CreatedAsType { get; init; }
    /// <summary>True when confirming the plan writes something for this field (a column, a catalog mark, a default mapping).</summary>
    public bool ChangesDatabase { get; init; }
    /// <summary>True when the field has no mapping yet and gets the default one.</summary>
    public bool NeedsDefaultMapping { get; init; }
    /// <summary>The CRM says the sync user may set the field on create.</summary>
    public bool IsCreateable { get; init; }
    /// <summary>The CRM says the sync user may update the field.</summary>
    public bool IsUpdateable { get; init; }
    /// <summary>A formula or roll-up field.</summary>
    public bool IsCalculated { get; init; }
    /// <summary>An External ID field.</summary>
    public bool IsExternalId { get; init; }

    /// <summary>The profile the plan belongs to (set on output, so that piping into Set-CrmFieldMapping binds -Profile).</summary>
    public string? Profile { get; init; }
    /// <summary>The profile's database file (set on output, so that piping binds -DatabasePath).</summary>
    public string? DatabasePath { get; init; }

    /// <summary>"Lead.Email → person.Email TEXT".</summary>
    public string Describe() => Column is null
        ? $"{ObjectName}.{FieldName}"
        : $"{ObjectName}.{FieldName} → {Table}.{Column} {SqliteType?.ToString().ToUpperInvariant()}";
}

/// <summary>A local table the plan uses.</summary>
/// <param name="Name">The table name.</param>
/// <param name="Objects">The CRM objects stored in it (Lead and Contact for person).</param>
/// <param name="IsPerson">The person table.</param>
/// <param name="IsTwoWay">Local changes are pushed.</param>
/// <param name="Exists">The table exists already; false means the plan creates it.</param>
public sealed record PlannedTable(string Name, IReadOnlyList<string> Objects, bool IsPerson, bool IsTwoWay, bool Exists);
