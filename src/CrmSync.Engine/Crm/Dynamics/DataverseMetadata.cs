using System.Text.Json;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>An alternate key of an entity and the state of its index job (only <c>Active</c> keys can address records).</summary>
/// <param name="Status">EntityKeyIndexStatus: Pending, InProgress, Active or Failed.</param>
public sealed record DataverseAlternateKey(string LogicalName, IReadOnlyList<string> KeyAttributes, string Status)
{
    public bool IsActive => Status.Equals("Active", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One entity a lookup column can point to, with the navigation property a write binds through.</summary>
/// <param name="NavigationProperty">ReferencingEntityNavigationPropertyName, e.g. <c>parentcustomerid_account</c>.</param>
public sealed record DataverseLookupTarget(string Entity, string NavigationProperty);

/// <summary>
/// What the client knows about one entity: the neutral schema, the entity set name used in URLs, the alternate keys, and
/// for each lookup column its targets and navigation properties.
/// </summary>
/// <remarks>
/// Lookup columns are named by their attribute logical name (<c>parentaccountid</c>) in the schema and in
/// <see cref="CrmRecord.Values"/>; on the wire they are read as <c>_parentaccountid_value</c> and written as
/// <c>{navigation property}@odata.bind = "{target set}(id)"</c>. Their value is the referenced record's id.
/// </remarks>
public sealed record DataverseEntityMetadata(
    CrmObjectSchema Schema,
    string EntitySetName,
    IReadOnlyList<DataverseAlternateKey> Keys,
    IReadOnlyDictionary<string, IReadOnlyList<DataverseLookupTarget>> Lookups)
{
    public string LogicalName => Schema.Name;

    /// <summary>The name a column has in <c>$select</c> and in a response: <c>_x_value</c> for lookups, else the logical name.</summary>
    public static string WireName(CrmFieldSchema field) => field.Type == CrmFieldType.Reference ? "_" + field.Name + "_value" : field.Name;
}

/// <summary>Reads EntityDefinitions and attribute metadata into <see cref="CrmObjectSchema"/>.</summary>
internal static class DataverseMetadataParser
{
    /// <summary>The entity properties read for a summary and for a describe.</summary>
    public const string EntitySelect = "LogicalName,EntitySetName,PrimaryIdAttribute,ChangeTrackingEnabled,IsCustomEntity,IsIntersect,DisplayName";

    /// <summary>The base attribute properties read with the entity (the type-specific ones come from casts).</summary>
    public const string AttributeSelect =
        "LogicalName,AttributeType,AttributeTypeName,AttributeOf,IsValidForRead,IsValidForCreate,IsValidForUpdate,RequiredLevel,IsCustomAttribute,IsPrimaryId,SourceType,DisplayName";

    public static CrmObjectSummary ParseSummary(JsonElement e)
    {
        var intersect = DataverseJson.GetBool(e, "IsIntersect");
        var name = DataverseJson.GetString(e, "LogicalName") ?? throw new FormatException("An entity has no LogicalName.");
        return new CrmObjectSummary(name, DataverseJson.GetLabel(e, "DisplayName") ?? name, DataverseJson.GetBool(e, "IsCustomEntity"),
            !intersect, !intersect, !intersect, DataverseJson.GetString(e, "EntitySetName") is not null, DataverseJson.GetBool(e, "ChangeTrackingEnabled"));
    }

    /// <summary>The per-type details of attributes from the cast queries, by logical name.</summary>
    public sealed class AttributeDetails
    {
        public Dictionary<string, int> MaxLength { get; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> Format { get; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, IReadOnlyList<CrmPicklistValue>> Options { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Reads one cast response (<c>{"value":[…]}</c> of String/Memo/Picklist/State/Status/MultiSelect attribute metadata).</summary>
        public void Add(JsonElement castResponse)
        {
            if (!castResponse.TryGetProperty("value", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new FormatException("An attribute query returned no value array.");
            foreach (var a in list.EnumerateArray())
            {
                var name = DataverseJson.GetString(a, "LogicalName");
                if (name is null) continue;
                if (a.TryGetProperty("MaxLength", out var max) && max.ValueKind == JsonValueKind.Number) MaxLength[name] = max.GetInt32();
                if (DataverseJson.GetValueProperty(a, "FormatName") is { ValueKind: JsonValueKind.String } f) Format[name] = f.GetString()!;
                var set = a.TryGetProperty("OptionSet", out var os) && os.ValueKind == JsonValueKind.Object ? os
                    : a.TryGetProperty("GlobalOptionSet", out var gos) && gos.ValueKind == JsonValueKind.Object ? gos : default;
                if (set.ValueKind == JsonValueKind.Object && set.TryGetProperty("Options", out var options) && options.ValueKind == JsonValueKind.Array)
                {
                    var defaultValue = a.TryGetProperty("DefaultFormValue", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetInt64() : (long?)null;
                    Options[name] = options.EnumerateArray()
                        .Where(o => o.TryGetProperty("Value", out var v) && v.ValueKind == JsonValueKind.Number)
                        .Select(o =>
                        {
                            var value = o.GetProperty("Value").GetInt64();
                            return new CrmPicklistValue(value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                DataverseJson.GetLabel(o, "Label"), Active: true, IsDefault: defaultValue == value);
                        })
                        .ToList();
                }
            }
        }
    }

    /// <summary>Builds the entity from <c>EntityDefinitions(LogicalName='x')</c> with Attributes, Keys and ManyToOneRelationships expanded.</summary>
    public static DataverseEntityMetadata ParseEntity(JsonElement e, AttributeDetails details)
    {
        var summary = ParseSummary(e);
        var setName = DataverseJson.GetString(e, "EntitySetName") ?? throw new FormatException($"Entity {summary.Name} has no EntitySetName.");
        var primaryId = DataverseJson.GetString(e, "PrimaryIdAttribute") ?? throw new FormatException($"Entity {summary.Name} has no PrimaryIdAttribute.");

        var lookups = new Dictionary<string, List<DataverseLookupTarget>>(StringComparer.OrdinalIgnoreCase);
        if (e.TryGetProperty("ManyToOneRelationships", out var rels) && rels.ValueKind == JsonValueKind.Array)
            foreach (var r in rels.EnumerateArray())
            {
                var attribute = DataverseJson.GetString(r, "ReferencingAttribute");
                var target = DataverseJson.GetString(r, "ReferencedEntity");
                var nav = DataverseJson.GetString(r, "ReferencingEntityNavigationPropertyName");
                if (attribute is null || target is null || nav is null) continue;
                if (!lookups.TryGetValue(attribute, out var targets)) lookups[attribute] = targets = [];
                if (!targets.Any(t => t.Entity == target)) targets.Add(new DataverseLookupTarget(target, nav));
            }

        var fields = new List<CrmFieldSchema>();
        if (!e.TryGetProperty("Attributes", out var attributes) || attributes.ValueKind != JsonValueKind.Array)
            throw new FormatException($"Entity {summary.Name} came without its attributes.");
        foreach (var a in attributes.EnumerateArray())
            if (ParseAttribute(a, details, lookups) is { } field) fields.Add(field);

        var keys = new List<DataverseAlternateKey>();
        if (e.TryGetProperty("Keys", out var keyList) && keyList.ValueKind == JsonValueKind.Array)
            foreach (var k in keyList.EnumerateArray())
            {
                var attrs = k.TryGetProperty("KeyAttributes", out var ka) && ka.ValueKind == JsonValueKind.Array
                    ? ka.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList() : [];
                keys.Add(new DataverseAlternateKey(DataverseJson.GetString(k, "LogicalName") ?? "", attrs, DataverseJson.GetString(k, "EntityKeyIndexStatus") ?? "Unknown"));
            }
        // A column of an Active alternate key can address records (upsert); a one-column key is unique.
        var keyColumns = keys.Where(k => k.IsActive).SelectMany(k => k.KeyAttributes).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var uniqueColumns = keys.Where(k => k.IsActive && k.KeyAttributes.Count == 1).Select(k => k.KeyAttributes[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        fields = fields.Select(f => keyColumns.Contains(f.Name) ? f with { ExternalId = true, Unique = uniqueColumns.Contains(f.Name) } : f).ToList();

        var has = fields.Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var schema = new CrmObjectSchema(summary.Name, summary.Label, summary.Custom, summary.Createable, summary.Updateable, summary.Deletable, summary.Queryable, fields)
        {
            SupportsChangeTracking = summary.SupportsChangeTracking,
            PrimaryIdField = primaryId,
            ModificationStampField = has.Contains("modifiedon") ? "modifiedon" : null,
            DeletedFlagField = null,
            MergedIntoField = has.Contains("masterid") ? "masterid" : null,
            CreatedDateField = has.Contains("createdon") ? "createdon" : null,
        };
        return new DataverseEntityMetadata(schema, setName, keys,
            lookups.ToDictionary(p => p.Key, p => (IReadOnlyList<DataverseLookupTarget>)p.Value, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>One attribute as a field; null for attributes that are not columns of their own (not readable, derived, party lists…).</summary>
    public static CrmFieldSchema? ParseAttribute(JsonElement a, AttributeDetails details, IReadOnlyDictionary<string, List<DataverseLookupTarget>> lookups)
    {
        var name = DataverseJson.GetString(a, "LogicalName");
        if (name is null || !DataverseJson.GetBool(a, "IsValidForRead")) return null;
        // Derived columns (the lookup's name, yomi names, money _base) belong to another attribute.
        if (DataverseJson.GetString(a, "AttributeOf") is not null) return null;
        var nativeType = DataverseJson.GetString(a, "AttributeType") ?? "";
        var typeName = DataverseJson.GetValueProperty(a, "AttributeTypeName") is { ValueKind: JsonValueKind.String } tn ? tn.GetString()! : "";
        CrmFieldType? type = nativeType switch
        {
            "String" => details.Format.GetValueOrDefault(name) switch
            {
                "Email" => CrmFieldType.Email,
                "Phone" => CrmFieldType.Phone,
                "Url" => CrmFieldType.Url,
                "TextArea" => CrmFieldType.TextArea,
                _ => CrmFieldType.String,
            },
            "Memo" => CrmFieldType.TextArea,
            "Integer" => CrmFieldType.Integer,
            "BigInt" => CrmFieldType.Long,
            "Decimal" or "Double" => CrmFieldType.Double,
            "Money" => CrmFieldType.Currency,
            "Boolean" => CrmFieldType.Boolean,
            "DateTime" => CrmFieldType.DateTime,
            "Lookup" or "Customer" or "Owner" => CrmFieldType.Reference,
            "Picklist" or "State" or "Status" => CrmFieldType.Picklist,
            "Uniqueidentifier" => CrmFieldType.Id,
            "Virtual" when typeName == "MultiSelectPicklistType" => CrmFieldType.MultiPicklist,
            // Not a column of its own (PartyList, CalendarRules, EntityName, ManagedProperty, images and files).
            _ => null,
        };
        if (type is null) return null;
        var required = DataverseJson.GetValueProperty(a, "RequiredLevel") is { ValueKind: JsonValueKind.String } rl ? rl.GetString() : "None";
        var sourceType = DataverseJson.GetInt(a, "SourceType");
        IReadOnlyList<string> targets = type == CrmFieldType.Reference && lookups.TryGetValue(name, out var t) ? t.Select(x => x.Entity).ToList() : [];
        return new CrmFieldSchema(
            name,
            DataverseJson.GetLabel(a, "DisplayName") ?? name,
            type.Value,
            nativeType == "Virtual" ? typeName : nativeType,
            details.MaxLength.GetValueOrDefault(name),
            0,
            0,
            DataverseJson.GetBool(a, "IsValidForCreate"),
            DataverseJson.GetBool(a, "IsValidForUpdate"),
            Nillable: required is "None" or "Recommended",
            Custom: DataverseJson.GetBool(a, "IsCustomAttribute"),
            Calculated: sourceType is 1 or 2,
            ExternalId: false,
            Unique: DataverseJson.GetBool(a, "IsPrimaryId"),
            targets,
            details.Options.GetValueOrDefault(name) ?? []);
    }
}
