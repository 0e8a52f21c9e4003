using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsActionAndAdminTests
{
    [Fact]
    public async Task QualifyLead_creates_the_records_with_originatingleadid_and_closes_the_lead()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var lead = await emu.CreateAsync("leads", new { firstname = "Lee", lastname = "Qual", companyname = "Qual Co", emailaddress1 = "lee@qual.example", subject = "Deal", new_synctomkto = true });
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, $"leads({lead})/Microsoft.Dynamics.CRM.QualifyLead",
            new { CreateAccount = true, CreateContact = true, CreateOpportunity = true, Status = 3 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith("$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)", body!["@odata.context"]!.GetValue<string>());
        var created = body["value"]!.AsArray().ToDictionary(v => v!["@odata.type"]!.GetValue<string>(), v => v!);
        Assert.Equal(["#Microsoft.Dynamics.CRM.account", "#Microsoft.Dynamics.CRM.contact", "#Microsoft.Dynamics.CRM.opportunity"], created.Keys.Order());
        string contactId = created["#Microsoft.Dynamics.CRM.contact"]["contactid"]!.GetValue<string>();
        string accountId = created["#Microsoft.Dynamics.CRM.account"]["accountid"]!.GetValue<string>();
        var (_, contact, _) = await emu.GetAsync($"contacts({contactId})?$select=fullname,emailaddress1,_originatingleadid_value,_parentcustomerid_value,new_synctomkto");
        Assert.Equal(lead.ToString(), contact!["_originatingleadid_value"]!.GetValue<string>());
        Assert.Equal(accountId, contact["_parentcustomerid_value"]!.GetValue<string>());
        Assert.Equal("lee@qual.example", contact["emailaddress1"]!.GetValue<string>());
        Assert.True(contact["new_synctomkto"]!.GetValue<bool>());
        var (_, closed, _) = await emu.GetAsync($"leads({lead})?$select=statecode,statuscode");
        Assert.Equal(1, closed!["statecode"]!.GetValue<int>());
        Assert.Equal(3, closed["statuscode"]!.GetValue<int>());
        (status, body, _) = await emu.SendAsync(HttpMethod.Post, $"leads({lead})/Microsoft.Dynamics.CRM.QualifyLead", new { CreateAccount = false, CreateContact = true, CreateOpportunity = false, Status = 3 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await emu.SendAsync(HttpMethod.Post, $"leads({Guid.NewGuid()})/Microsoft.Dynamics.CRM.QualifyLead", new { CreateAccount = false, CreateContact = true, CreateOpportunity = false, Status = 3 });
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Theory]
    [InlineData("lead", "leads", 2, 7)]
    [InlineData("contact", "contacts", 1, 2)]
    [InlineData("account", "accounts", 1, 2)]
    public async Task Merge_deactivates_the_subordinate_with_masterid_and_reparents_children(string entity, string set, int state, int status)
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        object Body(string name) => entity switch
        {
            "account" => new { name },
            _ => (object)new { lastname = name },
        };
        var target = await emu.CreateAsync(set, Body("Target"));
        var sub = await emu.CreateAsync(set, Body("Subordinate"));
        Guid? child = entity == "account" ? await emu.CreateAsync("contacts", new JsonObject { ["lastname"] = "Child", ["parentcustomerid_account@odata.bind"] = $"accounts({sub})" }) : null;
        var payload = new JsonObject
        {
            ["Target"] = new JsonObject { ["@odata.type"] = "Microsoft.Dynamics.CRM." + entity, [entity + "id"] = target.ToString() },
            ["Subordinate"] = new JsonObject { ["@odata.type"] = "Microsoft.Dynamics.CRM." + entity, [entity + "id"] = sub.ToString() },
            ["UpdateContent"] = new JsonObject { ["@odata.type"] = "Microsoft.Dynamics.CRM." + entity, ["telephone1"] = "555-0199" },
            ["PerformParentingChecks"] = false,
        };
        var (code, _, _) = await emu.SendAsync(HttpMethod.Post, "Merge", payload);
        Assert.Equal(HttpStatusCode.NoContent, code);
        var (_, merged, _) = await emu.GetAsync($"{set}({sub})?$select=statecode,statuscode,merged,_masterid_value");
        Assert.Equal(state, merged!["statecode"]!.GetValue<int>());
        Assert.Equal(status, merged["statuscode"]!.GetValue<int>());
        Assert.True(merged["merged"]!.GetValue<bool>());
        Assert.Equal(target.ToString(), merged["_masterid_value"]!.GetValue<string>());
        Assert.Equal("555-0199", (await emu.GetAsync($"{set}({target})?$select=telephone1")).Body!["telephone1"]!.GetValue<string>());
        if (child is { } c)
        {
            Assert.Equal(target.ToString(), (await emu.GetAsync($"contacts({c})?$select=_parentcustomerid_value")).Body!["_parentcustomerid_value"]!.GetValue<string>());
        }
        (code, _, _) = await emu.SendAsync(HttpMethod.Post, "Merge", payload);
        Assert.Equal(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task List_membership_through_ref_association_and_AddMemberList()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var list = await emu.CreateAsync("lists", new { listname = "Webinar", createdfromcode = 4 });
        var lead = await emu.CreateAsync("leads", new { lastname = "Member" });
        var lead2 = await emu.CreateAsync("leads", new { lastname = "Member 2" });
        var (status, _, _) = await emu.SendAsync(HttpMethod.Post, $"lists({list})/listlead_association/$ref", new JsonObject { ["@odata.id"] = $"{emu.OrgUrl}/api/data/v9.2/leads({lead})" });
        Assert.Equal(HttpStatusCode.NoContent, status);
        var (_, added, _) = await emu.SendAsync(HttpMethod.Post, $"lists({list})/Microsoft.Dynamics.CRM.AddMemberList", new { EntityId = lead2 });
        Assert.NotNull(added!["id"]);
        // Adding an existing member again answers the same membership and adds nothing (a client's retry is harmless).
        var (againStatus, again, _) = await emu.SendAsync(HttpMethod.Post, $"lists({list})/Microsoft.Dynamics.CRM.AddMemberList", new { EntityId = lead2 });
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.Equal(added["id"]!.GetValue<string>(), again!["id"]!.GetValue<string>());
        var (_, members, _) = await emu.GetAsync($"lists({list})/listlead_association?$select=lastname");
        Assert.Equal(["Member", "Member 2"], members!["value"]!.AsArray().Select(m => m!["lastname"]!.GetValue<string>()).Order());
        Assert.Equal(2, (await emu.GetAsync($"lists({list})?$select=membercount")).Body!["membercount"]!.GetValue<int>());
        var contact = await emu.CreateAsync("contacts", new { lastname = "Wrong type" });
        (status, _, _) = await emu.SendAsync(HttpMethod.Post, $"lists({list})/listcontact_association/$ref", new JsonObject { ["@odata.id"] = $"{emu.OrgUrl}/api/data/v9.2/contacts({contact})" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await emu.SendAsync(HttpMethod.Delete, $"lists({list})/listlead_association/$ref?$id={emu.OrgUrl}/api/data/v9.2/leads({lead})");
        Assert.Equal(HttpStatusCode.NoContent, status);
        (status, _, _) = await emu.SendAsync(HttpMethod.Delete, $"lists({list})/listlead_association({lead})/$ref");
        Assert.Equal(HttpStatusCode.NotFound, status); // no longer a member
        var (_, rows, _) = await emu.GetAsync($"listmembers?$select=_entityid_value,entitytype&$filter=_listid_value eq {list}");
        var row = Assert.Single(rows!["value"]!.AsArray())!;
        Assert.Equal(lead2.ToString(), row["_entityid_value"]!.GetValue<string>());
        Assert.Equal("lead", row["entitytype"]!.GetValue<string>());
        // Deleting the member removes its membership (and the change shows in the listmember delta as a delete).
        await emu.SendAsync(HttpMethod.Delete, $"leads({lead2})");
        Assert.Empty((await emu.GetAsync($"listmembers?$filter=_listid_value eq {list}")).Body!["value"]!.AsArray());
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Admin(DataverseTestEmulator emu, HttpMethod method, string path, object? body = null)
    {
        using var client = new HttpClient { BaseAddress = new Uri(emu.OrgUrl) };
        using var request = new HttpRequestMessage(method, "/_emulator/dynamics" + path);
        if (body is not null)
        {
            request.Content = new StringContent(body is JsonNode n ? n.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Fact]
    public async Task Admin_API_writes_as_another_user_qualifies_merges_and_seeds()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { EnableAdmin = true });
        var (status, info) = await Admin(emu, HttpMethod.Get, "/info");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(emu.Org.SyncUser.Id.ToString(), info!["syncUser"]!["id"]!.GetValue<string>());
        (status, var created) = await Admin(emu, HttpMethod.Post, "/records/lead", new { lastname = "By admin", firstname = "Crm" });
        Assert.Equal(HttpStatusCode.Created, status);
        string id = created!["id"]!.GetValue<string>();
        var (_, lead, _) = await emu.GetAsync($"leads({id})?$select=_modifiedby_value,_createdby_value");
        Assert.Equal(emu.Org.SecondUser.Id.ToString(), lead!["_modifiedby_value"]!.GetValue<string>());
        (status, _) = await Admin(emu, HttpMethod.Patch, $"/records/leads/{id}?as=sync", new { jobtitle = "Echo" });
        Assert.Equal(HttpStatusCode.NoContent, status);
        (_, lead, _) = await emu.GetAsync($"leads({id})?$select=_modifiedby_value");
        Assert.Equal(emu.Org.SyncUser.Id.ToString(), lead!["_modifiedby_value"]!.GetValue<string>());
        (status, var qualified) = await Admin(emu, HttpMethod.Post, "/qualify", new { leadId = id, createContact = true });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(qualified!["contactid"]);
        var a = (await Admin(emu, HttpMethod.Post, "/records/account", new { name = "A" })).Body!["id"]!.GetValue<string>();
        var b = (await Admin(emu, HttpMethod.Post, "/records/account", new { name = "B" })).Body!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Post, "/merge", new { entity = "account", targetId = a, subordinateId = b })).Status);
        Assert.True((await emu.GetAsync($"accounts({b})?$select=merged")).Body!["merged"]!.GetValue<bool>());
        (status, var seeded) = await Admin(emu, HttpMethod.Post, "/seed", new { lead = 5, list = 1, listmember = 2 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, seeded!["lead"]!.GetValue<int>());
        (status, var error) = await Admin(emu, HttpMethod.Post, "/records/contact", new { firstname = "no last" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("0x80040203", error!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Delete, $"/records/account/{a}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await emu.GetAsync($"accounts({a})")).Status);
        (status, var settings) = await Admin(emu, HttpMethod.Put, "/settings", new { requestLimit = 100, expireChangeTrackingInDays = 3 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(100, emu.Org.Settings.RequestLimit);
        Assert.Equal(3, settings!["expireChangeTrackingInDays"]!.GetValue<int>());
        (status, var clock) = await Admin(emu, HttpMethod.Post, "/clock/advance", new { by = "02:00:00" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2026-03-02T12:00:00Z", clock!["now"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await emu.GetAsync("WhoAmI")).Status); // the 60-minute token expired
        emu.Http.DefaultRequestHeaders.Authorization = new("Bearer", await emu.AppTokenAsync());
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Admin(emu, HttpMethod.Post, "/tokens/revoke")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await emu.GetAsync("WhoAmI")).Status);
        emu.Http.DefaultRequestHeaders.Authorization = new("Bearer", await emu.AppTokenAsync());
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
        (status, var fault) = await Admin(emu, HttpMethod.Post, "/faults", new { kind = "HttpStatus", statusCode = 502, count = 1 });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(1, (await Admin(emu, HttpMethod.Get, "/faults")).Body!.AsArray().Count);
        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Delete, "/faults/" + fault!["id"]!.GetValue<string>())).Status);
    }

    [Fact]
    public async Task Seeding_is_deterministic_and_fills_every_table()
    {
        var plan = new DynamicsSeedPlan { Leads = 30, Contacts = 10, Accounts = 4, Opportunities = 3, SystemUsers = 2, Lists = 3, ListMembers = 6, Custom = 2 };
        await using var one = await DataverseTestEmulator.StartAsync(seed: plan);
        await using var two = await DataverseTestEmulator.StartAsync(seed: plan);
        var counts = one.Org.Store.Entities.ToDictionary(e => e.LogicalName, e => one.Org.Store.Count(e.LogicalName));
        Assert.Equal(30, counts["lead"]);
        Assert.Equal(10, counts["contact"]);
        Assert.Equal(4, counts["account"]);
        Assert.Equal(3, counts["opportunity"]);
        Assert.Equal(5, counts["systemuser"]); // sync user, second user, application user + 2
        Assert.Equal(3, counts["list"]);
        Assert.Equal(6, counts["listmember"]);
        Assert.Equal(2, counts["new_invoice"]);
        var a = (await one.GetAsync("leads?$select=fullname,emailaddress1,new_synctomkto")).Body!["value"]!.ToJsonString();
        var b = (await two.GetAsync("leads?$select=fullname,emailaddress1,new_synctomkto")).Body!["value"]!.ToJsonString();
        Assert.Equal(a, b); // same ids, names, e-mails, filter values (and row versions)
        Assert.Contains("leadid", a);
        var filter = (await one.GetAsync("leads?$select=new_synctomkto")).Body!["value"]!.AsArray().Select(v => v!["new_synctomkto"]?.GetValueKind().ToString() + v!["new_synctomkto"]?.ToJsonString()).Distinct().Count();
        Assert.True(filter >= 2, "the sync filter is seeded with several values (Yes, No, empty)");
    }

    [Fact]
    public async Task The_sync_filter_is_seeded_Yes_empty_or_No_on_leads_and_contacts_by_the_plans_weights()
    {
        static async Task<List<bool?>> Filters(DataverseTestEmulator emu, string set) =>
            (await emu.GetAsync($"{set}?$select=new_synctomkto")).Body!["value"]!.AsArray()
                .Select(v => v!["new_synctomkto"] is JsonValue b ? b.GetValue<bool>() : (bool?)null).ToList();

        // The default mix (7:2:1) has all three values.
        await using (var mixed = await DataverseTestEmulator.StartAsync(seed: new DynamicsSeedPlan { Leads = 60, Contacts = 60 }))
        {
            foreach (var set in new[] { "leads", "contacts" })
            {
                var values = await Filters(mixed, set);
                Assert.Contains(true, values);
                Assert.Contains(false, values);
                Assert.Contains(null, values);
                Assert.True(values.Count(v => v == true) > values.Count(v => v is null) && values.Count(v => v is null) >= values.Count(v => v == false) / 2);
            }
        }

        // Weights from the --seed text: only an explicit No, or only empty.
        var no = DynamicsSeedPlan.Parse("lead=10,contact=10,filteryes=0,filterempty=0,filterno=1");
        Assert.Equal((0, 0, 1), (no.SyncFilterYes, no.SyncFilterEmpty, no.SyncFilterNo));
        await using (var allNo = await DataverseTestEmulator.StartAsync(seed: no))
        {
            Assert.All(await Filters(allNo, "leads"), v => Assert.Equal(false, v));
            Assert.All(await Filters(allNo, "contacts"), v => Assert.Equal(false, v));
        }

        // And through the admin API's /seed.
        await using var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { EnableAdmin = true });
        var (status, _) = await Admin(emu, HttpMethod.Post, "/seed", new { lead = 8, contact = 8, filterEmpty = 1 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.All(await Filters(emu, "leads"), v => Assert.Null(v));
        Assert.All(await Filters(emu, "contacts"), v => Assert.Null(v));
        Assert.Throws<FormatException>(() => DynamicsSeedPlan.Parse("lead=1,filtermaybe=2"));
    }

    [Fact]
    public async Task Admin_schema_edits_add_rename_and_delete_a_column()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { EnableAdmin = true });
        Assert.Equal(HttpStatusCode.Created, (await Admin(emu, HttpMethod.Post, "/schema/lead/attributes", new { name = "new_score", type = "Integer", label = "Score" })).Status);
        var id = await emu.CreateAsync("leads", new { lastname = "Scored", new_score = 42 });
        var (_, attr, _) = await emu.GetAsync("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='new_score')?$select=AttributeType");
        Assert.Equal("Integer", attr!["AttributeType"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Patch, "/schema/lead/attributes/new_score", new { newName = "new_rating" })).Status);
        Assert.Equal(42, (await emu.GetAsync($"leads({id})?$select=new_rating")).Body!["new_rating"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, (await emu.GetAsync($"leads({id})?$select=new_score")).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Delete, "/schema/lead/attributes/new_rating")).Status);
        var (status, body, _) = await emu.GetAsync($"leads({id})?$select=new_rating");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Could not find a property named 'new_rating' on type 'Microsoft.Dynamics.CRM.lead'.", body!["error"]!["message"]!.GetValue<string>());
        // A sync filter column can be deleted too (Marketo: "the sync may encounter errors").
        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Delete, "/schema/contact/attributes/new_synctomkto")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await emu.GetAsync("EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_synctomkto')")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Admin(emu, HttpMethod.Delete, "/schema/contact/attributes/lastname")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Admin(emu, HttpMethod.Put, "/schema/lead/keys/new_crmsynckey_key", new { status = "Failed" })).Status);
        Assert.Equal("Failed", (await emu.GetAsync("EntityDefinitions(LogicalName='lead')/Keys")).Body!["value"]![0]!["EntityKeyIndexStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_Dataverse_store_persists_rows_tombstones_schema_edits_and_versions_in_its_own_file()
    {
        string folder = Path.Combine(Path.GetTempPath(), "crmsync-dv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string db = Path.Combine(folder, "crm.db");
        try
        {
            Guid kept, deleted;
            string deltaLink;
            await using (var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { DatabasePath = db }, seed: new DynamicsSeedPlan { Leads = 2 }))
            {
                kept = await emu.CreateAsync("contacts", new { lastname = "Kept", new_crmsynckey = "p-1" });
                deleted = await emu.CreateAsync("contacts", new { lastname = "Deleted" });
                deltaLink = (await emu.GetAsync("contacts?$select=lastname", DataverseTestEmulator.Prefer("odata.track-changes"))).Body!["@odata.deltaLink"]!.GetValue<string>()[emu.OrgUrl.Length..];
                await emu.SendAsync(HttpMethod.Delete, $"contacts({deleted})");
                emu.Org.Store.AddAttribute("contact", "new_tier", "String", "Tier", 20);
                await emu.SendAsync(HttpMethod.Patch, $"contacts({kept})", new { new_tier = "Gold" });
            }
            Assert.True(File.Exists(db));
            await using (var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { DatabasePath = db }, seed: new DynamicsSeedPlan { Leads = 50 }))
            {
                Assert.Equal(2, emu.Org.Store.Count("lead")); // seeding only fills an empty store
                var (_, row, _) = await emu.GetAsync("contacts(new_crmsynckey='p-1')?$select=lastname,new_tier");
                Assert.Equal("Gold", row!["new_tier"]!.GetValue<string>());
                var (_, delta, _) = await emu.GetAsync(deltaLink);
                var values = delta!["value"]!.AsArray();
                Assert.Contains(values, v => v!["id"]?.GetValue<string>() == deleted.ToString());
                Assert.Contains(values, v => v!["contactid"]?.GetValue<string>() == kept.ToString());
                var newer = await emu.CreateAsync("contacts", new { lastname = "After restart" });
                var (_, newerRow, _) = await emu.GetAsync($"contacts({newer})?$select=versionnumber");
                Assert.True(newerRow!["versionnumber"]!.GetValue<long>() > long.Parse(row["@odata.etag"]!.GetValue<string>()[3..^1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
