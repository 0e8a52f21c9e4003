using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class MetadataTests
{
    [Fact]
    public async Task Versions_list_has_the_fixture_shape_and_reaches_v60()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync("/services/data/");
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(Fixtures.Json("versions-list.json"), body);
        var versions = body!.AsArray().Select(v => v!["version"]!.GetValue<string>()).ToList();
        Assert.Contains("20.0", versions);
        Assert.Contains("60.0", versions);
        Assert.Equal("Winter '24", body.AsArray().Single(v => v!["version"]!.GetValue<string>() == "59.0")!["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task DescribeGlobal_has_the_fixture_shape_and_real_key_prefixes()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (_, body, _) = await emu.GetAsync(TestEmulator.V + "/sobjects/");
        Fixtures.AssertSameShape(Fixtures.Json("describe-global.json"), body);
        var prefixes = body!["sobjects"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["keyPrefix"]!.GetValue<string>());
        Assert.Equal("00Q", prefixes["Lead"]);
        Assert.Equal("003", prefixes["Contact"]);
        Assert.Equal("001", prefixes["Account"]);
        Assert.Equal("006", prefixes["Opportunity"]);
        Assert.Equal("701", prefixes["Campaign"]);
        Assert.Equal("00v", prefixes["CampaignMember"]);
        Assert.Equal("005", prefixes["User"]);
        Assert.Equal("00T", prefixes["Task"]);
        Assert.Equal("00U", prefixes["Event"]);
        Assert.Equal("00K", prefixes["OpportunityContactRole"]);
        Assert.Equal("a0X", prefixes["Invoice__c"]);
    }

    [Theory]
    [InlineData("Lead")]
    [InlineData("Contact")]
    [InlineData("Account")]
    [InlineData("Opportunity")]
    [InlineData("OpportunityContactRole")]
    [InlineData("Campaign")]
    [InlineData("CampaignMember")]
    [InlineData("User")]
    [InlineData("Task")]
    [InlineData("Event")]
    [InlineData("Invoice__c")]
    public async Task Describe_has_the_full_shape_of_a_real_describe(string sobject)
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync($"{TestEmulator.V}/sobjects/{sobject}/describe");
        Assert.Equal(HttpStatusCode.OK, status);
        var fixture = Fixtures.Json("describe-custom-object-whizbang.json").AsObject();
        var fixtureField = fixture["fields"]![0]!.AsObject();
        foreach (var (key, _) in fixture)
        {
            Assert.True(body!.AsObject().ContainsKey(key), $"describe of {sobject} misses '{key}'");
        }
        foreach (var field in body!["fields"]!.AsArray())
        {
            foreach (var (key, _) in fixtureField)
            {
                Assert.True(field!.AsObject().ContainsKey(key), $"{sobject}.{field["name"]} misses '{key}'");
            }
        }
        Fixtures.AssertSameShape(fixtureField, body["fields"]![0]);
    }

    [Fact]
    public async Task Lead_describe_has_salesforce_standard_fields_types_and_flags()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (_, body, _) = await emu.GetAsync(TestEmulator.V + "/sobjects/Lead/describe");
        var fields = body!["fields"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!.AsObject());
        var kore = Fixtures.Json("lead-record-get-kore-docs.json").AsObject();
        foreach (var (name, _) in kore)
        {
            if (name is "attributes" or "Address" or "IndividualId" or "DandbCompanyId" or "CurrentGenerators__c")
            {
                continue;
            }
            Assert.True(fields.ContainsKey(name), "Lead misses " + name);
        }
        Assert.Equal("id", fields["Id"]["type"]!.GetValue<string>());
        Assert.Equal("reference", fields["ConvertedContactId"]["type"]!.GetValue<string>());
        Assert.Equal("Contact", fields["ConvertedContactId"]["referenceTo"]![0]!.GetValue<string>());
        Assert.Equal("email", fields["Email"]["type"]!.GetValue<string>());
        Assert.Equal("phone", fields["Phone"]["type"]!.GetValue<string>());
        Assert.Equal("currency", fields["AnnualRevenue"]["type"]!.GetValue<string>());
        Assert.Equal("date", fields["ConvertedDate"]["type"]!.GetValue<string>());
        Assert.Equal("datetime", fields["SystemModstamp"]["type"]!.GetValue<string>());
        Assert.Equal("boolean", fields["IsConverted"]["type"]!.GetValue<string>());
        Assert.Equal("textarea", fields["Description"]["type"]!.GetValue<string>());
        Assert.Equal("picklist", fields["Rating"]["type"]!.GetValue<string>());
        Assert.Equal(["Hot", "Warm", "Cold"], fields["Rating"]["picklistValues"]!.AsArray().Select(p => p!["value"]!.GetValue<string>()));
        foreach (var name in new[] { "Id", "SystemModstamp", "IsConverted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "Name" })
        {
            Assert.False(fields[name]["updateable"]!.GetValue<bool>(), name + " must not be updateable");
        }
        Assert.False(fields["LastName"]["nillable"]!.GetValue<bool>());
        Assert.False(fields["Company"]["nillable"]!.GetValue<bool>());
        Assert.True(fields["Title"]["nillable"]!.GetValue<bool>());
        var key = fields["CrmSync_Key__c"];
        Assert.True(key["externalId"]!.GetValue<bool>());
        Assert.True(key["unique"]!.GetValue<bool>());
        Assert.True(key["idLookup"]!.GetValue<bool>());
        var formula = fields["Days_Since_Created__c"];
        Assert.True(formula["calculated"]!.GetValue<bool>());
        Assert.False(formula["updateable"]!.GetValue<bool>());
        Assert.False(formula["createable"]!.GetValue<bool>());
        Assert.NotNull(formula["calculatedFormula"]);
    }

    [Fact]
    public async Task Unknown_object_is_404_NOT_FOUND_as_the_fixture()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync(TestEmulator.V + "/sobjects/Whizbang__c/describe");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.True(JsonNode.DeepEquals(Fixtures.Json("describe-error-not-found.json"), body));
    }

    [Fact]
    public async Task Schema_changes_show_in_describe_and_queries()
    {
        await using var emu = await TestEmulator.StartAsync();
        string id = emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "S", ["Company"] = "C", ["SICCode__c"] = "1234" });
        emu.Host.Data.AddField("Lead", "Score__c", "double");
        emu.Host.Data.Update("Lead", id, new Dictionary<string, object?> { ["Score__c"] = 42 });
        var rows = await emu.QueryAsync("SELECT Score__c FROM Lead");
        Assert.Equal(42m, rows["records"]![0]!["Score__c"]!.GetValue<decimal>());
        emu.Host.Data.RenameField("Lead", "Score__c", "Points__c");
        Assert.Equal(42m, (await emu.QueryAsync("SELECT Points__c FROM Lead"))["records"]![0]!["Points__c"]!.GetValue<decimal>());
        emu.Host.Data.ChangeFieldType("Lead", "SICCode__c", "double");
        Assert.Equal(1234m, (await emu.QueryAsync("SELECT SICCode__c FROM Lead"))["records"]![0]!["SICCode__c"]!.GetValue<decimal>());
        emu.Host.Data.RemoveField("Lead", "Points__c");
        var (status, body, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString("SELECT Points__c FROM Lead"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_FIELD", body![0]!["errorCode"]!.GetValue<string>());
        var (_, describe, _) = await emu.GetAsync(TestEmulator.V + "/sobjects/Lead/describe");
        Assert.DoesNotContain(describe!["fields"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "Points__c");
    }
}
