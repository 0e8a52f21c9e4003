using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsQueryTests
{
    private static async Task<DataverseTestEmulator> WithContacts()
    {
        var emu = await DataverseTestEmulator.StartAsync();
        string[] last = ["Adams", "Baker", "Clark", "Davis", "Evans", "Fox", "Green"];
        for (int i = 0; i < last.Length; i++)
        {
            await emu.CreateAsync("contacts", new JsonObject
            {
                ["firstname"] = "P" + i,
                ["lastname"] = last[i],
                ["jobtitle"] = i % 2 == 0 ? "Buyer" : null,
                ["donotemail"] = i == 3,
                ["birthdate"] = $"1990-01-0{i + 1}",
            });
        }
        return emu;
    }

    private static List<string> Names(JsonNode? body) => body!["value"]!.AsArray().Select(v => v!["lastname"]!.GetValue<string>()).ToList();

    [Theory]
    [InlineData("lastname eq 'clark'", new[] { "Clark" })]
    [InlineData("lastname ne 'Clark' and lastname lt 'Davis'", new[] { "Adams", "Baker" })]
    [InlineData("lastname gt 'Evans'", new[] { "Fox", "Green" })]
    [InlineData("lastname ge 'Evans' or lastname le 'Adams'", new[] { "Adams", "Evans", "Fox", "Green" })]
    [InlineData("jobtitle eq null", new[] { "Baker", "Davis", "Fox" })]
    [InlineData("jobtitle ne null and donotemail eq false", new[] { "Adams", "Clark", "Evans", "Green" })]
    [InlineData("(lastname eq 'Fox' or lastname eq 'Green') and not (firstname eq 'P6')", new[] { "Fox" })]
    [InlineData("birthdate ge 1990-01-06", new[] { "Fox", "Green" })]
    [InlineData("startswith(lastname,'Ba') or contains(lastname,'ree')", new[] { "Baker", "Green" })]
    public async Task Filter_operators(string filter, string[] expected)
    {
        await using var emu = await WithContacts();
        var (status, body, _) = await emu.GetAsync($"contacts?$select=lastname&$filter={Uri.EscapeDataString(filter)}&$orderby=lastname");
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        Assert.Equal(expected, Names(body));
    }

    [Fact]
    public async Task Select_orderby_top_count_and_the_record_shape()
    {
        await using var emu = await WithContacts();
        var (status, body, _) = await emu.GetAsync("contacts?$select=lastname,firstname,_ownerid_value&$orderby=lastname desc&$top=3&$count=true");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["Green", "Fox", "Evans"], Names(body));
        Assert.Equal(7, body!["@odata.count"]!.GetValue<int>());
        Assert.Equal($"{emu.OrgUrl}/api/data/v9.2/$metadata#contacts(lastname,firstname,_ownerid_value)", body["@odata.context"]!.GetValue<string>());
        var first = body["value"]![0]!.AsObject();
        Assert.Equal(["@odata.etag", "lastname", "firstname", "_ownerid_value", "contactid"], first.Select(p => p.Key).ToArray());
        Assert.Matches("^W/\"\\d+\"$", first["@odata.etag"]!.GetValue<string>());
        Assert.Equal(emu.Org.ApplicationUser.Id, Guid.Parse(first["_ownerid_value"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Unknown_columns_skip_and_bad_syntax_are_refused_like_Dataverse()
    {
        await using var emu = await WithContacts();
        var (status, body, _) = await emu.GetAsync("contacts?$select=nosuch");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("0x80060888", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.contact'.", body["error"]!["message"]!.GetValue<string>());
        (status, body, _) = await emu.GetAsync("contacts?$skip=2");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, body, _) = await emu.GetAsync("contacts?$filter=" + Uri.EscapeDataString("lastname eq"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, body, _) = await emu.GetAsync("Contacts");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("0x8006088a", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Resource not found for the segment 'Contacts'.", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Paging_with_maxpagesize_has_the_shape_of_the_real_pages_and_covers_every_row_once()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(seed: new DynamicsSeedPlan { Contacts = 11 });
        var seen = new List<string>();
        string? next = "contacts?$select=fullname";
        int pages = 0;
        while (next is not null)
        {
            var (status, body, response) = await emu.GetAsync(next, DataverseTestEmulator.Prefer("odata.maxpagesize=4"));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("odata.maxpagesize=4", response.Headers.GetValues("Preference-Applied").Single());
            pages++;
            if (pages == 1)
            {
                Fixtures.AssertSameShape(DynamicsFixtures.Json("query-page1-nextlink.json"), body);
                string link = body!["@odata.nextLink"]!.GetValue<string>();
                Assert.StartsWith($"{emu.OrgUrl}/api/data/v9.2/contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257b", link);
                Assert.EndsWith("%22%20istracking=%22False%22%20/%3E", link);
            }
            seen.AddRange(body!["value"]!.AsArray().Select(v => v!["contactid"]!.GetValue<string>()));
            next = body["@odata.nextLink"]?.GetValue<string>();
            if (next is not null)
            {
                next = next[emu.OrgUrl.Length..];
            }
        }
        Assert.Equal(3, pages);
        Assert.Equal(11, seen.Distinct().Count());
        Assert.Equal(11, seen.Count);
    }

    [Fact]
    public async Task Paging_sees_rows_created_and_deleted_between_pages()
    {
        // The store keeps each table's rows sorted between pages; a write between two pages must still be seen.
        await using var emu = await DataverseTestEmulator.StartAsync(seed: new DynamicsSeedPlan { Contacts = 11 });
        var (_, all, _) = await emu.GetAsync("contacts?$select=contactid");
        var ids = all!["value"]!.AsArray().Select(v => Guid.Parse(v!["contactid"]!.GetValue<string>())).Order().ToList();
        var (status, body, _) = await emu.GetAsync("contacts?$select=contactid", DataverseTestEmulator.Prefer("odata.maxpagesize=4"));
        Assert.Equal(HttpStatusCode.OK, status);
        var seen = body!["value"]!.AsArray().Select(v => Guid.Parse(v!["contactid"]!.GetValue<string>())).ToList();
        Assert.Equal(ids.Take(4), seen);
        var added = Guid.Parse("ffffffff-ffff-ffff-ffff-fffffffffffe");
        var (created, _, _) = await emu.SendAsync(HttpMethod.Patch, $"contacts({added})", new { lastname = "Added between pages" });
        Assert.Equal(HttpStatusCode.NoContent, created);
        var (deleted, _, _) = await emu.SendAsync(HttpMethod.Delete, $"contacts({ids[^1]})", null);
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        var next = body["@odata.nextLink"]?.GetValue<string>();
        while (next is not null)
        {
            (_, body, _) = await emu.GetAsync(next[emu.OrgUrl.Length..], DataverseTestEmulator.Prefer("odata.maxpagesize=4"));
            seen.AddRange(body!["value"]!.AsArray().Select(v => Guid.Parse(v!["contactid"]!.GetValue<string>())));
            next = body["@odata.nextLink"]?.GetValue<string>();
        }
        Assert.Equal(ids.Take(10).Append(added).ToList(), seen);
    }

    [Fact]
    public async Task Maxpagesize_above_5000_is_clamped_and_top_is_ignored_with_it()
    {
        await using var emu = await WithContacts();
        var (_, body, response) = await emu.GetAsync("contacts?$select=lastname&$top=2", DataverseTestEmulator.Prefer("odata.maxpagesize=9000"));
        Assert.Equal("odata.maxpagesize=5000", response.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal(7, body!["value"]!.AsArray().Count);
        (_, body, _) = await emu.GetAsync("contacts?$select=lastname&$top=2");
        Assert.Equal(2, body!["value"]!.AsArray().Count);
        Assert.Null(body["@odata.nextLink"]);
    }

    [Fact]
    public async Task Formatted_values_and_lookup_annotations_with_include_annotations()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var account = await emu.CreateAsync("accounts", new { name = "Contoso", revenue = 1234.5m, industrycode = 7 });
        var contact = await emu.CreateAsync("contacts", new JsonObject { ["lastname"] = "Doe", ["parentcustomerid_account@odata.bind"] = $"/accounts({account})" });
        var (_, body, response) = await emu.GetAsync($"contacts({contact})?$select=_parentcustomerid_value,statecode,donotemail", DataverseTestEmulator.Prefer("odata.include-annotations=\"*\""));
        Assert.Equal("odata.include-annotations=\"*\"", response.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal("Contoso", body!["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"]!.GetValue<string>());
        Assert.Equal("account", body["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"]!.GetValue<string>());
        Assert.Equal("parentcustomerid_account", body["_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"]!.GetValue<string>());
        Assert.Equal("Active", body["statecode@OData.Community.Display.V1.FormattedValue"]!.GetValue<string>());
        Assert.Equal("Allow", body["donotemail@OData.Community.Display.V1.FormattedValue"]!.GetValue<string>());
        (_, body, _) = await emu.GetAsync($"accounts({account})?$select=revenue,industrycode", DataverseTestEmulator.Prefer("odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\""));
        Assert.Equal("$1,234.50", body!["revenue@OData.Community.Display.V1.FormattedValue"]!.GetValue<string>());
        (_, body, _) = await emu.GetAsync($"contacts({contact})?$select=_parentcustomerid_value", DataverseTestEmulator.Prefer("odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\""));
        Assert.Equal("Contoso", body!["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"]!.GetValue<string>());
        Assert.Null(body["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"]);
        (_, body, _) = await emu.GetAsync($"contacts({contact})?$select=_parentcustomerid_value", DataverseTestEmulator.Prefer("odata.include-annotations=\"Microsoft.Dynamics.CRM.*\""));
        Assert.Equal("account", body!["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"]!.GetValue<string>());
        Assert.Null(body["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"]);
        (_, body, _) = await emu.GetAsync($"accounts({account})?$select=industrycode", DataverseTestEmulator.Prefer("odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\""));
        Assert.Equal("Consulting", body!["industrycode@OData.Community.Display.V1.FormattedValue"]!.GetValue<string>());
        (_, body, _) = await emu.GetAsync($"accounts({account})?$select=revenue");
        Assert.Null(body!["revenue@OData.Community.Display.V1.FormattedValue"]);
    }

    [Fact]
    public async Task If_None_Match_with_the_current_etag_is_304()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var id = await emu.CreateAsync("leads", new { lastname = "Etag" });
        var (_, body, _) = await emu.GetAsync($"leads({id})?$select=lastname");
        string etag = body!["@odata.etag"]!.GetValue<string>();
        var (status, _, _) = await emu.GetAsync($"leads({id})?$select=lastname", r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        Assert.Equal(HttpStatusCode.NotModified, status);
        await emu.SendAsync(HttpMethod.Patch, $"leads({id})", new { lastname = "Changed" });
        (status, body, _) = await emu.GetAsync($"leads({id})?$select=lastname", r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual(etag, body!["@odata.etag"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_by_alternate_key_and_missing_rows()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var id = await emu.CreateAsync("contacts", new { lastname = "Keyed", new_crmsynckey = "abc-1" });
        var (status, body, _) = await emu.GetAsync("contacts(new_crmsynckey='abc-1')?$select=lastname");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, Guid.Parse(body!["contactid"]!.GetValue<string>()));
        (status, body, _) = await emu.GetAsync($"contacts({Guid.Empty})");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("0x80040217", body!["error"]!["code"]!.GetValue<string>());
        (status, body, _) = await emu.GetAsync("contacts(emailaddress1='x@y.z')");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await emu.GetAsync("contacts/$count");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Single_valued_navigation_properties_expand_with_a_nested_select()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var account = await emu.CreateAsync("accounts", new { name = "Expanded", telephone1 = "555" });
        var contact = await emu.CreateAsync("contacts", new JsonObject { ["lastname"] = "Child", ["parentcustomerid_account@odata.bind"] = $"/accounts({account})" });
        await emu.CreateAsync("contacts", new { lastname = "Orphan" });
        var (status, body, _) = await emu.GetAsync("contacts?$select=lastname&$expand=parentcustomerid_account($select=name),ownerid($select=fullname)&$orderby=lastname");
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        var rows = body!["value"]!.AsArray();
        Assert.Equal("Expanded", rows[0]!["parentcustomerid_account"]!["name"]!.GetValue<string>());
        Assert.Equal(account.ToString(), rows[0]!["parentcustomerid_account"]!["accountid"]!.GetValue<string>());
        Assert.Null(rows[0]!["parentcustomerid_account"]!["telephone1"]);
        Assert.Equal("# CrmSync App", rows[0]!["ownerid"]!["fullname"]!.GetValue<string>());
        Assert.True(rows[1]!.AsObject().ContainsKey("parentcustomerid_account"));
        Assert.Null(rows[1]!["parentcustomerid_account"]);
        var (_, one, _) = await emu.GetAsync($"contacts({contact})?$select=lastname&$expand=parentcustomerid_account($select=name)");
        Assert.Equal("Expanded", one!["parentcustomerid_account"]!["name"]!.GetValue<string>());
        (status, _, _) = await emu.GetAsync("contacts?$expand=contact_customer_accounts");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }
}
