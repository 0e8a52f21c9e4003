using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests;

/// <summary>
/// The initial copy's two writers store the same thing: the same seeded CRM (with awkward text, a value that no longer fits
/// its column, a converted lead and the contact it became) copied by bulk into two profiles, once with the row writer
/// (UTF-8 fields bound straight into the INSERT) and once record by record. Every row of every synced table, every value
/// and its SQLite type, the run counts and the record-level warnings must be equal.
/// </summary>
public sealed class BulkRowCopyTests
{
    private static async Task<(CrmSyncStore Store, TempDirectory Home)> ProfileAsync(TestEmulator emulator, string name)
    {
        var client = emulator.CreateClient();
        var home = new TempDirectory("crmsync-bulk-rows-" + name);
        var store = await emulator.CreateSyncedProfileAsync(client, home, name);
        var result = await new SyncOrchestrator(store, client.Client, new SyncOptions
        {
            SchemaRefreshInterval = null,
            InitialStrategy = CrmFullReadStrategy.Bulk,
            BulkPageSize = 150,
            BulkRowWriter = name == "rows",
        }).RunCycleAsync(null, CancellationToken.None);
        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        return (store, home);
    }

    [Fact]
    public async Task The_row_writer_stores_every_value_exactly_as_the_record_path_does()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 400, Contacts = 300, Accounts = 3 });
        var data = emulator.Host.Data;
        data.Insert("Lead", new Dictionary<string, object?>
        {
            ["LastName"] = "Quote \"inside\", a comma,\nand a new line",
            ["FirstName"] = "Zoë ünïcødé 漢字 🙂",
            ["Company"] = "Acme, \"Quoted\" Ltd",
            ["Title"] = "",
            ["Email"] = "MiXeD.Case@Example.COM",
            ["AnnualRevenue"] = 1234567890123456.78m, // 18 significant digits: a misfit of the NUMERIC column, reported
            ["NumberOfEmployees"] = 2_000_000_000,
        });
        data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Small", ["Company"] = "C", ["AnnualRevenue"] = 0.05m, ["NumberOfEmployees"] = 0 });
        data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Negative", ["Company"] = "C", ["AnnualRevenue"] = -12.50m });
        var converted = data.List("Lead").Select(r => (string)r["Id"]!).First();
        data.ConvertLead(new LeadConvertRequest { LeadId = converted });
        emulator.Clock.Advance(TimeSpan.FromMinutes(1));

        var (rows, rowsHome) = await ProfileAsync(emulator, "rows");
        var (records, recordsHome) = await ProfileAsync(emulator, "records");
        using (rowsHome)
        using (recordsHome)
        using (rows)
        using (records)
        {
            var tables = StoreDump.Tables(rows);
            Assert.Contains("person", tables);
            Assert.Equal(tables, StoreDump.Tables(records));
            foreach (var table in tables)
            {
                var expected = StoreDump.Rows(records, table, SystemColumns.SyncedAt);
                var actual = StoreDump.Rows(rows, table, SystemColumns.SyncedAt);
                Assert.Equal(expected.Count, actual.Count);
                for (var i = 0; i < expected.Count; i++)
                    Assert.Equal(expected[i], actual[i]);
            }
            Assert.True(StoreDump.Rows(rows, "person", SystemColumns.SyncedAt).Count >= 703);
            Assert.Equal(StoreDump.Scalar(records, "SELECT count(*) FROM crmsync_error"), StoreDump.Scalar(rows, "SELECT count(*) FROM crmsync_error"));
            Assert.Equal(1L, StoreDump.Scalar(rows, "SELECT count(*) FROM crmsync_error WHERE message LIKE '%AnnualRevenue%significant digits%'"));
            Assert.Equal(1L, StoreDump.Scalar(rows, $"SELECT count(*) FROM person WHERE _converted_from_lead_id = '{converted}'"));
            // The awkward text arrives exactly as the CRM holds it (quotes, comma, new line, non-ASCII).
            Assert.Equal("Zoë ünïcødé 漢字 🙂", StoreDump.Scalar(rows, "SELECT FirstName FROM person WHERE LastName = 'Quote \"inside\", a comma,' || char(10) || 'and a new line'"));
            Assert.Equal("Acme, \"Quoted\" Ltd", StoreDump.Scalar(rows, "SELECT Company FROM person WHERE FirstName LIKE 'Zo%'"));
        }
        SqliteConnection.ClearAllPools();
    }
}
