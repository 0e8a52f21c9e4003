using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class LimitsAndFaultTests
{
    private const string V = TestEmulator.V;

    [Fact]
    public async Task Every_api_response_carries_Sforce_Limit_Info_and_limits_report_real_usage()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { DailyApiLimit = 500 });
        var (_, _, first) = await emu.GetAsync(V + "/sobjects/");
        Assert.Equal("api-usage=1/500", first.Headers.GetValues("Sforce-Limit-Info").Single());
        var (_, _, error) = await emu.GetAsync(V + "/sobjects/Nope/describe");
        Assert.Equal("api-usage=2/500", error.Headers.GetValues("Sforce-Limit-Info").Single());
        var (_, limits, _) = await emu.GetAsync(V + "/limits");
        Fixtures.AssertSameShape(Fixtures.Json("limits.json"), limits);
        Assert.Equal(500, limits!["DailyApiRequests"]!["Max"]!.GetValue<int>());
        Assert.Equal(497, limits["DailyApiRequests"]!["Remaining"]!.GetValue<int>());
    }

    [Fact]
    public async Task Spent_allowance_gives_403_REQUEST_LIMIT_EXCEEDED_until_the_window_frees_up()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { DailyApiLimit = 3 });
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(V + "/limits")).Status);
        }
        var (status, body, _) = await emu.GetAsync(V + "/limits");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"""), body));
        Fixtures.AssertSameShape(Fixtures.Json("error-request-limit-exceeded-403.json"), body);
        emu.Clock.Advance(TimeSpan.FromHours(1));
        emu.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", emu.Host.CreateSession());
        Assert.Equal(HttpStatusCode.Forbidden, (await emu.GetAsync(V + "/limits")).Status);
        emu.Clock.Advance(TimeSpan.FromHours(23.1));
        emu.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", emu.Host.CreateSession());
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(V + "/limits")).Status);
    }

    [Fact]
    public async Task Status_faults_fire_for_the_next_N_requests_with_Retry_After()
    {
        await using var emu = await TestEmulator.StartAsync();
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 503, Count = 2, RetryAfterSeconds = 7, PathContains = "/query" });
        var q = V + "/query?q=SELECT+Id+FROM+Lead";
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(V + "/limits")).Status);
        var (s1, b1, r1) = await emu.GetAsync(q);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, s1);
        Assert.Equal("7", r1.Headers.GetValues("Retry-After").Single());
        Assert.Equal("SERVER_UNAVAILABLE", b1![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await emu.GetAsync(q)).Status);
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(q)).Status);
        Assert.Empty(emu.Host.Faults.Rules);

        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 500, Count = 1 });
        Assert.Equal(HttpStatusCode.InternalServerError, (await emu.GetAsync(q)).Status);
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 429, Count = 1, RetryAfterSeconds = 1 });
        Assert.Equal(HttpStatusCode.TooManyRequests, (await emu.GetAsync(q)).Status);
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.RequestLimitExceeded, Count = 1 });
        var (limit, limitBody, _) = await emu.GetAsync(q);
        Assert.Equal(HttpStatusCode.Forbidden, limit);
        Assert.Equal("REQUEST_LIMIT_EXCEEDED", limitBody![0]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Probability_faults_are_deterministic_under_a_seed()
    {
        async Task<List<HttpStatusCode>> Run()
        {
            await using var emu = await TestEmulator.StartAsync();
            emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 500, Probability = 0.4, Seed = 42 });
            var statuses = new List<HttpStatusCode>();
            for (int i = 0; i < 30; i++)
            {
                statuses.Add((await emu.GetAsync(V + "/limits")).Status);
            }
            return statuses;
        }
        var first = await Run();
        var second = await Run();
        Assert.Equal(first, second);
        Assert.Contains(HttpStatusCode.InternalServerError, first);
        Assert.Contains(HttpStatusCode.OK, first);
    }

    [Fact]
    public async Task Dropped_connections_and_latency()
    {
        await using var emu = await TestEmulator.StartAsync();
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.DropConnection, Count = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => emu.GetAsync(V + "/limits"));
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.Latency, Delay = TimeSpan.FromMilliseconds(20), Count = 1 });
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(V + "/limits")).Status);
        Assert.Empty(emu.Host.Faults.Rules);
    }

    [Fact]
    public async Task Lock_row_errors_hit_chosen_records_in_collections()
    {
        await using var emu = await TestEmulator.StartAsync();
        string a = await emu.CreateAsync("Lead", new { LastName = "A", Company = "C" });
        string b = await emu.CreateAsync("Lead", new { LastName = "B", Company = "C" });
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, RecordIds = [b] });
        var (_, body, _) = await emu.SendAsync(HttpMethod.Patch, V + "/composite/sobjects", new JsonObject
        {
            ["records"] = new JsonArray(
                new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Lead" }, ["id"] = a, ["Title"] = "ok" },
                new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Lead" }, ["id"] = b, ["Title"] = "locked" }),
        });
        Assert.True(body![0]!["success"]!.GetValue<bool>());
        Assert.Equal("UNABLE_TO_LOCK_ROW", body[1]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Equal(b, body[1]!["id"]!.GetValue<string>());
        Assert.Null(emu.Host.Data.Get("Lead", b)!["Title"]);

        emu.Host.Faults.Clear();
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, Probability = 0.5, Seed = 7, ErrorCode = "UNABLE_TO_LOCK_ROW" });
        var records = new JsonArray(Enumerable.Range(0, 40).Select(i => (JsonNode?)new JsonObject { ["attributes"] = new JsonObject { ["type"] = "Lead" }, ["LastName"] = "L" + i, ["Company"] = "C" }).ToArray());
        var (_, partial, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/sobjects", new JsonObject { ["records"] = records });
        int failed = partial!.AsArray().Count(r => !r!["success"]!.GetValue<bool>());
        Assert.InRange(failed, 5, 35);
        Assert.Equal(2 + 40 - failed, emu.Host.Data.Count("Lead"));
    }

    [Fact]
    public async Task Admin_api_exists_only_with_admin_and_drives_faults_data_and_schema()
    {
        await using (var plain = await TestEmulator.StartAsync())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await plain.GetAsync("/_emulator/info")).Status);
        }
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { EnableAdmin = true });
        var (created, fault, _) = await emu.SendAsync(HttpMethod.Post, "/_emulator/faults", new { kind = "HttpStatus", statusCode = 502, count = 1 });
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.StartsWith("fault-", fault!["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadGateway, (await emu.GetAsync(V + "/limits")).Status);

        var (_, record, _) = await emu.SendAsync(HttpMethod.Post, "/_emulator/records/Lead", new { LastName = "Adm", Company = "In" });
        string id = record!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await emu.SendAsync(HttpMethod.Patch, $"/_emulator/records/Lead/{id}", new { Title = "Boss" })).Status);
        Assert.Equal("Boss", emu.Host.Data.Get("Lead", id)!["Title"]);
        Assert.Equal(emu.Host.Org.AdminUser.Id, emu.Host.Data.Get("Lead", id)!["LastModifiedById"]);
        var (_, converted, _) = await emu.SendAsync(HttpMethod.Post, "/_emulator/convert", new { leadId = id, doNotCreateOpportunity = true });
        Assert.StartsWith("003", converted!["contactId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await emu.SendAsync(HttpMethod.Post, "/_emulator/schema/Contact/fields", new { name = "Tier__c", type = "picklist" })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await emu.SendAsync(HttpMethod.Patch, "/_emulator/schema/Contact/fields/Tier__c", new { newName = "Level__c" })).Status);
        var (_, describe, _) = await emu.GetAsync(V + "/sobjects/Contact/describe");
        Assert.Contains(describe!["fields"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "Level__c");
        var (bad, badBody, _) = await emu.SendAsync(HttpMethod.Post, "/_emulator/records/Lead", new { LastName = "NoCompany" });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("REQUIRED_FIELD_MISSING", badBody!["errors"]![0]!["statusCode"]!.GetValue<string>());

        var (_, expired, _) = await emu.SendAsync(HttpMethod.Post, "/_emulator/sessions/expire");
        Assert.Equal(1, expired!["expired"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await emu.GetAsync(V + "/limits")).Status);
        var (_, clock, _) = await emu.SendAsync(HttpMethod.Post, "/_emulator/clock/advance", new { by = "01:00:00" });
        Assert.Equal("2026-03-02T11:00:00.000+0000", clock!["now"]!.GetValue<string>());
    }
}
