using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class QueryTests
{
    private static Task<TestEmulator> Seeded(int leads) =>
        TestEmulator.StartAsync(new EmulatorOptions { Seed = new SeedPlan { Leads = leads, Accounts = 5, Contacts = 20 }, SeedValue = "query-tests" });

    [Fact]
    public async Task Query_pages_with_nextRecordsUrl_honouring_batchSize_and_matches_the_fixture_shape()
    {
        await using var emu = await Seeded(450);
        void BatchOf200(HttpRequestMessage r) => r.Headers.Add("Sforce-Query-Options", "batchSize=200");
        var (status, page1, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString("SELECT Id, Name FROM Lead ORDER BY Id"), BatchOf200);
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(Fixtures.RecordsWithoutFields(Fixtures.Json("query-page1-nextRecordsUrl.json")), page1);
        Assert.Equal(450, page1!["totalSize"]!.GetValue<int>());
        Assert.False(page1["done"]!.GetValue<bool>());
        Assert.Equal(200, page1["records"]!.AsArray().Count);
        string next = page1["nextRecordsUrl"]!.GetValue<string>();
        Assert.Matches(@"^/services/data/v59\.0/query/01g\w{15}-200$", next);
        var ids = page1["records"]!.AsArray().Select(r => r!["Id"]!.GetValue<string>()).ToList();
        while (next is not null)
        {
            var (_, page, _) = await emu.GetAsync(next, BatchOf200);
            ids.AddRange(page!["records"]!.AsArray().Select(r => r!["Id"]!.GetValue<string>()));
            next = page["nextRecordsUrl"]?.GetValue<string>()!;
            if (next is null)
            {
                Fixtures.AssertSameShape(Fixtures.RecordsWithoutFields(Fixtures.Json("query-page2-last.json")), page);
                Assert.False(page.AsObject().ContainsKey("nextRecordsUrl"));
            }
        }
        Assert.Equal(450, ids.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task Default_batch_is_2000_and_small_batch_sizes_are_raised_to_200()
    {
        await using var emu = await Seeded(2100);
        var (_, page, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString("SELECT Id FROM Lead"));
        Assert.Equal(2000, page!["records"]!.AsArray().Count);
        var (_, small, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString("SELECT Id FROM Lead"), r => r.Headers.Add("Sforce-Query-Options", "batchSize=10"));
        Assert.Equal(200, small!["records"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_query_locator_is_a_snapshot_that_survives_concurrent_writes()
    {
        await using var emu = await Seeded(300);
        var (_, page1, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString("SELECT Id, Title FROM Lead"), r => r.Headers.Add("Sforce-Query-Options", "batchSize=200"));
        var all = emu.Host.Data.List("Lead");
        var last = (string)all[^1]["Id"]!;
        emu.Host.Data.Update("Lead", last, new Dictionary<string, object?> { ["Title"] = "Changed later" });
        emu.Host.Data.Delete("Lead", (string)all[^2]["Id"]!);
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "New", ["Company"] = "After" });
        var (_, page2, _) = await emu.GetAsync(page1!["nextRecordsUrl"]!.GetValue<string>());
        var records = page2!["records"]!.AsArray();
        Assert.Equal(100, records.Count);
        Assert.Equal(300, page2["totalSize"]!.GetValue<int>());
        Assert.NotEqual("Changed later", records[^1]!["Title"]?.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_locator_is_INVALID_QUERY_LOCATOR()
    {
        await using var emu = await Seeded(1);
        var (status, body, _) = await emu.GetAsync(TestEmulator.V + "/query/01g5g000000zzzzAAA-2000");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_QUERY_LOCATOR", body![0]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task QueryAll_includes_deleted_rows_and_query_does_not()
    {
        await using var emu = await Seeded(10);
        var id = (string)emu.Host.Data.List("Lead")[0]["Id"]!;
        emu.Host.Data.Delete("Lead", id);
        Assert.Equal(9, (await emu.QueryAsync("SELECT COUNT() FROM Lead"))["totalSize"]!.GetValue<int>());
        var all = await emu.QueryAsync($"SELECT Id, IsDeleted FROM Lead WHERE Id = '{id}'", all: true);
        Assert.True(all["records"]![0]!["IsDeleted"]!.GetValue<bool>());
        Assert.Equal(10, (await emu.QueryAsync("SELECT COUNT() FROM Lead", all: true))["totalSize"]!.GetValue<int>());
    }

    [Fact]
    public async Task Malformed_and_invalid_queries_are_400_with_salesforce_error_codes()
    {
        await using var emu = await Seeded(1);
        async Task<string> Code(string soql)
        {
            var (status, body, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString(soql));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Fixtures.AssertSameShape(Fixtures.Json("query-error-invalid-field.json"), body);
            return body![0]!["errorCode"]!.GetValue<string>();
        }
        Assert.Equal("MALFORMED_QUERY", await Code("SELEC Id FROM Lead"));
        Assert.Equal("INVALID_FIELD", await Code("SELECT Nope FROM Lead"));
        Assert.Equal("INVALID_TYPE", await Code("SELECT Id FROM Nope__c"));
    }

    [Fact]
    public async Task Where_orderBy_limit_offset_and_dates_work_through_the_api()
    {
        await using var emu = await TestEmulator.StartAsync();
        foreach (var (last, rating, revenue) in new[] { ("A", "Hot", 10m), ("B", "Cold", 20m), ("C", "Hot", 30m), ("D", "Warm", 40m) })
        {
            emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = last, ["Company"] = "Co", ["Rating"] = rating, ["AnnualRevenue"] = revenue });
            emu.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var hot = await emu.QueryAsync("SELECT LastName FROM Lead WHERE Rating IN ('Hot','Warm') AND (NOT LastName LIKE 'D%') ORDER BY AnnualRevenue DESC");
        Assert.Equal(["C", "A"], hot["records"]!.AsArray().Select(r => r!["LastName"]!.GetValue<string>()));
        var paged = await emu.QueryAsync("SELECT LastName FROM Lead ORDER BY LastName LIMIT 2 OFFSET 1");
        Assert.Equal(["B", "C"], paged["records"]!.AsArray().Select(r => r!["LastName"]!.GetValue<string>()));
        var after = await emu.QueryAsync("SELECT LastName FROM Lead WHERE SystemModstamp > 2026-03-02T10:00:01Z ORDER BY SystemModstamp");
        Assert.Equal(["C", "D"], after["records"]!.AsArray().Select(r => r!["LastName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Formula_field_changes_with_the_clock_without_SystemModstamp_moving()
    {
        await using var emu = await TestEmulator.StartAsync();
        string id = await emu.CreateAsync("Lead", new { LastName = "F", Company = "C" });
        var before = (await emu.QueryAsync($"SELECT Days_Since_Created__c, SystemModstamp FROM Lead WHERE Id = '{id}'"))["records"]![0]!;
        Assert.Equal(0m, before["Days_Since_Created__c"]!.GetValue<decimal>());
        emu.Clock.Advance(TimeSpan.FromDays(3));
        emu.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", emu.Host.CreateSession());
        var after = (await emu.QueryAsync($"SELECT Days_Since_Created__c, SystemModstamp FROM Lead WHERE Id = '{id}'"))["records"]![0]!;
        Assert.Equal(3m, after["Days_Since_Created__c"]!.GetValue<decimal>());
        Assert.Equal(before["SystemModstamp"]!.GetValue<string>(), after["SystemModstamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task Composite_runs_several_queries_in_one_call_counted_once()
    {
        await using var emu = await Seeded(5);
        int before = emu.Host.Org.Usage.Used;
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, TestEmulator.V + "/composite", new JsonObject
        {
            ["compositeRequest"] = new JsonArray(
                new JsonObject { ["method"] = "GET", ["url"] = TestEmulator.V + "/query?q=SELECT+Id+FROM+Lead", ["referenceId"] = "leads" },
                new JsonObject { ["method"] = "GET", ["url"] = TestEmulator.V + "/query?q=SELECT+COUNT()+FROM+Contact", ["referenceId"] = "contacts" },
                new JsonObject { ["method"] = "GET", ["url"] = TestEmulator.V + "/sobjects/Lead/@{leads.records[0].Id}", ["referenceId"] = "first" }),
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var responses = body!["compositeResponse"]!.AsArray();
        Assert.Equal(5, responses[0]!["body"]!["totalSize"]!.GetValue<int>());
        Assert.Equal(20, responses[1]!["body"]!["totalSize"]!.GetValue<int>());
        Assert.Equal(200, responses[2]!["httpStatusCode"]!.GetValue<int>());
        Assert.Equal(responses[0]!["body"]!["records"]![0]!["Id"]!.GetValue<string>(), responses[2]!["body"]!["Id"]!.GetValue<string>());
        Assert.Equal(before + 1, emu.Host.Org.Usage.Used);
    }

    [Fact]
    public async Task Composite_all_or_none_rolls_back_earlier_subrequests()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (_, body, _) = await emu.SendAsync(HttpMethod.Post, TestEmulator.V + "/composite", new JsonObject
        {
            ["allOrNone"] = true,
            ["compositeRequest"] = new JsonArray(
                new JsonObject { ["method"] = "POST", ["url"] = TestEmulator.V + "/sobjects/Lead", ["referenceId"] = "ok", ["body"] = new JsonObject { ["LastName"] = "A", ["Company"] = "B" } },
                new JsonObject { ["method"] = "POST", ["url"] = TestEmulator.V + "/sobjects/Lead", ["referenceId"] = "bad", ["body"] = new JsonObject { ["LastName"] = "A" } }),
        });
        var responses = body!["compositeResponse"]!.AsArray();
        Assert.Equal("PROCESSING_HALTED", responses[0]!["body"]![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal("REQUIRED_FIELD_MISSING", responses[1]!["body"]![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal(0, emu.Host.Data.Count("Lead", includeDeleted: true));
    }

    [Fact]
    public async Task Range_scans_on_SystemModstamp_give_the_same_rows_as_a_full_scan()
    {
        await using var emu = await Seeded(1200);
        // Ties: many records written at the same (frozen) instant, some deleted.
        for (int i = 0; i < 150; i++)
        {
            string id = emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Tie" + (i % 7), ["Company"] = "T", ["Rating"] = i % 3 == 0 ? "Hot" : "Cold" });
            if (i % 10 == 0)
            {
                emu.Host.Data.Delete("Lead", id);
            }
        }
        string[] wheres =
        [
            "SystemModstamp >= 2026-02-20T00:00:00Z",
            "SystemModstamp >= 2026-03-02T10:00:00Z",
            "SystemModstamp > 2026-02-10T00:00:00Z AND Rating = 'Hot'",
            "(SystemModstamp > 2026-02-25T00:00:00Z) OR (SystemModstamp = 2026-02-25T00:00:00Z AND Id > '00Q5g0000000000')",
        ];
        foreach (var where in wheres)
        {
            foreach (var order in new[] { "SystemModstamp, Id", "SystemModstamp, LastName DESC", "SystemModstamp" })
            {
                foreach (bool all in new[] { false, true })
                {
                    var full = (await emu.QueryAsync($"SELECT Id FROM Lead WHERE {where} ORDER BY {order}", all))["records"]!.AsArray().Select(r => r!["Id"]!.GetValue<string>()).ToList();
                    var limited = (await emu.QueryAsync($"SELECT Id FROM Lead WHERE {where} ORDER BY {order} LIMIT 100 OFFSET 20", all))["records"]!.AsArray().Select(r => r!["Id"]!.GetValue<string>()).ToList();
                    Assert.Equal(full.Skip(20).Take(100), limited);
                }
            }
        }
    }
}
