using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsMetadataTests
{
    [Fact]
    public async Task EntityDefinitions_select_has_the_shape_of_the_documented_answer()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync("EntityDefinitions?$select=DisplayName,IsKnowledgeManagementEnabled,EntitySetName&$filter=" + Uri.EscapeDataString("LogicalName eq 'account'"));
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(DynamicsFixtures.Json("entitydefinition-account-select.json"), body);
        var account = Assert.Single(body!["value"]!.AsArray())!.AsObject();
        Assert.Equal(new[] { "DisplayName", "EntitySetName", "IsKnowledgeManagementEnabled", "MetadataId" }, account.Select(p => p.Key).Order());
        Assert.Equal("Account", account["DisplayName"]!["UserLocalizedLabel"]!["Label"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_Boolean_attribute_has_the_shape_of_the_documented_one_and_the_sync_filter_exists_where_Marketo_needs_it()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var fixture = DynamicsFixtures.Json("attribute-metadata-boolean.json");
        foreach (var entity in new[] { "lead", "contact", "account", "opportunity" })
        {
            var (status, body, _) = await emu.GetAsync($"EntityDefinitions(LogicalName='{entity}')/Attributes(LogicalName='new_synctomkto')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata");
            Assert.Equal(HttpStatusCode.OK, status);
            Fixtures.AssertSameShape(fixture, body);
            Assert.Equal("Boolean", body!["AttributeType"]!.GetValue<string>());
            Assert.Equal("BooleanType", body["AttributeTypeName"]!["Value"]!.GetValue<string>());
            Assert.True(body["IsCustomAttribute"]!.GetValue<bool>());
            Assert.Equal(entity, body["EntityLogicalName"]!.GetValue<string>());
            Assert.EndsWith($"$metadata#EntityDefinitions('{entity}')/Attributes/Microsoft.Dynamics.CRM.BooleanAttributeMetadata/$entity", body["@odata.context"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Every_table_with_its_set_name_primary_key_change_tracking_and_attributes()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (_, body, _) = await emu.GetAsync("EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,ChangeTrackingEnabled&$expand=Attributes($select=LogicalName,AttributeType,IsValidForRead,IsValidForCreate,IsValidForUpdate,RequiredLevel)");
        var tables = body!["value"]!.AsArray().ToDictionary(t => t!["LogicalName"]!.GetValue<string>(), t => t!);
        var expected = new Dictionary<string, (string Set, string Pk)>
        {
            ["lead"] = ("leads", "leadid"), ["contact"] = ("contacts", "contactid"), ["account"] = ("accounts", "accountid"),
            ["opportunity"] = ("opportunities", "opportunityid"), ["systemuser"] = ("systemusers", "systemuserid"), ["list"] = ("lists", "listid"),
            ["listmember"] = ("listmembers", "listmemberid"), ["new_invoice"] = ("new_invoices", "new_invoiceid"),
        };
        Assert.Equal(expected.Keys.Order(), tables.Keys.Order());
        foreach (var (name, (set, pk)) in expected)
        {
            var t = tables[name];
            Assert.Equal(set, t["EntitySetName"]!.GetValue<string>());
            Assert.Equal(pk, t["PrimaryIdAttribute"]!.GetValue<string>());
            Assert.True(t["ChangeTrackingEnabled"]!.GetValue<bool>());
            var attrs = t["Attributes"]!.AsArray();
            Assert.Contains(attrs, a => a!["LogicalName"]!.GetValue<string>() == pk && a["AttributeType"]!.GetValue<string>() == "Uniqueidentifier");
            Assert.All(attrs, a => Assert.Equal(8, a!.AsObject().Count)); // the 6 selected + MetadataId + @odata.type
        }
        var lastname = tables["contact"]["Attributes"]!.AsArray().Single(a => a!["LogicalName"]!.GetValue<string>() == "lastname")!;
        Assert.Equal("ApplicationRequired", lastname["RequiredLevel"]!["Value"]!.GetValue<string>());
        var modifiedby = tables["lead"]["Attributes"]!.AsArray().Single(a => a!["LogicalName"]!.GetValue<string>() == "modifiedby")!;
        Assert.Equal("Lookup", modifiedby["AttributeType"]!.GetValue<string>());
        Assert.False(modifiedby["IsValidForUpdate"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Typed_casts_give_MaxLength_OptionSets_and_Targets_and_enum_filters_work()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (_, strings, _) = await emu.GetAsync("EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,MaxLength");
        Assert.Equal(100, strings!["value"]!.AsArray().Single(a => a!["LogicalName"]!.GetValue<string>() == "new_crmsynckey")!["MaxLength"]!.GetValue<int>());
        var (_, picklists, _) = await emu.GetAsync("EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet");
        var source = picklists!["value"]!.AsArray().Single(a => a!["LogicalName"]!.GetValue<string>() == "leadsourcecode")!;
        Assert.Equal("Picklist", source["OptionSet"]!["OptionSetType"]!.GetValue<string>());
        Assert.Contains(source["OptionSet"]!["Options"]!.AsArray(), o => o!["Value"]!.GetValue<int>() == 8 && o["Label"]!["UserLocalizedLabel"]!["Label"]!.GetValue<string>() == "Web");
        var (_, boolean, _) = await emu.GetAsync("EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_synctomkto')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata?$select=LogicalName&$expand=OptionSet");
        Assert.Equal("Yes", boolean!["OptionSet"]!["TrueOption"]!["Label"]!["UserLocalizedLabel"]!["Label"]!.GetValue<string>());
        Assert.Equal(0, boolean["OptionSet"]!["FalseOption"]!["Value"]!.GetValue<int>());
        var (_, statuses, _) = await emu.GetAsync("EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$expand=OptionSet");
        var qualified = statuses!["value"]![0]!["OptionSet"]!["Options"]!.AsArray().Single(o => o!["Value"]!.GetValue<int>() == 3)!;
        Assert.Equal(1, qualified["State"]!.GetValue<int>());
        var (_, lookups, _) = await emu.GetAsync("EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata?$select=LogicalName,Targets");
        Assert.Equal(["account", "contact"], lookups!["value"]!.AsArray().Single(a => a!["LogicalName"]!.GetValue<string>() == "parentcustomerid")!["Targets"]!.AsArray().Select(t => t!.GetValue<string>()));
        var (_, filtered, _) = await emu.GetAsync("EntityDefinitions(LogicalName='lead')/Attributes?$select=LogicalName&$filter=" + Uri.EscapeDataString("AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'"));
        Assert.Equal(["industrycode", "leadsourcecode"], filtered!["value"]!.AsArray().Select(a => a!["LogicalName"]!.GetValue<string>()).Order());
        var (_, required, _) = await emu.GetAsync("EntityDefinitions(LogicalName='contact')/Attributes?$select=LogicalName&$filter=" + Uri.EscapeDataString("RequiredLevel/Value eq Microsoft.Dynamics.CRM.AttributeRequiredLevel'ApplicationRequired'"));
        Assert.Equal(["lastname"], required!["value"]!.AsArray().Select(a => a!["LogicalName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ManyToOneRelationships_expand_names_each_lookups_target_and_navigation_property()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync("EntityDefinitions(LogicalName='contact')?$select=LogicalName"
            + "&$expand=Attributes($select=LogicalName),Keys($select=LogicalName,KeyAttributes,EntityKeyIndexStatus),"
            + "ManyToOneRelationships($select=ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName)");
        Assert.Equal(HttpStatusCode.OK, status);
        var relationships = body!["ManyToOneRelationships"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.All(relationships, r => Assert.Equal(["MetadataId", "ReferencedEntity", "ReferencingAttribute", "ReferencingEntityNavigationPropertyName"], r.Select(p => p.Key).Order()));
        string Nav(string column, string target) => relationships.Single(r => r["ReferencingAttribute"]!.GetValue<string>() == column
            && r["ReferencedEntity"]!.GetValue<string>() == target)["ReferencingEntityNavigationPropertyName"]!.GetValue<string>();
        Assert.Equal("originatingleadid", Nav("originatingleadid", "lead"));
        Assert.Equal("masterid", Nav("masterid", "contact"));
        Assert.Equal("parentcustomerid_account", Nav("parentcustomerid", "account"));
        Assert.Equal("parentcustomerid_contact", Nav("parentcustomerid", "contact"));

        // The navigation property it names is the one a write binds.
        var lead = await emu.CreateAsync("leads", new { lastname = "Origin" });
        var contact = await emu.CreateAsync("contacts", new JsonObject { ["lastname"] = "Bound", [Nav("originatingleadid", "lead") + "@odata.bind"] = $"leads({lead})" });
        Assert.Equal(lead.ToString(), (await emu.GetAsync($"contacts({contact})?$select=_originatingleadid_value")).Body!["_originatingleadid_value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Alternate_keys_on_lead_and_contact_are_Active()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        foreach (var entity in new[] { "lead", "contact" })
        {
            var (status, body, _) = await emu.GetAsync($"EntityDefinitions(LogicalName='{entity}')/Keys");
            Assert.Equal(HttpStatusCode.OK, status);
            var key = Assert.Single(body!["value"]!.AsArray())!;
            Assert.Equal(["new_crmsynckey"], key["KeyAttributes"]!.AsArray().Select(a => a!.GetValue<string>()));
            Assert.Equal("Active", key["EntityKeyIndexStatus"]!.GetValue<string>());
        }
        var (_, accountKeys, _) = await emu.GetAsync("EntityDefinitions(LogicalName='account')/Keys");
        Assert.Empty(accountKeys!["value"]!.AsArray());
        var (missing, _, _) = await emu.GetAsync("EntityDefinitions(LogicalName='nosuch')");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task Csdl_metadata_and_the_organization_functions_ServiceClient_calls()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        using var response = await emu.Http.GetAsync(DataverseTestEmulator.Api + "$metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        var doc = System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync());
        System.Xml.Linq.XNamespace edm = "http://docs.oasis-open.org/odata/ns/edm";
        var lead = doc.Descendants(edm + "EntityType").Single(e => (string?)e.Attribute("Name") == "lead");
        Assert.Equal("leadid", lead.Element(edm + "Key")!.Element(edm + "PropertyRef")!.Attribute("Name")!.Value);
        Assert.Equal("Edm.Boolean", lead.Elements(edm + "Property").Single(p => p.Attribute("Name")!.Value == "new_synctomkto").Attribute("Type")!.Value);
        Assert.Equal("Edm.Guid", lead.Elements(edm + "Property").Single(p => p.Attribute("Name")!.Value == "_parentaccountid_value").Attribute("Type")!.Value);
        Assert.Contains(doc.Descendants(edm + "EntitySet"), s => s.Attribute("Name")!.Value == "new_invoices");
        Assert.Contains(doc.Descendants(edm + "Action"), a => a.Attribute("Name")!.Value == "QualifyLead");
        var contact = doc.Descendants(edm + "EntityType").Single(e => (string?)e.Attribute("Name") == "contact");
        Assert.Contains(contact.Elements(edm + "NavigationProperty"), n => n.Attribute("Name")!.Value == "parentcustomerid_account");

        var (_, version, _) = await emu.GetAsync("RetrieveVersion()");
        Assert.Matches("^9\\.2\\.", version!["Version"]!.GetValue<string>());
        var (status, org, _) = await emu.GetAsync("RetrieveCurrentOrganization(AccessType=Microsoft.Dynamics.CRM.EndpointAccessType'Default')");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(emu.Org.Store.OrganizationId.ToString(), org!["Detail"]!["OrganizationId"]!.GetValue<string>());
        Assert.Equal(emu.TenantId, org["Detail"]!["TenantId"]!.GetValue<string>());
        Assert.Equal(emu.OrgUrl + "/", org["Detail"]!["Endpoints"]!["Values"]![0]!.GetValue<string>());
    }
}
