namespace CrmSync.Emulator.Salesforce.Schema;

/// <summary>Salesforce field types as describe reports them.</summary>
public enum FieldType
{
    /// <summary>Record id.</summary>
    Id,
    /// <summary>Text.</summary>
    String,
    /// <summary>Lookup to other records.</summary>
    Reference,
    /// <summary>Checkbox.</summary>
    Boolean,
    /// <summary>Single-select picklist.</summary>
    Picklist,
    /// <summary>Multi-select picklist (values joined with ';').</summary>
    MultiPicklist,
    /// <summary>Date and time (UTC).</summary>
    DateTime,
    /// <summary>Date.</summary>
    Date,
    /// <summary>Email address.</summary>
    Email,
    /// <summary>Phone number.</summary>
    Phone,
    /// <summary>Floating number.</summary>
    Double,
    /// <summary>Integer.</summary>
    Int,
    /// <summary>Money.</summary>
    Currency,
    /// <summary>Percentage.</summary>
    Percent,
    /// <summary>Long text.</summary>
    TextArea,
    /// <summary>Web address.</summary>
    Url,
}

/// <summary>One picklist entry.</summary>
/// <param name="Value">API value.</param>
/// <param name="Label">Display label.</param>
/// <param name="IsDefault">Whether it is the default value.</param>
public sealed record PicklistEntry(string Value, string Label, bool IsDefault = false);

/// <summary>
/// A field of an sObject as describe reports it. Instances are immutable; schema changes replace them.
/// <see cref="Ordinal"/> is the storage slot of the value in a record.
/// </summary>
public sealed record FieldDefinition
{
    /// <summary>API name, e.g. <c>LastName</c>.</summary>
    public required string Name { get; init; }
    /// <summary>Display label.</summary>
    public required string Label { get; init; }
    /// <summary>Field type.</summary>
    public required FieldType Type { get; init; }
    /// <summary>Maximum text length (0 for non-text types).</summary>
    public int Length { get; init; }
    /// <summary>Total digits for numbers.</summary>
    public int Precision { get; init; }
    /// <summary>Digits after the decimal point.</summary>
    public int Scale { get; init; }
    /// <summary>Digits for integers.</summary>
    public int Digits { get; init; }
    /// <summary>Settable on create.</summary>
    public bool Createable { get; init; } = true;
    /// <summary>Settable on update.</summary>
    public bool Updateable { get; init; } = true;
    /// <summary>May be null.</summary>
    public bool Nillable { get; init; } = true;
    /// <summary>A custom (…__c) field.</summary>
    public bool Custom { get; init; }
    /// <summary>Formula (computed on read).</summary>
    public string? Formula { get; init; }
    /// <summary>External ID flag.</summary>
    public bool ExternalId { get; init; }
    /// <summary>Usable to identify a record.</summary>
    public bool IdLookup { get; init; }
    /// <summary>Values must be unique.</summary>
    public bool Unique { get; init; }
    /// <summary>The server fills it when it is not given on create.</summary>
    public bool DefaultedOnCreate { get; init; }
    /// <summary>The record's name field.</summary>
    public bool NameField { get; init; }
    /// <summary>Usable in WHERE.</summary>
    public bool Filterable { get; init; } = true;
    /// <summary>Usable in ORDER BY.</summary>
    public bool Sortable { get; init; } = true;
    /// <summary>Usable in GROUP BY.</summary>
    public bool Groupable { get; init; } = true;
    /// <summary>Lookup targets.</summary>
    public IReadOnlyList<string> ReferenceTo { get; init; } = [];
    /// <summary>Relationship name for lookups (e.g. <c>Owner</c>).</summary>
    public string? RelationshipName { get; init; }
    /// <summary>Picklist entries.</summary>
    public IReadOnlyList<PicklistEntry> PicklistValues { get; init; } = [];
    /// <summary>Only listed picklist values are accepted.</summary>
    public bool RestrictedPicklist { get; init; }
    /// <summary>Default value applied on create.</summary>
    public object? DefaultValue { get; init; }
    /// <summary>Hidden from the restricted user by field-level security.</summary>
    public bool HiddenFromRestrictedUser { get; init; }
    /// <summary>Storage slot in a record's value array.</summary>
    public int Ordinal { get; init; }

    /// <summary>Whether the value is computed on read.</summary>
    public bool Calculated => Formula is not null || IsCompoundName;

    /// <summary>Whether this is a person-name field computed from FirstName/LastName.</summary>
    public bool IsCompoundName { get; init; }

    /// <summary>Whether the type stores text.</summary>
    public bool IsText => Type is FieldType.String or FieldType.Picklist or FieldType.MultiPicklist or FieldType.Email
        or FieldType.Phone or FieldType.TextArea or FieldType.Url or FieldType.Id or FieldType.Reference;

    /// <summary>The describe <c>type</c> value.</summary>
    public string WireType => Type switch
    {
        FieldType.Id => "id",
        FieldType.String => "string",
        FieldType.Reference => "reference",
        FieldType.Boolean => "boolean",
        FieldType.Picklist => "picklist",
        FieldType.MultiPicklist => "multipicklist",
        FieldType.DateTime => "datetime",
        FieldType.Date => "date",
        FieldType.Email => "email",
        FieldType.Phone => "phone",
        FieldType.Double => "double",
        FieldType.Int => "int",
        FieldType.Currency => "currency",
        FieldType.Percent => "percent",
        FieldType.TextArea => "textarea",
        FieldType.Url => "url",
        _ => "string",
    };

    /// <summary>The describe <c>soapType</c> value.</summary>
    public string SoapType => Type switch
    {
        FieldType.Id or FieldType.Reference => "tns:ID",
        FieldType.Boolean => "xsd:boolean",
        FieldType.DateTime => "xsd:dateTime",
        FieldType.Date => "xsd:date",
        FieldType.Double or FieldType.Currency or FieldType.Percent => "xsd:double",
        FieldType.Int => "xsd:int",
        _ => "xsd:string",
    };

    /// <summary>Parses a describe type name (as used by the admin schema API).</summary>
    public static bool TryParseWireType(string text, out FieldType type)
    {
        foreach (FieldType candidate in Enum.GetValues<FieldType>())
        {
            var probe = new FieldDefinition { Name = "x", Label = "x", Type = candidate };
            if (string.Equals(probe.WireType, text, StringComparison.OrdinalIgnoreCase))
            {
                type = candidate;
                return true;
            }
        }
        type = FieldType.String;
        return false;
    }
}
