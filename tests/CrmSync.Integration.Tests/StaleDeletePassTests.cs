using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine;
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
/// The sync did not run for longer than Salesforce keeps deleted records (15 days in the recycle bin and the /deleted log):
/// records deleted and purged meanwhile are in neither, so the pull reads each object in full again and flags the local
/// rows it did not return, against the emulator over loopback HTTP.
/// </summary>
public sealed class StaleDeletePassTests
{
    private sealed class Bed : IAsyncDisposable
    {
        private readonly TempDirectory _home;

        private Bed(TestEmulator emulator, TestClient client, CrmSyncStore store, TempDirectory home)
        {
            Emulator = emulator;
            Client = client;
            Store = store;
            _home = home;
        }

        public TestEmulator Emulator { get; }
        public TestClient Client { get; }
        public CrmSyncStore Store { get; }

        public static async Task<Bed> StartAsync(SeedPlan seed)
        {
            var emulator = await TestEmulator.StartAsync(seed);
            var client = emulator.CreateClient();
            var home = new TempDirectory("crmsync-stale-deletes-profile");
            var store = await emulator.CreateSyncedProfileAsync(client, home, "stale");
            return new Bed(emulator, client, store, home);
        }

        public async Task<SyncRunResult> CycleAsync(SyncOptions options, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            Emulator.Clock.Advance(TimeSpan.FromMinutes(1));
            var orchestrator = new SyncOrchestrator(Store, Client.Client, options, new PushPhase(Store));
            return await orchestrator.RunCycleAsync(progress, cancellationToken);
        }

        public async Task<SyncRunResult> SucceededCycleAsync(SyncOptions options)
        {
            var result = await CycleAsync(options);
            Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
            return result;
        }

        /// <summary>SQL through a connection of its own, like the sqlite3 CLI.</summary>
        public void Sql(string sql) => StoreDump.Sql(Store, sql);

        public object? Scalar(string sql) => StoreDump.Scalar(Store, sql);

        public long Deleted(string crmId) => (long)Scalar($"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{crmId}'")!;

        public async ValueTask DisposeAsync()
        {
            Store.Dispose();
            SqliteConnection.ClearAllPools();
            await Emulator.DisposeAsync();
            _home.Dispose();
        }
    }

