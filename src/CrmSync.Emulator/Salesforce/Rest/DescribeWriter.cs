using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Rest;

/// <summary>Builds describeGlobal and describe bodies in Salesforce's shape.</summary>
internal static class DescribeWriter
{
    public static JsonObject GlobalEntry(SObjectDefinition o, string version) => new()
    {
        ["activateable"] = false,
        ["associateEntityType"] = null,
        ["associateParentEntity"] = null,
        ["createable"] = o.Createable,
        ["custom"] = o.Custom,
        ["customSetting"] = false,
        ["deepCloneable"] = false,
        ["deletable"] = o.Deletable,
        ["deprecatedAndHidden"] = false,
        ["feedEnabled"] = o.FeedEnabled,
        ["hasSubtypes"] = false,
        ["isInterface"] = false,
        ["isSubtype"] = false,
        ["keyPrefix"] = o.KeyPrefix,
        ["label"] = o.Label,
        ["labelPlural"] = o.LabelPlural,
        ["layoutable"] = true,
        ["mergeable"] = o.Mergeable,
        ["mruEnabled"] = true,
        ["name"] = o.Name,
        ["queryable"] = true,
        ["replicateable"] = true,
        ["retrieveable"] = true,
        ["searchable"] = true,
        ["triggerable"] = true,
        ["undeletable"] = o.Deletable,
        ["updateable"] = o.Updateable,
        ["urls"] = Urls(o, version, full: false),
    };

    private static JsonObject Urls(SObjectDefinition o, string version, bool full)
    {
        string b = $"/services/data/v{version}/sobjects/{o.Name}";
        var urls = new JsonObject
        {
            ["rowTemplate"] = b + "/{ID}",
            ["defaultValues"] = b + "/defaultValues?recordTypeId&fields",
            ["describe"] = b + "/describe",
            ["sobject"] = b,
        };
        if (full)
        {
            urls["compactLayouts"] = b + "/describe/compactLayouts";
            urls["layouts"] = b + "/describe/layouts";
            urls["listviews"] = b + "/listviews";
            urls["quickActions"] = b + "/quickActions";
        }
        return urls;
    }

    public static JsonObject Describe(SalesforceStore store, SObjectDefinition o, string version, bool restricted)
    {
        var result = GlobalEntry(o, version);
        result["urls"] = Urls(o, version, full: true);
        result["listviewable"] = null;
        result["lookupLayoutable"] = null;
        result["searchLayoutable"] = null;
        result["actionOverrides"] = new JsonArray();
        result["associateEntityType"] = null;
        result["associateParentEntity"] = null;
        result["compactLayoutable"] = true;
        result["defaultImplementation"] = null;
        result["extendedBy"] = null;
        result["extendsInterfaces"] = null;
        result["implementedBy"] = null;
        result["implementsInterfaces"] = null;
        result["namedLayoutInfos"] = new JsonArray();
        result["networkScopeFieldName"] = null;
        result["sobjectDescribeOption"] = "FULL";
        result["supportedScopes"] = new JsonArray(new JsonObject { ["label"] = "All " + o.LabelPlural.ToLowerInvariant(), ["name"] = "everything" });
        result["childRelationships"] = ChildRelationships(store, o);
        result["fields"] = new JsonArray(o.FieldSet.Fields.Where(f => SalesforceStore.IsVisible(f, restricted)).Select(f => (JsonNode?)Field(o, f)).ToArray());
        result["recordTypeInfos"] = new JsonArray(new JsonObject
        {
            ["active"] = true,
            ["available"] = true,
            ["defaultRecordTypeMapping"] = true,
            ["developerName"] = "Master",
            ["master"] = true,
            ["name"] = "Master",
            ["recordTypeId"] = "012000000000000AAA",
            ["urls"] = new JsonObject { ["layout"] = $"/services/data/v{version}/sobjects/{o.Name}/describe/layouts/012000000000000AAA" },
        });
        return result;
    }

    /// <summary>The child relationship name of a lookup (e.g. <c>Contacts</c> for Contact.AccountId), null for MasterRecordId.</summary>
    public static string? ChildRelationshipName(SObjectDefinition child, FieldDefinition field) =>
        field.Name == "MasterRecordId" ? null : child.LabelPlural.Replace(" ", "", StringComparison.Ordinal) + (field.Custom ? "__r" : "");

    /// <summary>Finds the child object and lookup field behind a child relationship name of <paramref name="parent"/>.</summary>
    public static (SObjectDefinition Child, FieldDefinition Field)? FindChildRelationship(SalesforceStore store, SObjectDefinition parent, string relationshipName)
    {
        foreach (var child in store.Definitions)
        {
            foreach (var field in child.FieldSet.Fields)
            {
                if (field.Type == FieldType.Reference && field.ReferenceTo.Contains(parent.Name) && field.Name is not ("CreatedById" or "LastModifiedById")
                    && string.Equals(ChildRelationshipName(child, field), relationshipName, StringComparison.OrdinalIgnoreCase))
                {
                    return (child, field);
                }
            }
        }
        return null;
    }

