using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsChangeTrackingTests
{
    private static readonly Action<HttpRequestMessage> Track = DataverseTestEmulator.Prefer("odata.track-changes");

    private static string Relative(DataverseTestEmulator emu, JsonNode body, string link) => body[link]!.GetValue<string>()[emu.OrgUrl.Length..];

    /// <summary>The fixtures selected fax too; the emulator's account has no fax column.</summary>
    private static JsonNode WithoutFax(JsonNode fixture)
    {
        foreach (var row in fixture["value"]!.AsArray())
        {
            row!.AsObject().Remove("fax");
        }
        return fixture;
    }

    [Fact]
    public async Task Initial_and_delta_responses_have_the_shape_of_the_real_ones()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(seed: new DynamicsSeedPlan { Accounts = 3 });
        var (status, initial, response) = await emu.GetAsync("accounts?$select=name,accountnumber,telephone1", Track);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("odata.track-changes", response.Headers.GetValues("Preference-Applied").Single());
        Fixtures.AssertSameShape(WithoutFax(DynamicsFixtures.Json("delta-initial-response.json")), initial);
        Assert.Equal(3, initial!["value"]!.AsArray().Count);
        string deltaLink = initial["@odata.deltaLink"]!.GetValue<string>();
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(emu.OrgUrl)}/api/data/v9.2/accounts\\?\\$select=name,accountnumber,telephone1&\\$deltatoken=\\d+%2103%2F02%2F2026%2010%3A00%3A00$", deltaLink);

        var ids = initial["value"]!.AsArray().Select(v => Guid.Parse(v!["accountid"]!.GetValue<string>())).ToList();
        await emu.SendAsync(HttpMethod.Patch, $"accounts({ids[0]})", new { telephone1 = "555000" });
        await emu.SendAsync(HttpMethod.Delete, $"accounts({ids[1]})");
        var created = await emu.CreateAsync("accounts", new { name = "New one" });

        var (_, delta, _) = await emu.GetAsync(Relative(emu, initial, "@odata.deltaLink"));
        var fixture = WithoutFax(DynamicsFixtures.Json("delta-changes-with-deleted.json"));
        Fixtures.AssertSameShape(fixture, delta);
        Assert.EndsWith("/api/data/v9.2/$metadata#accounts(name,accountnumber,telephone1)/$delta", delta!["@odata.context"]!.GetValue<string>());
        var values = delta["value"]!.AsArray();
        Assert.Equal(3, values.Count);
        Assert.Equal(ids[0], Guid.Parse(values[0]!["accountid"]!.GetValue<string>()));
        Assert.Equal("555000", values[0]!["telephone1"]!.GetValue<string>());
        Assert.Equal(created, Guid.Parse(values[1]!["accountid"]!.GetValue<string>()));
        Fixtures.AssertSameShape(fixture["value"]![1], values[2]);
        Assert.Equal(ids[1], Guid.Parse(values[2]!["id"]!.GetValue<string>()));
        Assert.Equal("deleted", values[2]!["reason"]!.GetValue<string>());
        Assert.Equal($"{emu.OrgUrl}/api/data/v9.2/$metadata#accounts/$deletedEntity", values[2]!["@odata.context"]!.GetValue<string>());

        var (_, quiet, _) = await emu.GetAsync(Relative(emu, delta, "@odata.deltaLink"));
        Assert.Empty(quiet!["value"]!.AsArray());
    }

    [Fact]
    public async Task A_row_created_and_deleted_between_polls_comes_back_only_as_a_delete()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (_, initial, _) = await emu.GetAsync("leads?$select=lastname", Track);
        var id = await emu.CreateAsync("leads", new { lastname = "Ephemeral" });
        await emu.SendAsync(HttpMethod.Delete, $"leads({id})");
        var (_, delta, _) = await emu.GetAsync(Relative(emu, initial!, "@odata.deltaLink"));
        var only = Assert.Single(delta!["value"]!.AsArray());
        Assert.Equal(id, Guid.Parse(only!["id"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("$filter=statecode eq 0", "$filter")]
    [InlineData("$orderby=lastname", "$orderby")]
    [InlineData("$expand=parentaccountid", "$expand")]
    [InlineData("$top=5", "$top")]
    public async Task Query_options_Dataverse_refuses_with_change_tracking(string option, string name)
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync("leads?$select=lastname&" + option, Track);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"The \"{name}\" query parameter isn't supported when Change Tracking is enabled.", body!["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delta_tokens_expire_after_ExpireChangeTrackingInDays()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (_, initial, _) = await emu.GetAsync("contacts?$select=lastname", Track);
        string link = Relative(emu, initial!, "@odata.deltaLink");
        emu.Clock.Advance(TimeSpan.FromDays(6));
        emu.Http.DefaultRequestHeaders.Authorization = new("Bearer", await emu.AppTokenAsync());
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(link)).Status);
        emu.Clock.Advance(TimeSpan.FromDays(1.5));
        emu.Http.DefaultRequestHeaders.Authorization = new("Bearer", await emu.AppTokenAsync());
        var (status, body, _) = await emu.GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("0x80044352", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Version stamp associated with the client has expired. Please perform a full sync.", body["error"]!["message"]!.GetValue<string>());
        emu.Org.Settings.ExpireChangeTrackingInDays = 30;
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(link)).Status);
    }

    [Fact]
    public async Task Initial_sync_pages_carry_istracking_and_the_delta_link_arrives_on_the_last_page()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(seed: new DynamicsSeedPlan { Leads = 7 });
        var prefer = DataverseTestEmulator.Prefer("odata.track-changes,odata.maxpagesize=3");
        var (_, page, _) = await emu.GetAsync("leads?$select=lastname", prefer);
        var ids = new List<string>();
        int pages = 1;
        // A change between pages of the initial sync still shows up in the next delta.
        Guid? changed = null;
        while (true)
        {
            ids.AddRange(page!["value"]!.AsArray().Select(v => v!["leadid"]!.GetValue<string>()));
            if (page["@odata.nextLink"] is null)
            {
                break;
            }
            Assert.Contains("istracking=%22True%22", page["@odata.nextLink"]!.GetValue<string>());
            Assert.Null(page["@odata.deltaLink"]);
            if (changed is null)
            {
                changed = Guid.Parse(ids[0]);
                await emu.SendAsync(HttpMethod.Patch, $"leads({changed})", new { lastname = "Moved" });
            }
            (_, page, _) = await emu.GetAsync(Relative(emu, page, "@odata.nextLink"), prefer);
            pages++;
        }
        Assert.Equal(3, pages);
        Assert.Equal(7, ids.Distinct().Count());
        var (_, delta, _) = await emu.GetAsync(Relative(emu, page, "@odata.deltaLink"));
        var row = Assert.Single(delta!["value"]!.AsArray());
        Assert.Equal(changed.ToString(), row!["leadid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Large_deltas_page_with_maxpagesize_and_keep_deletes_last()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(seed: new DynamicsSeedPlan { Contacts = 4 });
        var (_, initial, _) = await emu.GetAsync("contacts?$select=lastname", Track);
        var existing = initial!["value"]!.AsArray().Select(v => v!["contactid"]!.GetValue<string>()).ToList();
        await emu.SendAsync(HttpMethod.Delete, $"contacts({existing[0]})");
        for (int i = 0; i < 4; i++)
        {
            await emu.CreateAsync("contacts", new { lastname = "N" + i });
        }
        await emu.SendAsync(HttpMethod.Delete, $"contacts({existing[1]})");
        var prefer = DataverseTestEmulator.Prefer("odata.maxpagesize=2");
        var all = new List<JsonNode>();
        string? next = Relative(emu, initial, "@odata.deltaLink");
        JsonNode? last = null;
        while (next is not null)
        {
            var (_, page, _) = await emu.GetAsync(next, prefer);
            all.AddRange(page!["value"]!.AsArray().Select(v => v!));
            next = page["@odata.nextLink"] is null ? null : Relative(emu, page, "@odata.nextLink");
            last = page;
        }
        Assert.Equal(6, all.Count);
        Assert.All(all.Take(4), v => Assert.NotNull(v["contactid"]));
        Assert.All(all.Skip(4), v => Assert.Equal("deleted", v["reason"]!.GetValue<string>()));
        Assert.NotNull(last!["@odata.deltaLink"]);
        var (_, _, response) = await emu.GetAsync(Relative(emu, initial, "@odata.deltaLink").Replace("contacts?$select=lastname&", "contacts/$count?", StringComparison.Ordinal));
        Assert.Equal("6", await response.Content.ReadAsStringAsync());
    }
}
