using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class StorageAndSeedTests
{
    [Theory]
    [InlineData("001RM000003oLru", "001RM000003oLruYAE")]
    [InlineData("00Q5g00000DYz3m", "00Q5g00000DYz3mEAD")]
    [InlineData("003q000000KvQ1t", "003q000000KvQ1tAAF")]
    [InlineData("005R0000000UyrW", "005R0000000UyrWIAS")]
    public void Ids_get_salesforces_checksum_suffix(string id15, string id18)
    {
        Assert.Equal(id18, SalesforceId.To18(id15));
        Assert.True(SalesforceId.TryNormalize(id15, out var normalized));
        Assert.Equal(id18, normalized);
        Assert.True(SalesforceId.TryNormalize(id18.ToUpperInvariant()[..15] == id15 ? id18 : id18[..15] + id18[15..].ToLowerInvariant(), out _));
        Assert.False(SalesforceId.TryNormalize(id15 + "ZZZ", out _));
        Assert.False(SalesforceId.TryNormalize("00Q-bad", out _));
    }

    [Fact]
    public async Task Records_schema_and_the_delete_log_persist_across_restart_with_a_database_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"crmsync-emulator-{Guid.NewGuid():N}.db");
        try
        {
            string id, deleted;
            await using (var first = await TestEmulator.StartAsync(new EmulatorOptions { DatabasePath = path }))
            {
                id = await first.CreateAsync("Lead", new { LastName = "Persist", Company = "Disk", AnnualRevenue = 12.5, Latitude = 37.7749295, CrmSync_Key__c = "P-1" });
                deleted = await first.CreateAsync("Lead", new { LastName = "Deleted", Company = "Disk" });
                await first.SendAsync(HttpMethod.Delete, $"{TestEmulator.V}/sobjects/Lead/{deleted}");
                first.Host.Data.AddField("Lead", "Extra__c", "date");
                first.Host.Data.Update("Lead", id, new Dictionary<string, object?> { ["Extra__c"] = new DateOnly(2024, 2, 29) });
            }
            await using var second = await TestEmulator.StartAsync(new EmulatorOptions { DatabasePath = path });
            var lead = second.Host.Data.Get("Lead", id)!;
            Assert.Equal("Persist", lead["LastName"]);
            Assert.Equal(13m, lead["AnnualRevenue"]);
            Assert.Equal(37.7749295m, lead["Latitude"]);
            Assert.Equal(new DateOnly(2024, 2, 29), lead["Extra__c"]);
            Assert.Equal(true, second.Host.Data.Get("Lead", deleted)!["IsDeleted"]);
            Assert.Equal("Persist", (await second.QueryAsync("SELECT LastName FROM Lead WHERE CrmSync_Key__c = 'P-1'"))["records"]![0]!["LastName"]!.GetValue<string>());
            string newer = await second.CreateAsync("Lead", new { LastName = "Next", Company = "Disk" });
            Assert.True(string.CompareOrdinal(newer, deleted) > 0);
            second.Clock.Advance(TimeSpan.FromMinutes(1));
            var (_, log, _) = await second.GetAsync($"{TestEmulator.V}/sobjects/Lead/deleted/?start=2026-03-02T09:00:00Z&end=2026-03-02T11:00:00Z");
            Assert.Equal(deleted, log!["deletedRecords"]![0]!["id"]!.GetValue<string>());
        }
        finally
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task Seeding_is_deterministic_and_realistic()
    {
        var plan = new SeedPlan { Leads = 400, Contacts = 50, Accounts = 10, Opportunities = 8, Campaigns = 3, Members = 30, Tasks = 10, Events = 5, Custom = 6 };
        await using var a = await TestEmulator.StartAsync(new EmulatorOptions { Seed = plan, SeedValue = "same" });
        await using var b = await TestEmulator.StartAsync(new EmulatorOptions { Seed = plan, SeedValue = "same" });
        await using var c = await TestEmulator.StartAsync(new EmulatorOptions { Seed = plan, SeedValue = "other" });
        var leadsA = a.Host.Data.List("Lead");
        var leadsB = b.Host.Data.List("Lead");
        Assert.Equal(400, leadsA.Count);
        Assert.Equal(leadsA.Select(l => l["Email"]), leadsB.Select(l => l["Email"]));
        Assert.NotEqual(leadsA.Select(l => l["Email"]), c.Host.Data.List("Lead").Select(l => l["Email"]));
        Assert.True(leadsA.GroupBy(l => l["Email"]).Any(g => g.Count() > 1), "some leads share an email (duplicate detection)");
        Assert.All(leadsA, l => Assert.False(string.IsNullOrEmpty((string?)l["Company"])));
        Assert.Equal(30, a.Host.Data.Count("CampaignMember"));
        Assert.Equal(8, a.Host.Data.Count("OpportunityContactRole"));
        Assert.Equal(6, a.Host.Data.Count("Invoice__c"));
        var stamps = leadsA.Select(l => (DateTime)l["SystemModstamp"]!).ToList();
        Assert.All(stamps, s => Assert.True(s <= TestEmulator.Start.UtcDateTime));
        var count = await a.QueryAsync("SELECT COUNT() FROM CampaignMember WHERE HasResponded = true");
        Assert.True(count["totalSize"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task Seeding_fifty_thousand_leads_and_paging_them_works()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { Seed = new SeedPlan { Leads = 50000 } });
        Assert.Equal(50000, (await emu.QueryAsync("SELECT COUNT() FROM Lead"))["totalSize"]!.GetValue<int>());
        var page = await emu.QueryAsync("SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= 2026-02-20T00:00:00Z ORDER BY SystemModstamp, Id LIMIT 2000");
        Assert.Equal(2000, page["records"]!.AsArray().Count);
    }
}
