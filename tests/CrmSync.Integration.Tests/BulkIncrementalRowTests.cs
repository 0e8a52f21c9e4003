using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests;

/// <summary>
/// An incremental cycle's bulk read applies the same CRM changes the same way with the row path (plain rows of a known id
/// updated from the CRM's bytes, new ones inserted) and record by record: two profiles copy the same seeded CRM, get the
/// same local edits (the conflict rule must still decide the fields edited on both sides), then one cycle reads the same
/// changes (updates with awkward text and a misfit value, a deletion, a merge, a conversion, a new lead) by one bulk job
/// each. Every row, value and SQLite type, the error log, the conflict journal and the waiting outbox must be equal.
/// </summary>
public sealed class BulkIncrementalRowTests
{
    private sealed record Profile(string Name, CrmSyncStore Store, TempDirectory Home, TestClient Client, PushPhase Push) : IDisposable
    {
        public void Dispose()
        {
            Store.Dispose();
            Home.Dispose();
        }

        public void Sql(string sql)
        {
            using var connection = Store.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The real push phase's change capture and pull conflict guard, without its push: the local edits stay waiting in the
    /// outbox (and the CRM stays as the test made it), so both profiles pull exactly the same changes.
    /// </summary>
    private sealed class GuardWithoutPush(PushPhase push) : IPushPhase, IPullConflictGuard
    {
        public Task RunAsync(SyncCycleContext context, CancellationToken cancellationToken) => Task.CompletedTask;

        public void PrepareCapture(CrmSyncStore store, SyncedObjectCatalog objects) => push.PrepareCapture(store, objects);

        public IReadOnlyCollection<string>? ColumnsToKeep(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId, CrmRecord record) =>
            push.ColumnsToKeep(transaction, plan, rowId, record);

        public bool HasWaitingChanges(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId) =>
            push.HasWaitingChanges(transaction, plan, rowId);
    }

    private static SyncOptions Options(string name) => new()
    {
        SchemaRefreshInterval = null,
        InitialStrategy = CrmFullReadStrategy.Bulk,
        PageSize = 200, // the smallest Salesforce page: more changes than one page is what sends a read to the bulk API
        IncrementalBulkChanges = 100,
        BulkPageSize = 150,
        BulkRowWriter = name == "rows",
    };

    private static async Task<Profile> ProfileAsync(TestEmulator emulator, string name)
    {
        var client = emulator.CreateClient();
        var home = new TempDirectory("crmsync-bulk-incremental-rows-" + name);
        var store = await emulator.CreateSyncedProfileAsync(client, home, name);
        var profile = new Profile(name, store, home, client, new PushPhase(store));
        await CycleAsync(profile); // the initial copy, by bulk
        return profile;
    }

    private static async Task<SyncRunResult> CycleAsync(Profile profile)
    {
        var result = await new SyncOrchestrator(profile.Store, profile.Client.Client, Options(profile.Name), new GuardWithoutPush(profile.Push))
            .RunCycleAsync(null, CancellationToken.None);
        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        return result;
    }

    [Fact]
    public async Task The_row_path_applies_an_incremental_bulk_read_exactly_as_the_record_path_does()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 400, Contacts = 300, Accounts = 3 });
        var data = emulator.Host.Data;
        using var rows = await ProfileAsync(emulator, "rows");
        using var records = await ProfileAsync(emulator, "records");