    private sealed class OnPage(Action<SyncProgress> action) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => action(value);
    }

    private static SyncOperationCount Count(SyncRunResult result, string objectName, RunOperation operation) =>
        result.Counts.SingleOrDefault(c => c.ObjectName == objectName && c.Operation == operation)
        ?? new SyncOperationCount(objectName, operation, 0, 0, 0, 0, 0);

    private static bool IsStaleWarning(string warning) =>
        warning.Contains("longer ago than the CRM keeps deleted records", StringComparison.Ordinal);

    private static List<string> Ids(Bed bed, string sobject) =>
        bed.Emulator.Host.Data.List(sobject).Select(r => (string)r["Id"]!).ToList();

    [Fact]
    public async Task Records_deleted_and_purged_while_the_sync_did_not_run_for_20_days_are_flagged_by_a_full_bulk_reread()
    {
        // Bulk strategy: the initial copy takes bulk rows; the re-read takes bulk records (their ids are marked).
        var options = new SyncOptions { SchemaRefreshInterval = null, InitialStrategy = CrmFullReadStrategy.Bulk };
        await using var bed = await Bed.StartAsync(new SeedPlan { Leads = 8, Contacts = 4, Accounts = 2 });
        await bed.SucceededCycleAsync(options);
        await bed.SucceededCycleAsync(options);
        var leads = Ids(bed, "Lead");
        var contacts = Ids(bed, "Contact");
        var (gone, changed, goneContact) = (leads[0], leads[1], contacts[0]);
        Assert.Equal(0L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1"));

        // Deleted in Salesforce, then 20 days without a sync: the recycle bin is emptied and the /deleted log no longer reaches back.
        bed.Emulator.Host.Data.Delete("Lead", gone);
        bed.Emulator.Host.Data.Delete("Contact", goneContact);
        bed.Emulator.Host.Data.Update("Lead", changed, new Dictionary<string, object?> { ["Title"] = "Changed while away" });
        bed.Emulator.Clock.Advance(TimeSpan.FromDays(20));
        Assert.Equal(1, bed.Emulator.Host.Data.EmptyRecycleBin("Lead"));
        Assert.Equal(1, bed.Emulator.Host.Data.EmptyRecycleBin("Contact"));
        bed.Sql("INSERT INTO person (FirstName, LastName, Email, Company) VALUES ('Una', 'Pushed', 'una@example.com', 'Una Co');");
        var jobsBefore = bed.Client.Wire.Count("/jobs/query", HttpMethod.Post);

        var result = await bed.SucceededCycleAsync(options);

        Assert.Equal(1L, bed.Deleted(gone));
        Assert.Equal(1L, bed.Deleted(goneContact));
        Assert.True(bed.Client.Wire.Count("/jobs/query", HttpMethod.Post) > jobsBefore, "the re-read did not use the bulk API");
        Assert.Contains(result.Warnings, w => IsStaleWarning(w) && w.Contains("Lead", StringComparison.Ordinal)
                                              && w.Contains("flagged deleted", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("Reset", StringComparison.Ordinal));
        Assert.Equal(1, Count(result, "Lead", RunOperation.PullDeletes).Deleted);
        Assert.Equal(1, Count(result, "Contact", RunOperation.PullDeletes).Deleted);
        // Still in Salesforce: live, with the change made while the sync was away.
        Assert.Equal("Changed while away", bed.Scalar($"SELECT Title FROM person WHERE _crm_id = '{changed}'"));
        Assert.Equal(2L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1"));
        Assert.Equal(0L, bed.Scalar("SELECT count(*) FROM account WHERE _crm_is_deleted = 1"));
        // Created locally and not pushed when the re-read ended: untouched by it, then pushed by the same cycle.
        Assert.Equal(0L, bed.Scalar("SELECT _crm_is_deleted FROM person WHERE Email = 'una@example.com'"));
        Assert.Equal(1, Count(result, "Lead", RunOperation.PushNew).New);
        Assert.Equal(0L, bed.Store.RereadMarks.Count("Lead"));
        Assert.Null(bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial));
        Assert.Empty(result.InitialCopiesCompleted);

        var next = await bed.SucceededCycleAsync(options);

        Assert.Equal(RunKind.Incremental, next.Kind);
        Assert.DoesNotContain(next.Warnings, IsStaleWarning);
        Assert.Equal(1L, bed.Deleted(gone));
        Assert.Equal(0L, bed.Scalar("SELECT _crm_is_deleted FROM person WHERE Email = 'una@example.com'"));
        Assert.Equal(2L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1"));
    }

    [Fact]
    public async Task A_stale_delete_pass_reread_stopped_after_a_page_resumes_as_a_reread_and_flags_exactly_the_unseen_rows()
    {
        var options = new SyncOptions { SchemaRefreshInterval = null, InitialStrategy = CrmFullReadStrategy.Paged, PageSize = 200 };
        await using var bed = await Bed.StartAsync(new SeedPlan { Leads = 450, Contacts = 2, Accounts = 1 });
        await bed.SucceededCycleAsync(options);
        await bed.SucceededCycleAsync(options);
        var leads = Ids(bed, "Lead");
        var (early, late) = (leads[3], leads[^3]);
        bed.Emulator.Host.Data.Delete("Lead", early);
        bed.Emulator.Host.Data.Delete("Lead", late);
        bed.Emulator.Clock.Advance(TimeSpan.FromDays(16));
        bed.Emulator.Host.Data.EmptyRecycleBin("Lead");

        using var stop = new CancellationTokenSource();
        var stopped = await bed.CycleAsync(options, new OnPage(p =>
        {
            if (p.ObjectName == "Lead" && p.Phase == SyncPhase.InitialCopy && p.Done > 0)
                stop.Cancel(); // as a kill after the re-read's first committed page
        }), stop.Token);

        Assert.Equal(RunState.Cancelled, stopped.State);
        Assert.Contains(stopped.Warnings, w => IsStaleWarning(w) && w.Contains("Lead", StringComparison.Ordinal));
        Assert.Contains("\"reread\":true", bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial)!.CursorJson, StringComparison.Ordinal);
        Assert.True(bed.Store.RereadMarks.Count("Lead") > 0);
        Assert.Equal(0L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1")); // nothing is flagged before the read ends

        var resumed = await bed.SucceededCycleAsync(options);

        Assert.Null(bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial));
        Assert.Equal(1L, bed.Deleted(early));
        Assert.Equal(1L, bed.Deleted(late));
        Assert.Equal(2L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1"));
        Assert.Equal(2, Count(resumed, "Lead", RunOperation.PullDeletes).Deleted);
        Assert.Empty(resumed.InitialCopiesCompleted); // a resumed re-read is still no initial copy
        Assert.Equal(0L, bed.Store.RereadMarks.Count("Lead"));

        var next = await bed.SucceededCycleAsync(options);
        Assert.Equal(RunKind.Incremental, next.Kind);
        Assert.DoesNotContain(next.Warnings, IsStaleWarning);
    }
}
