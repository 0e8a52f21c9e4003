using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class WriteTests
{
    private const string V = TestEmulator.V;

    [Fact]
    public async Task Create_update_delete_have_salesforce_statuses_and_shapes()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/sobjects/Lead", new { LastName = "Doe", FirstName = "John", Company = "Kore", Email = "john@kore.example" });
        Assert.Equal(HttpStatusCode.Created, status);
        Fixtures.AssertSameShape(Fixtures.Json("create-success.json"), body);
        string id = body!["id"]!.GetValue<string>();
        Assert.Matches("^00Q[0-9A-Za-z]{15}$", id);
        var (getStatus, record, _) = await emu.GetAsync($"{V}/sobjects/Lead/{id}");
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Fixtures.AssertSameShape(Fixtures.Json("lead-record-get-kore-docs.json").AsObject().Where(p => p.Value is not null && p.Key != "PhotoUrl" && p.Key != "CleanStatus" && p.Key != "CreatedDate" && p.Key != "LastModifiedDate" && p.Key != "SystemModstamp" && p.Key != "CreatedById" && p.Key != "LastModifiedById" && p.Key != "LastViewedDate" && p.Key != "LastReferencedDate" && p.Key != "OwnerId" && p.Key != "MobilePhone" && p.Key != "Salutation" && p.Key != "Status" && p.Key != "Company").Aggregate(new JsonObject(), (o, p) => { o[p.Key] = p.Value!.DeepClone(); return o; }), record);
        Assert.Equal("John Doe", record!["Name"]!.GetValue<string>());
        Assert.Equal("Open - Not Contacted", record["Status"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:00:00.000+0000", record["SystemModstamp"]!.GetValue<string>());
        Assert.Equal(emu.Host.SyncUserId, record["CreatedById"]!.GetValue<string>());

        emu.Clock.Advance(TimeSpan.FromMilliseconds(1500));
        var (patch, patchBody, _) = await emu.SendAsync(HttpMethod.Patch, $"{V}/sobjects/Lead/{id}", new { Title = "CTO" });
        Assert.Equal(HttpStatusCode.NoContent, patch);
        Assert.Null(patchBody);
        var (_, afterPatch, _) = await emu.GetAsync($"{V}/sobjects/Lead/{id}?fields=Title,SystemModstamp,LastModifiedDate");
        Assert.Equal("CTO", afterPatch!["Title"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:00:01.500+0000", afterPatch["SystemModstamp"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:00:01.500+0000", afterPatch["LastModifiedDate"]!.GetValue<string>());
        Assert.Equal(4, afterPatch.AsObject().Count);

        Assert.Equal(HttpStatusCode.NoContent, (await emu.SendAsync(HttpMethod.Delete, $"{V}/sobjects/Lead/{id}")).Status);
        var (gone, goneBody, _) = await emu.GetAsync($"{V}/sobjects/Lead/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Equal("ENTITY_IS_DELETED", goneBody![0]!["errorCode"]!.GetValue<string>());
        var (again, againBody, _) = await emu.SendAsync(HttpMethod.Patch, $"{V}/sobjects/Lead/{id}", new { Title = "X" });
        Assert.Equal(HttpStatusCode.NotFound, again);
        Assert.Equal("ENTITY_IS_DELETED", againBody![0]!["errorCode"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"LastName":"Doe"}""", "REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]")]
    [InlineData("""{"Company":"Co"}""", "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]")]
    [InlineData("""{"LastName":"Doe","Company":"Co","Foo":1}""", "INVALID_FIELD", "No such column 'Foo' on sobject of type Lead")]
    [InlineData("""{"LastName":"Doe","Company":"Co","IsConverted":true}""", "INVALID_FIELD_FOR_INSERT_UPDATE", null)]
    [InlineData("""{"LastName":"Doe","Company":"Co","Days_Since_Created__c":3}""", "INVALID_FIELD_FOR_INSERT_UPDATE", null)]
    [InlineData("""{"LastName":"Doe","Company":"Co","Email":"not-an-email"}""", "INVALID_EMAIL_ADDRESS", null)]
    [InlineData("""{"LastName":"Doe","Company":"Co","ConvertedDate":"x"}""", "INVALID_FIELD_FOR_INSERT_UPDATE", null)]
    [InlineData("""{"LastName":"Doe","Company":"Co","NumberOfEmployees":"many"}""", "JSON_PARSER_ERROR", null)]
    public async Task Create_validation_errors_are_400_error_arrays(string json, string code, string? message)
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/sobjects/Lead", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Fixtures.AssertSameShape(Fixtures.Json("write-error-invalid-field.json"), body);
        Assert.Equal(code, body![0]!["errorCode"]!.GetValue<string>());
        if (message is not null)
        {
            Assert.Equal(message, body[0]!["message"]!.GetValue<string>());
        }
        Assert.Equal(0, emu.Host.Data.Count("Lead", includeDeleted: true));
    }

    [Fact]
    public async Task Malformed_and_foreign_ids_are_rejected()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync(V + "/sobjects/Lead/not-an-id");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("MALFORMED_ID", body![0]!["errorCode"]!.GetValue<string>());
        var (missing, _, _) = await emu.GetAsync(V + "/sobjects/Lead/00Q5g00000ZZZZZ");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task Upsert_outcomes_201_200_300_and_404()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (created, createdBody, _) = await emu.SendAsync(HttpMethod.Patch, V + "/sobjects/Lead/CrmSync_Key__c/K-1", new { LastName = "Up", Company = "Co" });
        Assert.Equal(HttpStatusCode.Created, created);
        Fixtures.AssertSameShape(Fixtures.Json("upsert-created.json"), createdBody);
        Assert.True(createdBody!["created"]!.GetValue<bool>());
        var (updated, updatedBody, _) = await emu.SendAsync(HttpMethod.Patch, V + "/sobjects/Lead/CrmSync_Key__c/k-1", new { Title = "Boss" });
        Assert.Equal(HttpStatusCode.OK, updated);
        Assert.False(updatedBody!["created"]!.GetValue<bool>());
        Assert.Equal(createdBody["id"]!.GetValue<string>(), updatedBody["id"]!.GetValue<string>());

        emu.Host.Data.AddField("Lead", "Legacy_Id__c", "string", externalId: true);
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "A", ["Company"] = "C", ["Legacy_Id__c"] = "dup" });
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "B", ["Company"] = "C", ["Legacy_Id__c"] = "DUP" });
        var (multiple, multipleBody, _) = await emu.SendAsync(HttpMethod.Patch, V + "/sobjects/Lead/Legacy_Id__c/dup", new { Title = "X" });
        Assert.Equal(HttpStatusCode.MultipleChoices, multiple);
        Fixtures.AssertSameShape(Fixtures.Json("upsert-multiple-choices-300.json"), multipleBody);
        Assert.Equal(2, multipleBody!.AsArray().Count);

        var (notExternal, notExternalBody, _) = await emu.SendAsync(HttpMethod.Patch, V + "/sobjects/Lead/Title/x", new { LastName = "Z" });
        Assert.Equal(HttpStatusCode.NotFound, notExternal);
        Fixtures.AssertSameShape(Fixtures.Json("upsert-error-not-found.json"), notExternalBody);
        Assert.Equal("Provided external ID field does not exist or is not accessible: Title", notExternalBody![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task External_ids_are_unique()
    {
        await using var emu = await TestEmulator.StartAsync();
        await emu.CreateAsync("Contact", new { LastName = "A", CrmSync_Key__c = "same" });
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/sobjects/Contact", new { LastName = "B", CrmSync_Key__c = "SAME" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("DUPLICATE_VALUE", body![0]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Collections_create_partial_success_and_all_or_none()
    {
        await using var emu = await TestEmulator.StartAsync();
        var records = new JsonArray(
            new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Lead" }, ["LastName"] = "A", ["Company"] = "C" },
            new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Lead" }, ["LastName"] = "B" },
            new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Contact" }, ["LastName"] = "C" });
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/sobjects", new JsonObject { ["allOrNone"] = false, ["records"] = records.DeepClone() });
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(Fixtures.Json("composite-sobjects-success-restforce.json"), body);
        Assert.True(body![0]!["success"]!.GetValue<bool>());
        Assert.False(body[1]!["success"]!.GetValue<bool>());
        Assert.False(body[1]!.AsObject().ContainsKey("id"));
        Assert.Equal("REQUIRED_FIELD_MISSING", body[1]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Equal(["Company"], body[1]!["errors"]![0]!["fields"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Matches("^003", body[2]!["id"]!.GetValue<string>());

        var (_, rollback, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/sobjects", new JsonObject { ["allOrNone"] = true, ["records"] = records.DeepClone() });
        Fixtures.AssertSameShape(Fixtures.Json("composite-sobjects-allornone-true-rollback.json"), rollback);
        Assert.Equal("ALL_OR_NONE_OPERATION_ROLLED_BACK", rollback![0]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Equal("REQUIRED_FIELD_MISSING", rollback[1]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Equal(1, emu.Host.Data.Count("Lead"));
        Assert.Equal(1, emu.Host.Data.Count("Contact"));
    }

    [Fact]
    public async Task Collections_refuse_more_than_200_records()
    {
        await using var emu = await TestEmulator.StartAsync();
        var records = new JsonArray(Enumerable.Range(0, 201).Select(i => (JsonNode?)new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Lead" }, ["LastName"] = "L" + i, ["Company"] = "C" }).ToArray());
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/sobjects", new JsonObject { ["records"] = records });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("EXCEEDED_ID_LIMIT", body![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal(0, emu.Host.Data.Count("Lead"));
    }

    [Fact]
    public async Task Collections_update_upsert_and_delete()
    {
        await using var emu = await TestEmulator.StartAsync();
        string a = await emu.CreateAsync("Account", new { Name = "Acme" });
        string c = await emu.CreateAsync("Contact", new { LastName = "Doe" });
        var (_, updated, _) = await emu.SendAsync(HttpMethod.Patch, V + "/composite/sobjects", new JsonObject
        {
            ["records"] = new JsonArray(
                new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Account" }, ["id"] = a, ["Name"] = "Acme 2" },
                new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Contact" }, ["id"] = c, ["AccountId"] = a }),
        });
        Fixtures.AssertSameShape(Fixtures.Json("composite-sobjects-update-success.json"), updated);
        Assert.Equal(a, emu.Host.Data.Get("Contact", c)!["AccountId"]);

        var (_, upserted, _) = await emu.SendAsync(HttpMethod.Patch, V + "/composite/sobjects/Contact/CrmSync_Key__c", new JsonObject
        {
            ["allOrNone"] = false,
            ["records"] = new JsonArray(
                new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Contact" }, ["CrmSync_Key__c"] = "k1", ["LastName"] = "One" },
                new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Contact" }, ["CrmSync_Key__c"] = "k1", ["Title"] = "Again" }),
        });
        Fixtures.AssertSameShape(Fixtures.Json("composite-sobjects-upsert-created-flags.json"), upserted);
        Assert.Equal([true, false], upserted!.AsArray().Select(r => r!["created"]!.GetValue<bool>()));

        var (deleteStatus, deleted, _) = await emu.SendAsync(HttpMethod.Delete, $"{V}/composite/sobjects?ids={a},001RM000003oLrB000&allOrNone=false");
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Fixtures.AssertSameShape(Fixtures.Json("composite-sobjects-delete-partial-failure.json"), deleted);
        Assert.True(deleted![0]!["success"]!.GetValue<bool>());
        Assert.Equal("MALFORMED_ID", deleted[1]!["errors"]![0]!["statusCode"]!.GetValue<string>());

        var (empty, emptyBody, _) = await emu.SendAsync(HttpMethod.Delete, V + "/composite/sobjects?ids=");
        Assert.Equal(HttpStatusCode.BadRequest, empty);
        Assert.True(JsonNode.DeepEquals(Fixtures.Json("composite-sobjects-delete-bad-request-restforce.json"), emptyBody));
    }

    [Fact]
    public async Task Writes_stamp_SystemModstamp_monotonically_at_millisecond_precision()
    {
        await using var emu = await TestEmulator.StartAsync();
        string id = await emu.CreateAsync("Lead", new { LastName = "M", Company = "C" });
        var stamps = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            emu.Clock.Advance(TimeSpan.FromTicks(4321));
            await emu.SendAsync(HttpMethod.Patch, $"{V}/sobjects/Lead/{id}", new { Title = "T" + i });
            var (_, r, _) = await emu.GetAsync($"{V}/sobjects/Lead/{id}?fields=SystemModstamp");
            stamps.Add(r!["SystemModstamp"]!.GetValue<string>());
        }
        Assert.All(stamps, s => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", s));
        Assert.Equal(stamps.Order(StringComparer.Ordinal), stamps);
    }
}