        emulator.Clock.Advance(TimeSpan.FromMinutes(10));
        var leads = data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        var contacts = data.List("Contact").Select(r => (string)r["Id"]!).ToList();
        for (var i = 0; i < 250; i++)
            data.Update("Lead", leads[i], new Dictionary<string, object?>
            {
                ["Title"] = i % 3 == 0 ? $"Quote \"{i}\", a comma,\nZoë 漢字 🙂" : i % 3 == 1 ? "" : $"Changed {i}",
                ["Email"] = $"Changed.{i}@Example.COM",
                ["NumberOfEmployees"] = i,
                ["AnnualRevenue"] = i == 7 ? 1234567890123456.78m : i * 10.25m, // 18 significant digits: a misfit, reported
            });
        for (var i = 0; i < 250; i++)
            data.Update("Contact", contacts[i], new Dictionary<string, object?> { ["Title"] = $"Contact {i}", ["Phone"] = null });
        data.Delete("Lead", leads[300]);
        data.Merge("Lead", leads[301], leads[302]);
        data.ConvertLead(new LeadConvertRequest { LeadId = leads[303], DoNotCreateOpportunity = true });
        data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "New in the CRM", ["Company"] = "C", ["AnnualRevenue"] = -12.50m });
        // Edited on both sides: the lead's local Title wins, the contact's CRM Title wins (Marketo's rule); a local edit of
        // another field (Phone) than the CRM changed stays.
        data.Update("Lead", leads[310], new Dictionary<string, object?> { ["Title"] = "CRM lead title" });
        data.Update("Contact", contacts[200], new Dictionary<string, object?> { ["Title"] = "CRM contact title" });
        data.Update("Lead", leads[311], new Dictionary<string, object?> { ["Title"] = "CRM title beside a local phone" });
        emulator.Clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var profile in new[] { rows, records })
        {
            profile.Sql($"UPDATE person SET Title = 'Local lead title' WHERE _crm_id = '{leads[310]}';");
            profile.Sql($"UPDATE person SET Title = 'Local contact title' WHERE _crm_id = '{contacts[200]}';");
            profile.Sql($"UPDATE person SET Phone = '+1 555 0100' WHERE _crm_id = '{leads[311]}';");
        }
        var waiting = StoreDump.Scalar(rows.Store, "SELECT count(*) FROM crmsync_outbox WHERE state = 'Pending'");
        Assert.Equal(3L, waiting);

        var runs = new Dictionary<string, SyncRunResult>();
        foreach (var profile in new[] { rows, records })
        {
            var jobs = profile.Client.Wire.Count("/jobs/query", HttpMethod.Post);
            runs[profile.Name] = await CycleAsync(profile);
            Assert.Equal(2, profile.Client.Wire.Count("/jobs/query", HttpMethod.Post) - jobs); // Lead's and Contact's changes, one bulk job each
        }

        var tables = StoreDump.Tables(rows.Store);
        Assert.Contains("person", tables);
        Assert.Equal(tables, StoreDump.Tables(records.Store));
        foreach (var table in tables)
        {
            var expected = StoreDump.Rows(records.Store, table, SystemColumns.SyncedAt, SystemColumns.LocalUpdatedAt);
            var actual = StoreDump.Rows(rows.Store, table, SystemColumns.SyncedAt, SystemColumns.LocalUpdatedAt);
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var differing = expected[i].Split(" | ").Zip(actual[i].Split(" | ")).Where(p => p.First != p.Second)
                    .Select(p => $"{p.First} (record path) / {p.Second} (row path)").ToList();
                Assert.True(differing.Count == 0, $"{table} row {i}: {string.Join("; ", differing)}");
            }
        }
        Assert.Equal(Errors(records.Store), Errors(rows.Store));
        Assert.Equal(1L, StoreDump.Scalar(rows.Store, "SELECT count(*) FROM crmsync_error WHERE message LIKE '%AnnualRevenue%significant digits%'"));
        Assert.Equal(Conflicts(records.Store, runs["records"].RunId), Conflicts(rows.Store, runs["rows"].RunId));
        Assert.Equal(2, Conflicts(rows.Store, runs["rows"].RunId).Count);
        // The sync's own writes are not local edits: the outbox holds the local edits that still have a column to push (the
        // contact's Title lost to the CRM) and nothing else, in both profiles.
        Assert.Equal(2L, StoreDump.Scalar(records.Store, "SELECT count(*) FROM crmsync_outbox WHERE state = 'Pending'"));
        Assert.Equal(StoreDump.Strings(records.Store, "SELECT row_key || ' ' || changed_columns FROM crmsync_outbox WHERE state = 'Pending' ORDER BY id"),
            StoreDump.Strings(rows.Store, "SELECT row_key || ' ' || changed_columns FROM crmsync_outbox WHERE state = 'Pending' ORDER BY id"));
        Assert.Equal(runs["records"].Counts.Select(c => c.ToString()), runs["rows"].Counts.Select(c => c.ToString()));

        // And what they hold is what the CRM and the rule say.
        Assert.Equal("Local lead title", StoreDump.Scalar(rows.Store, $"SELECT Title FROM person WHERE _crm_id = '{leads[310]}'"));
        Assert.Equal("CRM contact title", StoreDump.Scalar(rows.Store, $"SELECT Title FROM person WHERE _crm_id = '{contacts[200]}'"));
        Assert.Equal("CRM title beside a local phone", StoreDump.Scalar(rows.Store, $"SELECT Title FROM person WHERE _crm_id = '{leads[311]}'"));
        Assert.Equal("+1 555 0100", StoreDump.Scalar(rows.Store, $"SELECT Phone FROM person WHERE _crm_id = '{leads[311]}'"));
        Assert.Equal("Quote \"0\", a comma,\nZoë 漢字 🙂", StoreDump.Scalar(rows.Store, $"SELECT Title FROM person WHERE _crm_id = '{leads[0]}'"));
        Assert.Equal("Changed 2", StoreDump.Scalar(rows.Store, $"SELECT Title FROM person WHERE _crm_id = '{leads[2]}'"));
        Assert.Equal(149L, StoreDump.Scalar(rows.Store, $"SELECT NumberOfEmployees FROM person WHERE _crm_id = '{leads[149]}'"));
        Assert.Equal(1L, StoreDump.Scalar(rows.Store, $"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{leads[300]}'"));
        Assert.Equal(1L, StoreDump.Scalar(rows.Store, $"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{leads[302]}'"));
        Assert.Equal(1L, StoreDump.Scalar(rows.Store, $"SELECT count(*) FROM person WHERE _converted_from_lead_id = '{leads[303]}'"));
        Assert.Equal(1L, StoreDump.Scalar(rows.Store, "SELECT count(*) FROM person WHERE LastName = 'New in the CRM'"));
        Assert.Equal(249L, StoreDump.Scalar(rows.Store, "SELECT count(*) FROM person WHERE Title LIKE 'Contact %' AND _crm_type = 'Contact'"));
        SqliteConnection.ClearAllPools();
    }

    private static List<string> Errors(CrmSyncStore store) =>
        StoreDump.Strings(store, "SELECT error_id || ' ' || coalesce(crm_id, '') || ' ' || message FROM crmsync_error ORDER BY error_id, crm_id, message");

    private static List<string> Conflicts(CrmSyncStore store, long runId) =>
        store.Conflicts.List(runId).Select(c => $"{c.CrmId} {c.FieldName} {c.LocalValue} {c.CrmValue} {c.Winner}").Order(StringComparer.Ordinal).ToList();
}