    private static JsonArray ChildRelationships(SalesforceStore store, SObjectDefinition parent)
    {
        var list = new JsonArray();
        foreach (var child in store.Definitions.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            foreach (var field in child.FieldSet.Fields)
            {
                if (field.Type != FieldType.Reference || !field.ReferenceTo.Contains(parent.Name) || field.Name is "CreatedById" or "LastModifiedById")
                {
                    continue;
                }
                list.Add(new JsonObject
                {
                    ["cascadeDelete"] = child.Name is "CampaignMember" or "OpportunityContactRole",
                    ["childSObject"] = child.Name,
                    ["deprecatedAndHidden"] = false,
                    ["field"] = field.Name,
                    ["junctionIdListNames"] = new JsonArray(),
                    ["junctionReferenceTo"] = new JsonArray(),
                    ["relationshipName"] = ChildRelationshipName(child, field),
                    ["restrictedDelete"] = false,
                });
            }
        }
        return list;
    }

    public static JsonObject Field(SObjectDefinition o, FieldDefinition f)
    {
        bool text = f.IsText;
        int length = f.Type is FieldType.Id or FieldType.Reference ? 18 : text ? f.Length : 0;
        bool personPart = f.Name is "FirstName" or "LastName" or "Salutation" && o.Field("Name") is { IsCompoundName: true };
        return new JsonObject
        {
            ["aggregatable"] = f.Type != FieldType.TextArea || f.Length <= 255,
            ["aiPredictionField"] = false,
            ["autoNumber"] = false,
            ["byteLength"] = f.Type is FieldType.Id or FieldType.Reference ? 18 : text ? f.Length * 3 : 0,
            ["calculated"] = f.Calculated,
            ["calculatedFormula"] = f.Formula,
            ["cascadeDelete"] = false,
            ["caseSensitive"] = false,
            ["compoundFieldName"] = personPart ? "Name" : null,
            ["controllerName"] = null,
            ["createable"] = f.Createable && !f.Calculated,
            ["custom"] = f.Custom,
            ["defaultValue"] = f.Type == FieldType.Boolean ? JsonValue.Create(f.DefaultValue is true) : null,
            ["defaultValueFormula"] = null,
            ["defaultedOnCreate"] = f.DefaultedOnCreate,
            ["dependentPicklist"] = false,
            ["deprecatedAndHidden"] = false,
            ["digits"] = f.Digits,
            ["displayLocationInDecimal"] = false,
            ["encrypted"] = false,
            ["externalId"] = f.ExternalId,
            ["extraTypeInfo"] = f.IsCompoundName ? "personname" : f.Type == FieldType.TextArea ? "plaintextarea" : null,
            ["filterable"] = f.Filterable,
            ["filteredLookupInfo"] = null,
            ["formulaTreatNullNumberAsZero"] = false,
            ["groupable"] = f.Groupable,
            ["highScaleNumber"] = false,
            ["htmlFormatted"] = false,
            ["idLookup"] = f.IdLookup,
            ["inlineHelpText"] = null,
            ["label"] = f.Label,
            ["length"] = length,
            ["mask"] = null,
            ["maskType"] = null,
            ["name"] = f.Name,
            ["nameField"] = f.NameField,
            ["namePointing"] = f.ReferenceTo.Count > 1,
            ["nillable"] = f.Nillable || f.Type == FieldType.Boolean && false,
            ["permissionable"] = f.Custom || (f.Nillable && f.Updateable && !f.Calculated),
            ["picklistValues"] = new JsonArray(f.PicklistValues.Select(p => (JsonNode?)new JsonObject
            {
                ["active"] = true,
                ["defaultValue"] = p.IsDefault,
                ["label"] = p.Label,
                ["validFor"] = null,
                ["value"] = p.Value,
            }).ToArray()),
            ["polymorphicForeignKey"] = f.ReferenceTo.Count > 1,
            ["precision"] = f.Precision,
            ["queryByDistance"] = false,
            ["referenceTargetField"] = null,
            ["referenceTo"] = new JsonArray(f.ReferenceTo.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
            ["relationshipName"] = f.RelationshipName,
            ["relationshipOrder"] = null,
            ["restrictedDelete"] = false,
            ["restrictedPicklist"] = f.RestrictedPicklist,
            ["scale"] = f.Scale,
            ["searchPrefilterable"] = f.Type == FieldType.Reference,
            ["soapType"] = f.SoapType,
            ["sortable"] = f.Sortable,
            ["type"] = f.WireType,
            ["unique"] = f.Unique,
            ["updateable"] = f.Updateable && !f.Calculated,
            ["writeRequiresMasterRead"] = false,
        };
    }
}
