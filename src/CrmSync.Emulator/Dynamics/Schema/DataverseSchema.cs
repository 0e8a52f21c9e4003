namespace CrmSync.Emulator.Dynamics.Schema;

/// <summary>Dataverse AttributeTypeCode values the emulator serves.</summary>
public enum AttributeKind
{
    Uniqueidentifier, String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean, DateTime, Lookup, Customer, Owner, Picklist, State, Status,
}

/// <summary>One option of a Picklist/State/Status/Boolean column.</summary>
/// <param name="Value">Option value.</param>
/// <param name="Label">English label.</param>
/// <param name="State">For Status options: the statecode it belongs to.</param>
public sealed record OptionDef(int Value, string Label, int? State = null);

/// <summary>A column (attribute) of a table.</summary>
public sealed record AttributeDef
{
    public required string LogicalName { get; init; }
    public string SchemaName { get; init; } = "";
    public required AttributeKind Kind { get; init; }
    public string DisplayName { get; init; } = "";
    public int? MaxLength { get; init; }
    /// <summary>None, SystemRequired, ApplicationRequired, Recommended.</summary>
    public string RequiredLevel { get; init; } = "None";
    public bool IsValidForCreate { get; init; } = true;
    public bool IsValidForUpdate { get; init; } = true;
    public bool IsValidForRead { get; init; } = true;
    public bool IsCustom { get; init; }
    public bool IsPrimaryId { get; init; }
    public bool IsPrimaryName { get; init; }
    /// <summary>Lookup targets (logical names).</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];
    /// <summary>Options for Picklist/State/Status; for Boolean: [0]=false, [1]=true.</summary>
    public IReadOnlyList<OptionDef> Options { get; init; } = [];
    /// <summary>Default for Boolean/Picklist on create (null: none).</summary>
    public object? DefaultValue { get; init; }
    /// <summary>Stable metadata id.</summary>
    public Guid MetadataId { get; init; }
    /// <summary>For DateTime: DateOnly format.</summary>
    public bool DateOnly { get; init; }
    public string? OptionSetName { get; init; }

    public bool IsLookup => Kind is AttributeKind.Lookup or AttributeKind.Customer or AttributeKind.Owner;

    public string TypeName => Kind switch
    {
        AttributeKind.Uniqueidentifier => "UniqueidentifierType",
        AttributeKind.String => "StringType",
        AttributeKind.Memo => "MemoType",
        AttributeKind.Integer => "IntegerType",
        AttributeKind.BigInt => "BigIntType",
        AttributeKind.Decimal => "DecimalType",
        AttributeKind.Double => "DoubleType",
        AttributeKind.Money => "MoneyType",
        AttributeKind.Boolean => "BooleanType",
        AttributeKind.DateTime => "DateTimeType",
        AttributeKind.Lookup => "LookupType",
        AttributeKind.Customer => "CustomerType",
        AttributeKind.Owner => "OwnerType",
        AttributeKind.Picklist => "PicklistType",
        AttributeKind.State => "StateType",
        AttributeKind.Status => "StatusType",
        _ => "StringType",
    };

    /// <summary>The metadata type name, e.g. StringAttributeMetadata.</summary>
    public string MetadataType => Kind switch
    {
        AttributeKind.String => "StringAttributeMetadata",
        AttributeKind.Memo => "MemoAttributeMetadata",
        AttributeKind.Integer => "IntegerAttributeMetadata",
        AttributeKind.BigInt => "BigIntAttributeMetadata",
        AttributeKind.Decimal => "DecimalAttributeMetadata",
        AttributeKind.Double => "DoubleAttributeMetadata",
        AttributeKind.Money => "MoneyAttributeMetadata",
        AttributeKind.Boolean => "BooleanAttributeMetadata",
        AttributeKind.DateTime => "DateTimeAttributeMetadata",
        AttributeKind.Lookup or AttributeKind.Customer or AttributeKind.Owner => "LookupAttributeMetadata",
        AttributeKind.Picklist => "PicklistAttributeMetadata",
        AttributeKind.State => "StateAttributeMetadata",
        AttributeKind.Status => "StatusAttributeMetadata",
        _ => "UniqueIdentifierAttributeMetadata",
    };

    /// <summary>The Web API property name (lookups are <c>_x_value</c>).</summary>
    public string WebName => IsLookup ? "_" + LogicalName + "_value" : LogicalName;
}

/// <summary>An alternate key.</summary>
/// <param name="LogicalName">Key logical name.</param>
/// <param name="Attributes">Key columns.</param>
/// <param name="Status">EntityKeyIndexStatus: Pending, InProgress, Active, Failed.</param>
public sealed record KeyDef(string LogicalName, IReadOnlyList<string> Attributes, string Status = "Active")
{
    public Guid MetadataId { get; init; } = Guid.NewGuid();
}

/// <summary>A table.</summary>
public sealed class EntityDef
{
    public required string LogicalName { get; init; }
    public required string EntitySetName { get; init; }
    public required string PrimaryIdAttribute { get; init; }
    public required string PrimaryNameAttribute { get; init; }
    public required int ObjectTypeCode { get; init; }
    public required string DisplayName { get; init; }
    public string DisplayCollectionName { get; init; } = "";
    public bool IsCustomEntity { get; init; }
    public bool ChangeTrackingEnabled { get; set; } = true;
    public Guid MetadataId { get; init; }
    public List<AttributeDef> Attributes { get; init; } = [];
    public List<KeyDef> Keys { get; init; } = [];
    public string SchemaName => IsCustomEntity ? LogicalName : char.ToUpperInvariant(LogicalName[0]) + LogicalName[1..];

    public AttributeDef? Attribute(string logicalName) =>
        Attributes.FirstOrDefault(a => string.Equals(a.LogicalName, logicalName, StringComparison.Ordinal));

    /// <summary>By Web API name: <c>_x_value</c> for lookups, else the logical name.</summary>
    public AttributeDef? ByWebName(string name)
    {
        if (name.StartsWith('_') && name.EndsWith("_value", StringComparison.Ordinal))
        {
            var a = Attribute(name[1..^6]);
            return a is { IsLookup: true } ? a : null;
        }
        var plain = Attribute(name);
        return plain is { IsLookup: false } ? plain : null;
    }
}

