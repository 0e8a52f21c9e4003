using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Schema;

namespace CrmSync.Emulator.Dynamics.Web;

/// <summary>EntityMetadata / AttributeMetadata / EntityKeyMetadata JSON with Dataverse's property names and shapes.</summary>
public static class MetadataJson
{
    private static readonly DateTime Created = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static JsonObject Label(string text, Guid id, bool managed = true)
    {
        JsonObject One() => new()
        {
            ["Label"] = text, ["LanguageCode"] = 1033, ["IsManaged"] = managed, ["MetadataId"] = id.ToString(), ["HasChanged"] = null,
        };
        return new JsonObject { ["LocalizedLabels"] = new JsonArray(One()), ["UserLocalizedLabel"] = One() };
    }

    private static JsonObject Managed(object value, bool canChange, string property) =>
        new() { ["Value"] = value is bool b ? JsonValue.Create(b) : JsonValue.Create(value.ToString()), ["CanBeChanged"] = canChange, ["ManagedPropertyLogicalName"] = property };

    public static JsonObject Entity(EntityDef e) => new()
    {
        ["MetadataId"] = e.MetadataId.ToString(),
        ["HasChanged"] = null,
        ["LogicalName"] = e.LogicalName,
        ["SchemaName"] = e.SchemaName,
        ["EntitySetName"] = e.EntitySetName,
        ["LogicalCollectionName"] = e.EntitySetName,
        ["CollectionSchemaName"] = e.SchemaName + "s",
        ["PrimaryIdAttribute"] = e.PrimaryIdAttribute,
        ["PrimaryNameAttribute"] = e.PrimaryNameAttribute,
        ["ObjectTypeCode"] = e.ObjectTypeCode,
        ["ChangeTrackingEnabled"] = e.ChangeTrackingEnabled,
        ["IsCustomEntity"] = e.IsCustomEntity,
        ["IsManaged"] = !e.IsCustomEntity,
        ["IsActivity"] = false,
        ["IsIntersect"] = false,
        ["IsKnowledgeManagementEnabled"] = false,
        ["IsOptimisticConcurrencyEnabled"] = true,
        ["IsValidForAdvancedFind"] = true,
        ["OwnershipType"] = e.Attribute("ownerid") is null ? "OrganizationOwned" : "UserOwned",
        ["IntroducedVersion"] = "5.0.0.0",
        ["CreatedOn"] = Created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
        ["ModifiedOn"] = Created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
        ["DisplayName"] = Label(e.DisplayName, DataverseCatalog.StableGuid(e.LogicalName + ":label"), !e.IsCustomEntity),
        ["DisplayCollectionName"] = Label(e.DisplayCollectionName, DataverseCatalog.StableGuid(e.LogicalName + ":plural"), !e.IsCustomEntity),
        ["Description"] = Label(e.DisplayName, DataverseCatalog.StableGuid(e.LogicalName + ":description"), !e.IsCustomEntity),
        ["CanChangeTrackingBeEnabled"] = Managed(true, true, "canchangetrackingbeenabled"),
        ["IsCustomizable"] = Managed(true, true, "iscustomizable"),
        ["IsAuditEnabled"] = Managed(true, true, "canmodifyauditsettings"),
    };

