using System.Net;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Dynamics;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

public sealed class DataverseSchemaReaderTests
{
    private static string Attribute(string name, string type, bool read = true, bool create = true, bool update = true, string required = "None",
        string? attributeOf = null, string? typeName = null, bool custom = false, bool primary = false) =>
        $"{{\"LogicalName\":\"{name}\",\"AttributeType\":\"{type}\",\"AttributeTypeName\":{{\"Value\":\"{typeName ?? type + "Type"}\"}},"
        + $"\"AttributeOf\":{(attributeOf is null ? "null" : "\"" + attributeOf + "\"")},\"IsValidForRead\":{Json(read)},\"IsValidForCreate\":{Json(create)},"
        + $"\"IsValidForUpdate\":{Json(update)},\"RequiredLevel\":{{\"Value\":\"{required}\",\"CanBeChanged\":true,\"ManagedPropertyLogicalName\":\"canmodifyrequirementlevelsettings\"}},"
        + $"\"IsCustomAttribute\":{Json(custom)},\"IsPrimaryId\":{Json(primary)},\"SourceType\":0,"
        + $"\"DisplayName\":{{\"LocalizedLabels\":[],\"UserLocalizedLabel\":{{\"Label\":\"{name} label\",\"LanguageCode\":1033}}}},\"MetadataId\":\"{Guid.NewGuid()}\"}}";

    private static string Json(bool b) => b ? "true" : "false";

    /// <summary>
    /// Hand-written EntityDefinitions(LogicalName='lead') with Attributes, Keys and ManyToOneRelationships expanded: no real lead
    /// describe was recorded (PROTOCOL.md §6). The shapes follow query-metadata-web-api.md; one attribute is the recorded
    /// attribute-metadata-boolean.json as it is.
    /// </summary>
    private static string LeadEntity() =>
        "{\"@odata.context\":\"" + TestDynamics.Api + "$metadata#EntityDefinitions(LogicalName,EntitySetName,PrimaryIdAttribute,ChangeTrackingEnabled,IsCustomEntity,IsIntersect,DisplayName,PrimaryNameAttribute,Attributes(),Keys(),ManyToOneRelationships())/$entity\","
        + "\"LogicalName\":\"lead\",\"EntitySetName\":\"leads\",\"PrimaryIdAttribute\":\"leadid\",\"PrimaryNameAttribute\":\"fullname\",\"ChangeTrackingEnabled\":true,"
        + "\"IsCustomEntity\":false,\"IsIntersect\":false,\"DisplayName\":{\"LocalizedLabels\":[{\"Label\":\"Lead\",\"LanguageCode\":1033}],\"UserLocalizedLabel\":{\"Label\":\"Lead\",\"LanguageCode\":1033}},"
        + "\"MetadataId\":\"e3fe4ff2-a630-49bb-a1e9-debc3a076815\",\"Attributes\":["
        + string.Join(",",
            Attribute("leadid", "Uniqueidentifier", create: true, update: false, required: "SystemRequired", primary: true),
            Attribute("lastname", "String", required: "ApplicationRequired"),
            Attribute("emailaddress1", "String"),
            Attribute("description", "Memo"),
            Attribute("numberofemployees", "Integer"),
            Attribute("new_visits", "BigInt", custom: true),
            Attribute("revenue", "Money"),
            Attribute("revenue_base", "Money", create: false, update: false, attributeOf: "revenue"),
            Attribute("exchangerate", "Decimal", create: false, update: false),
            Attribute("donotemail", "Boolean"),
            Attribute("modifiedon", "DateTime", create: false, update: false),
            Attribute("parentaccountid", "Lookup"),
            Attribute("parentaccountidname", "String", create: false, update: false, attributeOf: "parentaccountid"),
            Attribute("customerid", "Customer"),
            Attribute("ownerid", "Owner", required: "SystemRequired"),
            Attribute("owneridtype", "EntityName", attributeOf: "ownerid"),
            Attribute("statecode", "State", create: false),
            Attribute("statuscode", "Status"),
            Attribute("leadsourcecode", "Picklist"),
            Attribute("new_interests", "Virtual", typeName: "MultiSelectPicklistType", custom: true),
            Attribute("entityimage", "Virtual", typeName: "ImageType"),
            Attribute("new_secret", "String", read: false, custom: true),
            Attribute("crmsync_id", "String", custom: true),
            DynamicsFixtures.Text("attribute-metadata-boolean.json"))
        + "],\"Keys\":[{\"LogicalName\":\"crmsync_key\",\"KeyAttributes\":[\"crmsync_id\"],\"EntityKeyIndexStatus\":\"Active\",\"MetadataId\":\"5e2c0d1b-0000-4000-8000-000000000001\"},"
        + "{\"LogicalName\":\"new_pendingkey\",\"KeyAttributes\":[\"emailaddress1\"],\"EntityKeyIndexStatus\":\"Pending\",\"MetadataId\":\"5e2c0d1b-0000-4000-8000-000000000002\"}],"
        + "\"ManyToOneRelationships\":["
        + "{\"ReferencingAttribute\":\"parentaccountid\",\"ReferencedEntity\":\"account\",\"ReferencingEntityNavigationPropertyName\":\"parentaccountid\",\"MetadataId\":\"1\"},"
        + "{\"ReferencingAttribute\":\"customerid\",\"ReferencedEntity\":\"account\",\"ReferencingEntityNavigationPropertyName\":\"customerid_account\",\"MetadataId\":\"2\"},"
        + "{\"ReferencingAttribute\":\"customerid\",\"ReferencedEntity\":\"contact\",\"ReferencingEntityNavigationPropertyName\":\"customerid_contact\",\"MetadataId\":\"3\"},"
        + "{\"ReferencingAttribute\":\"ownerid\",\"ReferencedEntity\":\"systemuser\",\"ReferencingEntityNavigationPropertyName\":\"ownerid\",\"MetadataId\":\"4\"}]}";

    private static string Options(params (int Value, string Label)[] options) =>
        "{\"Options\":[" + string.Join(",", options.Select(o =>
            $"{{\"Value\":{o.Value},\"Label\":{{\"LocalizedLabels\":[{{\"Label\":\"{o.Label}\",\"LanguageCode\":1033}}],\"UserLocalizedLabel\":{{\"Label\":\"{o.Label}\",\"LanguageCode\":1033}}}}}}")) + "]}";

    /// <summary>Hand-written cast answers in the documented shapes ({"value":[…]} of typed attribute metadata).</summary>
    private static HttpResponseMessage CastAnswers() => DynamicsFixtures.HandWrittenBatch(
        ("200 OK", "{\"value\":[{\"LogicalName\":\"lastname\",\"MaxLength\":50,\"FormatName\":{\"Value\":\"Text\"}},{\"LogicalName\":\"emailaddress1\",\"MaxLength\":100,\"FormatName\":{\"Value\":\"Email\"}},{\"LogicalName\":\"crmsync_id\",\"MaxLength\":36,\"FormatName\":{\"Value\":\"Text\"}}]}"),
        ("200 OK", "{\"value\":[{\"LogicalName\":\"description\",\"MaxLength\":2000}]}"),
        ("200 OK", "{\"value\":[{\"LogicalName\":\"leadsourcecode\",\"DefaultFormValue\":8,\"OptionSet\":" + Options((1, "Advertisement"), (8, "Web")) + ",\"GlobalOptionSet\":null}]}"),
        ("200 OK", "{\"value\":[{\"LogicalName\":\"statecode\",\"DefaultFormValue\":null,\"OptionSet\":" + Options((0, "Open"), (1, "Qualified"), (2, "Disqualified")) + "}]}"),
        ("200 OK", "{\"value\":[{\"LogicalName\":\"statuscode\",\"DefaultFormValue\":-1,\"OptionSet\":" + Options((1, "New"), (3, "Qualified")) + "}]}"),
        ("200 OK", "{\"value\":[{\"LogicalName\":\"new_interests\",\"DefaultFormValue\":null,\"OptionSet\":null,\"GlobalOptionSet\":" + Options((100000000, "Email"), (100000001, "Events")) + "}]}"),
        ("200 OK", "{\"value\":[{\"LogicalName\":\"account\",\"EntitySetName\":\"accounts\"},{\"LogicalName\":\"contact\",\"EntitySetName\":\"contacts\"},{\"LogicalName\":\"lead\",\"EntitySetName\":\"leads\"},{\"LogicalName\":\"systemuser\",\"EntitySetName\":\"systemusers\"}]}"));

    [Fact]
    public async Task A_describe_reads_the_entity_then_the_typed_attribute_details_in_one_batch()
    {
        using var d = new TestDynamics().ExpectLogin();
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "EntityDefinitions(LogicalName='lead')?$select=", HttpStatusCode.OK, LeadEntity())
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => CastAnswers());

        var lead = await d.Client.Schema.DescribeEntityAsync("lead", CancellationToken.None);

        d.Http.VerifyAllConsumed();
        Assert.Equal(TestDynamics.Api + "EntityDefinitions(LogicalName='lead')?$select=LogicalName,EntitySetName,PrimaryIdAttribute,ChangeTrackingEnabled,IsCustomEntity,IsIntersect,DisplayName,PrimaryNameAttribute"
            + "&$expand=Attributes($select=LogicalName,AttributeType,AttributeTypeName,AttributeOf,IsValidForRead,IsValidForCreate,IsValidForUpdate,RequiredLevel,IsCustomAttribute,IsPrimaryId,SourceType,DisplayName)"
            + ",Keys($select=LogicalName,KeyAttributes,EntityKeyIndexStatus)"
            + ",ManyToOneRelationships($select=ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName)",
            Uri.UnescapeDataString(d.Http.Requests[2].Uri.AbsoluteUri));
        var batch = d.Http.Requests[3];
        Assert.Equal("odata.continue-on-error", batch.Header("Prefer"));
        const string attributes = "/api/data/v9.2/EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.";
        Assert.Equal(
        [
            ("GET", attributes + "StringAttributeMetadata?$select=LogicalName,MaxLength,FormatName"),
            ("GET", attributes + "MemoAttributeMetadata?$select=LogicalName,MaxLength"),
            ("GET", attributes + "PicklistAttributeMetadata?$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"),
            ("GET", attributes + "StateAttributeMetadata?$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options)"),
            ("GET", attributes + "StatusAttributeMetadata?$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options)"),
            ("GET", attributes + "MultiSelectPicklistAttributeMetadata?$select=LogicalName,DefaultFormValue&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)"),
            ("GET", "/api/data/v9.2/EntityDefinitions?$select=LogicalName,EntitySetName"),
        ], DynamicsFixtures.RequestLines(batch.BodyText));

        var s = lead.Schema;
        Assert.Equal(("lead", "Lead", "leads"), (s.Name, s.Label, lead.EntitySetName));
        Assert.True(s.SupportsChangeTracking);
        Assert.Equal(("leadid", "modifiedon", (string?)null), (s.PrimaryIdField, s.ModificationStampField, s.DeletedFlagField));
        // Not readable, derived (AttributeOf) and non-column attributes are left out.
        Assert.Equal(
            ["leadid", "lastname", "emailaddress1", "description", "numberofemployees", "new_visits", "revenue", "exchangerate", "donotemail", "modifiedon",
             "parentaccountid", "customerid", "ownerid", "statecode", "statuscode", "leadsourcecode", "new_interests", "crmsync_id", "new_boolean"],
            s.Fields.Select(f => f.Name));
        CrmFieldType TypeOf(string n) => s.FindField(n)!.Type;
        Assert.Equal(CrmFieldType.Id, TypeOf("leadid"));
        Assert.Equal(CrmFieldType.String, TypeOf("lastname"));
        Assert.Equal(CrmFieldType.Email, TypeOf("emailaddress1"));
        Assert.Equal(CrmFieldType.TextArea, TypeOf("description"));
        Assert.Equal(CrmFieldType.Integer, TypeOf("numberofemployees"));
        Assert.Equal(CrmFieldType.Long, TypeOf("new_visits"));
        Assert.Equal(CrmFieldType.Currency, TypeOf("revenue"));
        Assert.Equal(CrmFieldType.Double, TypeOf("exchangerate"));
        Assert.Equal(CrmFieldType.Boolean, TypeOf("donotemail"));
        Assert.Equal(CrmFieldType.DateTime, TypeOf("modifiedon"));
        Assert.Equal(CrmFieldType.Reference, TypeOf("parentaccountid"));
        Assert.Equal(CrmFieldType.Reference, TypeOf("ownerid"));
        Assert.Equal(CrmFieldType.Picklist, TypeOf("statecode"));
        Assert.Equal(CrmFieldType.MultiPicklist, TypeOf("new_interests"));
        Assert.Equal("MultiSelectPicklistType", s.FindField("new_interests")!.NativeType);

        Assert.Equal((50, false), (s.FindField("lastname")!.Length, s.FindField("lastname")!.Nillable));
        Assert.Equal(2000, s.FindField("description")!.Length);
        Assert.Equal(["account", "contact"], s.FindField("customerid")!.ReferenceTo);
        Assert.Equal([new("account", "customerid_account"), new("contact", "customerid_contact")], lead.Lookups["customerid"]);
        Assert.Equal([new CrmPicklistValue("1", "Advertisement", true, false), new CrmPicklistValue("8", "Web", true, true)], s.FindField("leadsourcecode")!.PicklistValues);
        Assert.Equal(["0", "1", "2"], s.FindField("statecode")!.PicklistValues.Select(v => v.Value));
        Assert.Equal("Events", s.FindField("new_interests")!.PicklistValues[1].Label);
        Assert.False(s.FindField("statecode")!.Createable);
        Assert.False(s.FindField("leadid")!.Updateable);

        // The recorded boolean attribute, as it is.
        var flag = s.FindField("new_boolean")!;
        Assert.Equal(("Sample Boolean", CrmFieldType.Boolean, "Boolean", true, true, true, true), (flag.Label, flag.Type, flag.NativeType, flag.Custom, flag.Createable, flag.Updateable, flag.Nillable));

        // Only an Active key makes its column an external id.
        Assert.True(s.FindField("crmsync_id")!.ExternalId);
        Assert.True(s.FindField("crmsync_id")!.Unique);
        Assert.False(s.FindField("emailaddress1")!.ExternalId);
        Assert.Equal([("crmsync_key", true), ("new_pendingkey", false)], lead.Keys.Select(k => (k.LogicalName, k.IsActive)));

        // Cached: the writer and the change source use it without asking again.
        Assert.Same(lead, await d.Client.Schema.GetEntityAsync("LEAD", CancellationToken.None));
        Assert.Equal(4, d.Http.Requests.Count);
        d.AssertWebApiHeadersOnEveryCall();
    }

    [Fact]
    public async Task An_unknown_entity_and_a_missing_privilege_have_their_own_errors()
    {
        using var d = new TestDynamics().ExpectLogin();
        // Hand-written in the documented error shape.
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "EntityDefinitions(LogicalName='new_nothing')", HttpStatusCode.NotFound,
            "{\"error\":{\"code\":\"0x80060888\",\"message\":\"Could not find entity with LogicalName = new_nothing.\"}}");
        var missing = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Schema.DescribeAsync("new_nothing", CancellationToken.None));
        Assert.Equal(ErrorIds.CrmObjectNotFound, missing.ErrorId);
        Assert.Contains("new_nothing", missing.Message);

        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "EntityDefinitions(LogicalName='opportunity')", HttpStatusCode.Forbidden,
            "{\"error\":{\"code\":\"0x80040220\",\"message\":\"Principal user is missing prvReadEntity privilege.\"}}");
        var denied = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Schema.DescribeAsync("opportunity", CancellationToken.None));
        Assert.Equal(ErrorIds.CrmPermissionDenied, denied.ErrorId);
        Assert.Contains("entity opportunity", denied.Message);

        var bad = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Schema.DescribeAsync("lead')/x?$y=", CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidArgument, bad.ErrorId);
        d.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task The_entity_list_keeps_entities_with_a_set_name()
    {
        using var d = new TestDynamics().ExpectLogin();
        // Hand-written list; the display-name shape is the recorded entitydefinition-account-select.json's.
        var account = JsonDocument.Parse(DynamicsFixtures.Text("entitydefinition-account-select.json")).RootElement.GetProperty("value")[0];
        Assert.Equal("Account", DataverseJson.GetLabel(account, "DisplayName"));
        var displayName = account.GetProperty("DisplayName").GetRawText();
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,ChangeTrackingEnabled,IsCustomEntity,IsIntersect,DisplayName",
            HttpStatusCode.OK,
            "{\"value\":["
            + "{\"LogicalName\":\"account\",\"EntitySetName\":\"accounts\",\"PrimaryIdAttribute\":\"accountid\",\"ChangeTrackingEnabled\":true,\"IsCustomEntity\":false,\"IsIntersect\":false,\"DisplayName\":" + displayName + "},"
            + "{\"LogicalName\":\"listmember\",\"EntitySetName\":\"listmembers\",\"PrimaryIdAttribute\":\"listmemberid\",\"ChangeTrackingEnabled\":false,\"IsCustomEntity\":false,\"IsIntersect\":true,\"DisplayName\":{\"UserLocalizedLabel\":null,\"LocalizedLabels\":[]}},"
            + "{\"LogicalName\":\"new_project\",\"EntitySetName\":\"new_projects\",\"PrimaryIdAttribute\":\"new_projectid\",\"ChangeTrackingEnabled\":false,\"IsCustomEntity\":true,\"IsIntersect\":false,\"DisplayName\":{\"UserLocalizedLabel\":{\"Label\":\"Project\"}}},"
            + "{\"LogicalName\":\"internalthing\",\"EntitySetName\":null,\"PrimaryIdAttribute\":\"internalthingid\",\"ChangeTrackingEnabled\":false,\"IsCustomEntity\":false,\"IsIntersect\":false,\"DisplayName\":{}}"
            + "]}");
        var list = await d.Client.Schema.ListObjectsAsync(CancellationToken.None);
        d.Http.VerifyAllConsumed();
        Assert.Equal(
        [
            new CrmObjectSummary("account", "Account", false, true, true, true, true, true),
            new CrmObjectSummary("listmember", "listmember", false, false, false, false, true, false),
            new CrmObjectSummary("new_project", "Project", true, true, true, true, true, false),
        ], list);
        Assert.Equal("new_projects", d.Client.Schema.SetNameOf("new_project"));
    }
}
