namespace CrmSync.Engine.Crm;

/// <summary>Reads object and field metadata as the sync user sees it.</summary>
public interface ICrmSchemaReader
{
    /// <summary>Every object (Salesforce sObject, Dynamics entity) the sync user can see.</summary>
    Task<IReadOnlyList<CrmObjectSummary>> ListObjectsAsync(CancellationToken cancellationToken);

    /// <summary>One object with all fields the sync user can see.</summary>
    /// <exception cref="CrmSyncException">CrmObjectNotFound when the object does not exist or is not visible.</exception>
    Task<CrmObjectSchema> DescribeAsync(string objectName, CancellationToken cancellationToken);
}

/// <summary>An object as listed by the CRM (no fields).</summary>
/// <param name="SupportsChangeTracking">Salesforce: replicateable; Dynamics: ChangeTrackingEnabled.</param>
public sealed record CrmObjectSummary(
    string Name,
    string Label,
    bool Custom,
    bool Createable,
    bool Updateable,
    bool Deletable,
    bool Queryable,
    bool SupportsChangeTracking);

/// <summary>An object and its fields.</summary>
public sealed record CrmObjectSchema(
    string Name,
    string Label,
    bool Custom,
    bool Createable,
    bool Updateable,
    bool Deletable,
    bool Queryable,
    IReadOnlyList<CrmFieldSchema> Fields)
{
    private Dictionary<string, CrmFieldSchema>? _byName;

    /// <summary>Salesforce: replicateable; Dynamics: ChangeTrackingEnabled.</summary>
    public bool SupportsChangeTracking { get; init; }

    /// <summary>The primary key field ("Id" on Salesforce, e.g. "leadid" on Dynamics).</summary>
    public string PrimaryIdField { get; init; } = "Id";

    /// <summary>The field that moves on every change (Dynamics modifiedon), or null when the object has none.</summary>
    public string? ModificationStampField { get; init; }

    /// <summary>The soft-delete flag field, or null (Dynamics has none: deletions come in the delta).</summary>
    public string? DeletedFlagField { get; init; }

    /// <summary>The field naming the record a deleted record was merged into, or null.</summary>
    public string? MergedIntoField { get; init; }

    /// <summary>The field holding when the record was created in the CRM (Dynamics createdon), or null.</summary>
    public string? CreatedDateField { get; init; }

    /// <summary>
    /// The fields the adapter reads to fill <see cref="CrmRecord.ConvertedIntoId"/> on this object (a lead's conversion
    /// fields), empty when its records are never converted. The pull requests them; it never reads them by name.
    /// </summary>
    public IReadOnlyList<string> ConvertedIntoFields { get; init; } = [];

    /// <summary>The roles of <paramref name="fieldName"/> on this object (<see cref="CrmFieldRole.None"/> for an ordinary field).</summary>
    public CrmFieldRole RolesOf(string fieldName)
    {
        static bool Is(string? a, string b) => a is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
        var roles = CrmFieldRole.None;
        if (Is(PrimaryIdField, fieldName)) roles |= CrmFieldRole.PrimaryId;
        if (Is(ModificationStampField, fieldName)) roles |= CrmFieldRole.ModificationStamp;
        if (Is(DeletedFlagField, fieldName)) roles |= CrmFieldRole.DeletedFlag;
        if (Is(MergedIntoField, fieldName)) roles |= CrmFieldRole.MergedInto;
        if (Is(CreatedDateField, fieldName)) roles |= CrmFieldRole.CreatedDate;
        if (ConvertedIntoFields.Any(f => Is(f, fieldName))) roles |= CrmFieldRole.ConvertedInto;
        return roles;
    }

    /// <summary>Finds a field by name; CRM field names are case-insensitive on both CRMs.</summary>
    public CrmFieldSchema? FindField(string name)
    {
        _byName ??= Fields.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        return _byName.GetValueOrDefault(name);
    }
}

/// <summary>A CRM field type, the same for every CRM. <see cref="CrmFieldSchema.NativeType"/> keeps the CRM's own name.</summary>
public enum CrmFieldType
{
    Id,
    String,
    TextArea,
    Email,
    Phone,
    Url,
    Picklist,
    MultiPicklist,
    Boolean,
    Integer,
    Long,
    Double,
    Currency,
    Percent,
    Date,
    DateTime,
    Time,
    Reference,
    Other,
}

/// <summary>One allowed value of a picklist (option set).</summary>
public sealed record CrmPicklistValue(string Value, string? Label, bool Active, bool IsDefault);

/// <summary>A field as the sync user sees it.</summary>
/// <param name="NativeType">The CRM's own type name (Salesforce describe "type"; Dynamics AttributeType).</param>
/// <param name="Length">Maximum characters for text, 0 when not applicable.</param>
/// <param name="ReferenceTo">Objects a reference (lookup) can point to.</param>
public sealed record CrmFieldSchema(
    string Name,
    string Label,
    CrmFieldType Type,
    string NativeType,
    int Length,
    int Precision,
    int Scale,
    bool Createable,
    bool Updateable,
    bool Nillable,
    bool Custom,
    bool Calculated,
    bool ExternalId,
    bool Unique,
    IReadOnlyList<string> ReferenceTo,
    IReadOnlyList<CrmPicklistValue> PicklistValues);