    public static JsonObject Attribute(EntityDef e, AttributeDef a, bool withOptionSet)
    {
        var o = new JsonObject
        {
            ["@odata.type"] = "#Microsoft.Dynamics.CRM." + a.MetadataType,
            ["MetadataId"] = a.MetadataId.ToString(),
            ["HasChanged"] = null,
            ["AttributeOf"] = null,
            ["AttributeType"] = a.Kind.ToString(),
            ["ColumnNumber"] = e.Attributes.IndexOf(a) + 1,
            ["DeprecatedVersion"] = null,
            ["IntroducedVersion"] = a.IsCustom ? "1.0.0.0" : "5.0.0.0",
            ["EntityLogicalName"] = e.LogicalName,
            ["IsCustomAttribute"] = a.IsCustom,
            ["IsPrimaryId"] = a.IsPrimaryId,
            ["IsValidODataAttribute"] = true,
            ["IsPrimaryName"] = a.IsPrimaryName,
            ["IsValidForCreate"] = a.IsValidForCreate,
            ["IsValidForRead"] = a.IsValidForRead,
            ["IsValidForUpdate"] = a.IsValidForUpdate,
            ["CanBeSecuredForRead"] = a.IsCustom,
            ["CanBeSecuredForCreate"] = a.IsCustom,
            ["CanBeSecuredForUpdate"] = a.IsCustom,
            ["IsSecured"] = false,
            ["IsRetrievable"] = true,
            ["IsFilterable"] = true,
            ["IsSearchable"] = a.Kind is AttributeKind.String,
            ["IsManaged"] = !a.IsCustom,
            ["LinkedAttributeId"] = null,
            ["LogicalName"] = a.LogicalName,
            ["IsValidForForm"] = true,
            ["IsRequiredForForm"] = a.RequiredLevel is "SystemRequired" or "ApplicationRequired",
            ["IsValidForGrid"] = true,
            ["SchemaName"] = a.SchemaName,
            ["ExternalName"] = null,
            ["IsLogical"] = a.LogicalName is "fullname" or "entitytype",
            ["IsDataSourceSecret"] = false,
            ["InheritsFrom"] = null,
            ["CreatedOn"] = Created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            ["ModifiedOn"] = Created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            ["SourceType"] = 0,
            ["AutoNumberFormat"] = null,
            ["AttributeTypeName"] = new JsonObject { ["Value"] = a.TypeName },
            ["Description"] = Label(a.DisplayName, DataverseCatalog.StableGuid(e.LogicalName + "." + a.LogicalName + ":description"), !a.IsCustom),
            ["DisplayName"] = Label(a.DisplayName, DataverseCatalog.StableGuid(e.LogicalName + "." + a.LogicalName + ":label"), !a.IsCustom),
            ["IsAuditEnabled"] = Managed(true, true, "canmodifyauditsettings"),
            ["IsGlobalFilterEnabled"] = Managed(false, true, "canmodifyglobalfiltersettings"),
            ["IsSortableEnabled"] = Managed(false, true, "canmodifyissortablesettings"),
            ["IsCustomizable"] = Managed(true, true, "iscustomizable"),
            ["IsRenameable"] = Managed(true, true, "isrenameable"),
            ["IsValidForAdvancedFind"] = Managed(true, true, "canmodifysearchsettings"),
            ["RequiredLevel"] = Managed(a.RequiredLevel, a.RequiredLevel != "SystemRequired", "canmodifyrequirementlevelsettings"),
            ["CanModifyAdditionalSettings"] = Managed(true, true, "canmodifyadditionalsettings"),
            ["Settings"] = new JsonArray(),
        };
        switch (a.Kind)
        {
            case AttributeKind.String or AttributeKind.Memo:
                o["MaxLength"] = a.MaxLength;
                o["DatabaseLength"] = a.MaxLength * 2;
                o["Format"] = a.Kind == AttributeKind.Memo ? "TextArea" : a.LogicalName.StartsWith("emailaddress", StringComparison.Ordinal) ? "Email" : "Text";
                o["FormulaDefinition"] = null;
                o["IsLocalizable"] = false;
                break;
            case AttributeKind.Boolean:
                o["DefaultValue"] = a.DefaultValue is true;
                o["FormulaDefinition"] = "";
                o["SourceTypeMask"] = 0;
                break;
            case AttributeKind.Integer:
                o["MaxValue"] = int.MaxValue;
                o["MinValue"] = int.MinValue;
                o["Format"] = "None";
                break;
            case AttributeKind.BigInt:
                o["MaxValue"] = long.MaxValue;
                o["MinValue"] = long.MinValue;
                break;
            case AttributeKind.Money or AttributeKind.Decimal:
                o["Precision"] = 2;
                o["MaxValue"] = 922337203685477m;
                o["MinValue"] = -922337203685477m;
                break;
            case AttributeKind.Double:
                o["Precision"] = 2;
                break;
            case AttributeKind.DateTime:
                o["Format"] = a.DateOnly ? "DateOnly" : "DateAndTime";
                o["DateTimeBehavior"] = new JsonObject { ["Value"] = a.DateOnly ? "DateOnly" : "UserLocal" };
                break;
            case AttributeKind.Lookup or AttributeKind.Customer or AttributeKind.Owner:
                o["Targets"] = new JsonArray(a.Targets.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
                o["Format"] = "None";
                break;
            case AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status:
                o["DefaultFormValue"] = a.DefaultValue is int d ? d : -1;
                break;
        }
        if (withOptionSet && a.Kind is AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status or AttributeKind.Boolean)
        {
            o["OptionSet"] = OptionSet(e, a);
        }
        return o;
    }

    private static JsonObject Option(EntityDef e, AttributeDef a, OptionDef opt)
    {
        var o = new JsonObject
        {
            ["Value"] = opt.Value,
            ["Color"] = null,
            ["IsManaged"] = !a.IsCustom,
            ["ExternalValue"] = "",
            ["ParentValues"] = new JsonArray(),
            ["Tag"] = null,
            ["IsHidden"] = false,
            ["MetadataId"] = null,
            ["HasChanged"] = null,
            ["Label"] = Label(opt.Label, DataverseCatalog.StableGuid($"{e.LogicalName}.{a.LogicalName}.{opt.Value}"), !a.IsCustom),
            ["Description"] = Label("", DataverseCatalog.StableGuid($"{e.LogicalName}.{a.LogicalName}.{opt.Value}:d"), !a.IsCustom),
        };
        if (opt.State is { } state)
        {
            o["State"] = state;
        }
        if (a.Kind == AttributeKind.State)
        {
            o["DefaultStatus"] = 1;
            o["InvariantName"] = opt.Label.Replace(" ", "", StringComparison.Ordinal);
        }
        return o;
    }

    public static JsonObject OptionSet(EntityDef e, AttributeDef a)
    {
        var o = new JsonObject
        {
            ["MetadataId"] = DataverseCatalog.StableGuid(e.LogicalName + "." + a.LogicalName + ":optionset").ToString(),
            ["HasChanged"] = null,
            ["IsCustomOptionSet"] = a.IsCustom,
            ["IsGlobal"] = false,
            ["IsManaged"] = !a.IsCustom,
            ["Name"] = a.OptionSetName ?? e.LogicalName + "_" + a.LogicalName,
            ["ExternalTypeName"] = "",
            ["OptionSetType"] = a.Kind switch { AttributeKind.Boolean => "Boolean", AttributeKind.State => "State", AttributeKind.Status => "Status", _ => "Picklist" },
            ["IntroducedVersion"] = "5.0.0.0",
            ["Description"] = Label(a.DisplayName, DataverseCatalog.StableGuid(e.LogicalName + "." + a.LogicalName + ":osd"), !a.IsCustom),
            ["DisplayName"] = Label(a.DisplayName, DataverseCatalog.StableGuid(e.LogicalName + "." + a.LogicalName + ":osl"), !a.IsCustom),
        };
        if (a.Kind == AttributeKind.Boolean)
        {
            o["TrueOption"] = Option(e, a, a.Options.First(x => x.Value == 1));
            o["FalseOption"] = Option(e, a, a.Options.First(x => x.Value == 0));
        }
        else
        {
            o["Options"] = new JsonArray(a.Options.Select(opt => (JsonNode)Option(e, a, opt)).ToArray());
        }
        return o;
    }

    public static JsonObject Key(EntityDef e, KeyDef k) => new()
    {
        ["MetadataId"] = k.MetadataId.ToString(),
        ["HasChanged"] = null,
        ["LogicalName"] = k.LogicalName,
        ["SchemaName"] = k.LogicalName,
        ["EntityLogicalName"] = e.LogicalName,
        ["KeyAttributes"] = new JsonArray(k.Attributes.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
        ["EntityKeyIndexStatus"] = k.Status,
        ["IsManaged"] = false,
        ["IntroducedVersion"] = "1.0.0.0",
        ["IsSynchronous"] = false,
        ["AsyncJob"] = null,
        ["DisplayName"] = Label("CrmSync Key", DataverseCatalog.StableGuid(e.LogicalName + "." + k.LogicalName + ":label"), false),
        ["IsCustomizable"] = Managed(true, true, "iscustomizable"),
    };

    /// <summary>Keeps only the <c>$select</c>ed properties (MetadataId and @odata.type always stay).</summary>
    /// <summary>
    /// The entity's N:1 relationships (OneToManyRelationshipMetadata, one per lookup column and existing target): the
    /// referencing column and the single-valued navigation property a client binds with <c>@odata.bind</c> (the column's
    /// name, or <c>{column}_{target}</c> for a lookup with several targets, as in the CSDL).
    /// </summary>
    public static IEnumerable<JsonObject> ManyToOne(DataverseStore store, EntityDef e)
    {
        foreach (var a in e.Attributes.Where(a => a.IsLookup))
        {
            foreach (var target in a.Targets)
            {
                if (store.Entity(target) is not { } referenced)
                {
                    continue;
                }
                string schemaName = $"{e.LogicalName}_{a.LogicalName}_{target}";
                yield return new JsonObject
                {
                    ["MetadataId"] = DataverseCatalog.StableGuid("rel:" + schemaName).ToString(),
                    ["SchemaName"] = schemaName,
                    ["RelationshipType"] = "OneToManyRelationship",
                    ["IsCustomRelationship"] = a.IsCustom,
                    ["IsManaged"] = !a.IsCustom,
                    ["IsValidForAdvancedFind"] = true,
                    ["ReferencedAttribute"] = referenced.PrimaryIdAttribute,
                    ["ReferencedEntity"] = target,
                    ["ReferencingAttribute"] = a.LogicalName,
                    ["ReferencingEntity"] = e.LogicalName,
                    ["ReferencedEntityNavigationPropertyName"] = schemaName,
                    ["ReferencingEntityNavigationPropertyName"] = a.Targets.Count > 1 ? a.LogicalName + "_" + target : a.LogicalName,
                    ["IsHierarchical"] = false,
                };
            }
        }
    }

    public static JsonObject Select(JsonObject o, IReadOnlyCollection<string>? select, IReadOnlyCollection<string> keep)
    {
        if (select is null)
        {
            return o;
        }
        foreach (var key in o.Select(p => p.Key).ToList())
        {
            if (key != "MetadataId" && key != "@odata.type" && !select.Contains(key) && !keep.Contains(key))
            {
                o.Remove(key);
            }
        }
        return o;
    }

    /// <summary>A property path value (<c>RequiredLevel/Value</c>) for metadata filters.</summary>
    public static object? PathValue(JsonObject o, string path)
    {
        JsonNode? node = o;
        foreach (var part in path.Split('/'))
        {
            node = node is JsonObject obj ? obj[part] : null;
        }
        if (node is not JsonValue v)
        {
            return null;
        }
        return v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.Number => decimal.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
    }
}
