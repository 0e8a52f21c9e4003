using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests;

/// <summary>An incremental cycle with more changes than the bulk threshold reads them with one bulk job, not page by page (issue 15, item 5).</summary>
public sealed class BulkIncrementalTests
{
    [Fact]
    public async Task Many_changes_are_read_by_one_bulk_job_with_deletions_and_the_next_cycle_starts_from_its_start()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 3000, Contacts = 10, Accounts = 2 });
        var client = emulator.CreateClient();
        using var home = new TempDirectory("crmsync-bulk-incremental");
        using var store = await emulator.CreateSyncedProfileAsync(client, home, "bulk-incremental");
        var options = new SyncOptions { SchemaRefreshInterval = null, BulkThreshold = 1000, BulkPageSize = 700 };
        async Task<SyncRunResult> CycleAsync()
        {
            emulator.Clock.Advance(TimeSpan.FromMinutes(10));
            var result = await new SyncOrchestrator(store, client.Client, options).RunCycleAsync(null, CancellationToken.None);
            Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
            return result;
        }
        await CycleAsync(); // the initial copy (by bulk: 3,000 leads >= 1,000)

        var leads = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        foreach (var id in leads.Take(2500))
            emulator.Host.Data.Update("Lead", id, new Dictionary<string, object?> { ["Title"] = "Changed in bulk" });
        emulator.Host.Data.Delete("Lead", leads[^1]);
        var jobsBefore = client.Wire.Count("/jobs/query", HttpMethod.Post);
        var pagesBefore = client.Wire.Count("/query", HttpMethod.Get);

        await CycleAsync();

        Assert.Equal(2500L, StoreDump.Scalar(store, "SELECT count(*) FROM person WHERE Title = 'Changed in bulk'"));
        Assert.Equal(1L, StoreDump.Scalar(store, $"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{leads[^1]}'"));
        Assert.Equal(1, client.Wire.Count("/jobs/query", HttpMethod.Post) - jobsBefore);
        // The next cycle reads from the bulk read's start: one more change arrives by the ordinary (composite) read.
        emulator.Host.Data.Update("Lead", leads[0], new Dictionary<string, object?> { ["Title"] = "After the bulk read" });
        await CycleAsync();
        Assert.Equal("After the bulk read", StoreDump.Scalar(store, $"SELECT Title FROM person WHERE _crm_id = '{leads[0]}'"));
        Assert.Equal(1, client.Wire.Count("/jobs/query", HttpMethod.Post) - jobsBefore);
        Assert.True(client.Wire.Count("/query", HttpMethod.Get) - pagesBefore < 10, "the 2,500 changes were not read page by page");
        SqliteConnection.ClearAllPools();
    }
}
