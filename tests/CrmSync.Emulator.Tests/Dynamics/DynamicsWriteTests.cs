using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsWriteTests
{
    private static Action<HttpRequestMessage> Header(string name, string value) => r => r.Headers.TryAddWithoutValidation(name, value);

    [Fact]
    public async Task Create_answers_204_with_OData_EntityId_or_201_with_the_representation()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body, response) = await emu.SendAsync(HttpMethod.Post, "leads", new { lastname = "Create", firstname = "Ann" });
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Null(body);
        string entityId = response.Headers.GetValues("OData-EntityId").Single();
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(emu.OrgUrl)}/api/data/v9.2/leads\\([0-9a-f-]{{36}}\\)$", entityId);

        (status, body, response) = await emu.SendAsync(HttpMethod.Post, "accounts?$select=name,revenue", new { name = "Repr", revenue = 5000000m }, DataverseTestEmulator.Prefer("return=representation"));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("return=representation", response.Headers.GetValues("Preference-Applied").Single());
        Fixtures.AssertSameShape(DynamicsFixtures.Only(DynamicsFixtures.Json("update-return-representation.json"), "accountid", "name", "revenue"), body);
        Assert.EndsWith("$metadata#accounts(name,revenue)/$entity", body!["@odata.context"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_with_representation_has_the_shape_of_the_real_answer_and_sets_authorship()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var id = await emu.CreateAsync("accounts", new { name = "Sample Account" });
        emu.Clock.Advance(TimeSpan.FromMinutes(3));
        var (status, body, _) = await emu.SendAsync(HttpMethod.Patch, $"accounts({id})?$select=name,description,revenue,createdon,accountid,_modifiedby_value,modifiedon",
            new { name = "Updated Sample Account", description = "This is the description of the sample account", revenue = 5000000m }, DataverseTestEmulator.Prefer("return=representation"));
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(DynamicsFixtures.Only(DynamicsFixtures.Json("update-return-representation.json"), "accountid", "name", "description", "revenue", "createdon"), body);
        Assert.Equal(emu.Org.ApplicationUser.Id, Guid.Parse(body!["_modifiedby_value"]!.GetValue<string>()));
        Assert.Equal("2026-03-02T10:03:00Z", body["modifiedon"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:00:00Z", body["createdon"]!.GetValue<string>());

        // A change made by another user (the admin API's CRM user) carries that user, so a sync can tell its own writes from others'.
        emu.Org.Writer.Update(emu.Org.Store.Entity("account")!, id, new Dictionary<string, object?> { ["telephone1"] = "1" }, emu.Org.SecondUser.Id);
        (_, body, _) = await emu.GetAsync($"accounts({id})?$select=_modifiedby_value");
        Assert.Equal(emu.Org.SecondUser.Id, Guid.Parse(body!["_modifiedby_value"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Conditional_upserts_and_updates_answer_with_the_real_bodies()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var missing = Guid.Parse("00000000-0000-0000-0000-000000000001");
        var (status, body, _) = await emu.SendAsync(HttpMethod.Patch, $"accounts({missing})", new { name = "x" }, Header("If-Match", "*"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(DynamicsFixtures.Json("error-404-upsert-prevent-create.json").ToJsonString(), body!.ToJsonString());

        var id = await emu.CreateAsync("accounts", new { name = "Exists" });
        (status, body, _) = await emu.SendAsync(HttpMethod.Patch, $"accounts({id})", new { name = "x" }, Header("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        Assert.Equal(DynamicsFixtures.Json("error-412-upsert-prevent-update.json").ToJsonString(), body!.ToJsonString());

        (status, body, _) = await emu.SendAsync(HttpMethod.Patch, $"accounts({id})", new { name = "x" }, Header("If-Match", "W/\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        Assert.Equal(DynamicsFixtures.Json("error-412-concurrency-mismatch.json").ToJsonString(), body!.ToJsonString());

        var (_, current, _) = await emu.GetAsync($"accounts({id})?$select=name");
        (status, _, _) = await emu.SendAsync(HttpMethod.Patch, $"accounts({id})", new { name = "Fresh" }, Header("If-Match", current!["@odata.etag"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NoContent, status);
        (status, _, _) = await emu.SendAsync(HttpMethod.Delete, $"accounts({id})", null, Header("If-Match", current["@odata.etag"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);

        // Upsert without conditions creates with the id from the URL.
        var chosen = Guid.NewGuid();
        (status, _, var response) = await emu.SendAsync(HttpMethod.Patch, $"accounts({chosen})", new { name = "Upserted by id" });
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.EndsWith($"accounts({chosen})", response.Headers.GetValues("OData-EntityId").Single());
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync($"accounts({chosen})")).Status);
    }

    [Fact]
    public async Task Upsert_by_alternate_key_creates_then_updates_201_then_200_with_representation()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var repr = DataverseTestEmulator.Prefer("return=representation");
        var (status, body, response) = await emu.SendAsync(HttpMethod.Patch, "contacts(new_crmsynckey='K-1')?$select=lastname,new_crmsynckey", new { lastname = "First" }, repr);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal($"{emu.OrgUrl}/api/data/v9.2/contacts(new_crmsynckey='K-1')", response.Headers.GetValues("OData-EntityId").Single());
        Assert.Equal("K-1", body!["new_crmsynckey"]!.GetValue<string>());
        (status, body, _) = await emu.SendAsync(HttpMethod.Patch, "contacts(new_crmsynckey='K-1')?$select=lastname,new_crmsynckey", new { lastname = "Second", new_crmsynckey = "ignored" }, repr);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Second", body!["lastname"]!.GetValue<string>());
        Assert.Equal("K-1", body["new_crmsynckey"]!.GetValue<string>());
        Assert.Single((await emu.GetAsync("contacts?$filter=new_crmsynckey eq 'K-1'")).Body!["value"]!.AsArray());

        // Key values with characters Dataverse forbids, and duplicate key values, are refused.
        (status, _, _) = await emu.SendAsync(HttpMethod.Patch, "contacts(new_crmsynckey='a/b')", new { lastname = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, body, _) = await emu.SendAsync(HttpMethod.Post, "contacts", new { lastname = "Dup", new_crmsynckey = "K-1" });
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        Assert.Equal("0x80040237", body!["error"]!["code"]!.GetValue<string>());
        // A key whose index is not Active cannot be used.
        emu.Org.Store.SetKeyStatus("contact", "new_crmsynckey_key", "Pending");
        (status, body, _) = await emu.SendAsync(HttpMethod.Patch, "contacts(new_crmsynckey='K-2')", new { lastname = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not active", body!["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Validation_errors_have_Dataverse_codes_and_messages()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, "contacts", new { lastname = new string('x', 51) });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Fixtures.AssertSameShape(DynamicsFixtures.Json("error-400-validation.json"), body);
        Assert.Equal("0x80044331", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("A validation error occurred.  The length of the 'lastname' attribute of the 'contact' entity exceeded the maximum allowed length of '50'.", body["error"]!["message"]!.GetValue<string>());

        (status, body, _) = await emu.SendAsync(HttpMethod.Post, "contacts", new { firstname = "No last name" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'lastname'", body!["error"]!["message"]!.GetValue<string>());
        emu.Org.Settings.EnforceApplicationRequired = false;
        Assert.Equal(HttpStatusCode.NoContent, (await emu.SendAsync(HttpMethod.Post, "contacts", new { firstname = "Allowed" })).Status);

        (status, body, _) = await emu.SendAsync(HttpMethod.Post, "leads", new { lastname = "x", leadsourcecode = 99 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("outside the valid range", body!["error"]!["message"]!.GetValue<string>());
        (status, body, _) = await emu.SendAsync(HttpMethod.Post, "leads", new { lastname = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Cannot convert the literal '5' to the expected type 'Edm.String'.", body!["error"]!["message"]!.GetValue<string>());
        (status, body, _) = await emu.SendAsync(HttpMethod.Post, "leads", new JsonObject { ["lastname"] = "x", ["_parentaccountid_value"] = Guid.NewGuid().ToString() });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, body, _) = await emu.SendAsync(HttpMethod.Post, "contacts", new JsonObject { ["lastname"] = "x", ["parentcustomerid_account@odata.bind"] = $"/accounts({Guid.NewGuid()})" });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("0x80040217", body!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Statecode_changes_pick_the_default_status_and_deletes_are_404_afterwards()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var id = await emu.CreateAsync("contacts", new { lastname = "State" });
        var (status, body, _) = await emu.SendAsync(HttpMethod.Patch, $"contacts({id})?$select=statecode,statuscode", new { statecode = 1 }, DataverseTestEmulator.Prefer("return=representation"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body!["statuscode"]!.GetValue<int>());
        (status, _, _) = await emu.SendAsync(HttpMethod.Patch, $"contacts({id})", new { statecode = 0, statuscode = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(HttpStatusCode.NoContent, (await emu.SendAsync(HttpMethod.Delete, $"contacts({id})")).Status);
        (status, body, _) = await emu.SendAsync(HttpMethod.Delete, $"contacts({id})");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal($"Entity 'contact' With Id = {id} Does Not Exist", body!["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Writes_by_the_sync_user_carry_its_systemuserid_and_WhoAmI_matches()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(asApplication: false);
        var (_, who, _) = await emu.GetAsync("WhoAmI");
        var id = await emu.CreateAsync("leads", new { lastname = "Mine" });
        var (_, lead, _) = await emu.GetAsync($"leads({id})?$select=_createdby_value,_modifiedby_value,_ownerid_value");
        Assert.Equal(who!["UserId"]!.GetValue<string>(), lead!["_modifiedby_value"]!.GetValue<string>());
        Assert.Equal(emu.Org.SyncUser.Id.ToString(), lead["_createdby_value"]!.GetValue<string>());
        Assert.Equal(emu.Org.SyncUser.Id.ToString(), lead["_ownerid_value"]!.GetValue<string>());
        emu.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await emu.UserTokenAsync(emu.Org.Credentials.SecondUserUpn));
        await emu.SendAsync(HttpMethod.Patch, $"leads({id})", new { firstname = "Other" });
        (_, lead, _) = await emu.GetAsync($"leads({id})?$select=_modifiedby_value");
        Assert.Equal(emu.Org.SecondUser.Id.ToString(), lead!["_modifiedby_value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Impersonation_headers_make_the_write_another_users()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var id = await emu.CreateAsync("leads", new { lastname = "Impersonated" });
        var (status, _, _) = await emu.SendAsync(HttpMethod.Patch, $"leads({id})", new { firstname = "A" }, Header("MSCRMCallerID", emu.Org.SecondUser.Id.ToString()));
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal(emu.Org.SecondUser.Id.ToString(), (await emu.GetAsync($"leads({id})?$select=_modifiedby_value")).Body!["_modifiedby_value"]!.GetValue<string>());
        var oid = CrmSync.Emulator.Dynamics.DynamicsOrg.ObjectIdOf(emu.Org.SyncUser.Id);
        var (_, who, _) = await emu.GetAsync("WhoAmI", Header("CallerObjectId", oid.ToString()));
        Assert.Equal(emu.Org.SyncUser.Id.ToString(), who!["UserId"]!.GetValue<string>());
        (status, _, _) = await emu.GetAsync("WhoAmI", Header("MSCRMCallerID", Guid.NewGuid().ToString()));
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Single_property_get_put_and_delete()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var id = await emu.CreateAsync("leads", new { lastname = "Single", jobtitle = "Buyer" });
        var (status, body, _) = await emu.GetAsync($"leads({id})/jobtitle");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Buyer", body!["value"]!.GetValue<string>());
        (status, _, _) = await emu.SendAsync(HttpMethod.Put, $"leads({id})/jobtitle", new { value = "CEO" });
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal("CEO", (await emu.GetAsync($"leads({id})/jobtitle")).Body!["value"]!.GetValue<string>());
        (status, _, _) = await emu.SendAsync(HttpMethod.Delete, $"leads({id})/jobtitle");
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Null((await emu.GetAsync($"leads({id})?$select=jobtitle")).Body!["jobtitle"]);
        (status, body, _) = await emu.SendAsync(HttpMethod.Put, $"leads({id})/lastname", new { value = new string('z', 51) });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("0x80044331", body!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateMultiple_and_UpdateMultiple_are_all_or_nothing()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        JsonObject Lead(string last) => new() { ["@odata.type"] = "Microsoft.Dynamics.CRM.lead", ["lastname"] = last };
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, "leads/Microsoft.Dynamics.CRM.CreateMultiple", new JsonObject { ["Targets"] = new JsonArray(Lead("M1"), Lead("M2")) });
        Assert.Equal(HttpStatusCode.OK, status);
        var ids = body!["Ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        Assert.Equal(2, ids.Count);
        Assert.EndsWith("$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", body["@odata.context"]!.GetValue<string>());
        (status, _, _) = await emu.SendAsync(HttpMethod.Post, "leads/Microsoft.Dynamics.CRM.CreateMultiple", new JsonObject { ["Targets"] = new JsonArray(Lead("M3"), Lead(new string('x', 51))) });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(2, (await emu.GetAsync("leads?$count=true")).Body!["@odata.count"]!.GetValue<int>());
        var update = new JsonArray(ids.Select(id => (JsonNode)new JsonObject { ["@odata.type"] = "Microsoft.Dynamics.CRM.lead", ["leadid"] = id, ["jobtitle"] = "Bulk" }).ToArray());
        (status, _, _) = await emu.SendAsync(HttpMethod.Post, "leads/Microsoft.Dynamics.CRM.UpdateMultiple", new JsonObject { ["Targets"] = update });
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.All((await emu.GetAsync("leads?$select=jobtitle")).Body!["value"]!.AsArray(), l => Assert.Equal("Bulk", l!["jobtitle"]!.GetValue<string>()));
    }
}
