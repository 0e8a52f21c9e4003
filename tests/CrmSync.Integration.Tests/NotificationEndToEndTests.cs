using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests;

/// <summary>
/// Issue 14 as an administrator meets it: Start-CrmSync's handler against the emulator over loopback HTTP, with the real
/// Salesforce client signing in at every start (as the saved profile does), and a real SMTP server on 127.0.0.1. Fake time
/// is the emulator's clock, which the profile's store reads too.
/// </summary>
public sealed class NotificationEndToEndTests
{
    [Fact]
    public async Task Initial_sync_digest_trouble_and_recovery_arrive_once_each_and_a_broken_smtp_server_never_fails_a_sync()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 4, Contacts = 2, Accounts = 1 });
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var home = new TempDataFolder("crmsync-notify-e2e-");
        var storeClock = new FakeTimeProvider(emulator.Clock);
        var profiles = new ProfileStore(new ProfileLocator(home.Paths), storeClock);
        using var store = profiles.Create(new ProfileInfo
        {
            Name = "e2e", Crm = CrmKind.Salesforce, LoginUrl = emulator.Host.BaseUrl, InstanceUrl = emulator.Host.BaseUrl,
            UserName = emulator.Host.Credentials.Username, ApiVersion = "62.0",
        });
        var setup = emulator.CreateClient();
        var snapshot = await new CrmSchemaDiscovery(setup.Schema, SyncedObjectCatalog.Salesforce).DiscoverAsync(null, CancellationToken.None);
        new FieldSyncApplier(store, SyncedObjectCatalog.Salesforce).Apply(
            new FieldSyncPlanner(SyncedObjectCatalog.Salesforce).Plan(snapshot, FieldSyncState.Read(store), FieldExclusionSet.Empty));
        // the SMTP server is set before the first start; the recipient comes with the first start
        NotificationSetup.Save(store, new NotificationSettings
        {
            SmtpServer = smtp.Host, Port = smtp.Port, TlsMode = SmtpTlsMode.None, Sender = "crmsync@example.com", Timeout = TimeSpan.FromSeconds(3),
        });
        var notifier = new SyncNotifier(NotificationSecretStore.ForCurrentPlatform(home.Paths));
        string? password = null; // null: the right one

        async Task<ICrmClient> SignInAsync(CrmSyncStore _, CrmClientOptions options, CancellationToken cancellationToken)
        {
            var client = CrmClientFactory.Create(emulator.Settings(password: password), new CrmClientOptions
            {
                TimeProvider = new FakeTimeProvider(emulator.Clock), Events = options.Events, ApiUsage = options.ApiUsage,
                Resilience = new CrmResilienceOptions(),
            });
            try
            {
                await client.Session.LoginAsync(cancellationToken);
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        async Task<(FakeCommandHost Host, SyncRunResult? Result)> StartAsync(StartSyncOptions? options = null)
        {
            emulator.Clock.Advance(TimeSpan.FromMinutes(5));
            var host = new FakeCommandHost(answer: true);
            var command = new StartSyncCommand(profiles, (options ?? new StartSyncOptions()) with { Profile = "e2e", DatabasePath = store.DatabasePath },
                SignInAsync, notifier);
            await command.ExecuteAsync(host, CancellationToken.None);
            return (host, host.OutputOf<SyncRunResult>().SingleOrDefault());
        }

        // 1. the first start of the profile with a recipient: exactly one "initial sync completed" mail
        var (first, initial) = await StartAsync(new StartSyncOptions { NotifyEmail = ["admin@example.com"] });
        Assert.True(initial!.InitialSyncCompleted, initial.Error?.ToString());
        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("[CrmSync e2e] Initial sync completed", mail.Subject);
        Assert.Equal(["admin@example.com"], mail.To);
        Assert.Matches(@"Lead\s+4\b", mail.Text);
        Assert.Matches(@"Contact\s+2\b", mail.Text);
        Assert.Contains(store.DatabasePath, mail.Text, StringComparison.Ordinal);
        Assert.Contains("<td>Account</td><td>1</td>", mail.Html, StringComparison.Ordinal);
        Assert.Empty(first.Errors);

        // 2. a cycle in which the CRM rejects a record: no digest yet, one within 24 hours of fake time
        var lead = (string)emulator.Host.Data.List("Lead")[0]["Id"]!;
        emulator.Host.Faults.Add(new FaultRule
        {
            Kind = FaultKind.RecordError, RecordIds = [lead], ErrorCode = "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message = "Title is not allowed", Count = 1,
        });
        Sql(store, $"UPDATE person SET Title = 'Rejected' WHERE _crm_id = '{lead}';");
        var (_, rejected) = await StartAsync();
        Assert.Equal(RunState.Succeeded, rejected!.State);
        Assert.Equal(1, rejected.Counts.Where(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PushUpdates).Sum(c => c.Failed));
        Assert.Single(smtp.Received);

        emulator.Clock.Advance(TimeSpan.FromHours(24));
        await StartAsync();
        var digest = (await smtp.WaitForAsync(2))[1];
        Assert.Equal("[CrmSync e2e] 1 record(s) failed to sync", digest.Subject);
        Assert.Contains(lead, digest.Text, StringComparison.Ordinal);
        Assert.Contains("FIELD_CUSTOM_VALIDATION_EXCEPTION", digest.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Rejected", digest.Text, StringComparison.Ordinal); // ids and the CRM's message, no field values

        // 3. the CRM rejects the credentials at sign-in: a trouble mail; the right password again: a recovery mail
        password = "not-the-password";
        var signIn = await Assert.ThrowsAsync<CrmSyncException>(() => StartAsync());
        Assert.Equal(ErrorIds.InvalidCredentials, signIn.ErrorId);
        var trouble = (await smtp.WaitForAsync(3))[2];
        Assert.Equal("[CrmSync e2e] Sync in trouble: Salesforce rejected the sync user's credentials", trouble.Subject);
        Assert.DoesNotContain("not-the-password", trouble.Text + trouble.Html, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CrmSyncException>(() => StartAsync()); // still rejected: no second trouble mail
        Assert.Equal(3, smtp.Received.Count);

        password = null;
        var (_, recovered) = await StartAsync();
        Assert.Equal(RunState.Succeeded, recovered!.State);
        var recovery = (await smtp.WaitForAsync(4))[3];
        Assert.Equal("[CrmSync e2e] Sync recovered", recovery.Subject);

        // 4. a broken SMTP server never fails a sync: the trouble mail waits and the status shows why
        NotificationSetup.Save(store, NotificationSetup.Read(store)! with { Port = LocalSmtpServer.FreePort() });
        password = "not-the-password";
        await Assert.ThrowsAsync<CrmSyncException>(() => StartAsync()); // the sign-in error is the one reported, not the mail
        password = null;
        var (quiet, afterBroken) = await StartAsync();
        Assert.Equal(RunState.Succeeded, afterBroken!.State);
        Assert.Empty(quiet.Errors);
        Assert.Contains(quiet.Warnings, w => w.Contains("not sent", StringComparison.Ordinal));
        var status = SyncStatusReader.Read(store);
        Assert.Equal(SyncState.LastSynced, status.State);
        Assert.Equal(2, status.Notification!.Pending); // the trouble and the recovery, retried after a later cycle
        Assert.NotNull(status.Notification.LastError);

        NotificationSetup.Save(store, NotificationSetup.Read(store)! with { Port = smtp.Port });
        await StartAsync();
        var late = await smtp.WaitForAsync(6);
        Assert.Contains("Sync in trouble", late[4].Subject, StringComparison.Ordinal);
        Assert.Equal("[CrmSync e2e] Sync recovered", late[5].Subject);
        Assert.Equal(0, SyncStatusReader.Read(store).Notification!.Pending);
        Assert.Single(smtp.Received, m => m.Subject.EndsWith("Initial sync completed", StringComparison.Ordinal));
        SqliteConnection.ClearAllPools();
    }

    private static void Sql(CrmSyncStore store, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000; " + sql;
        command.ExecuteNonQuery();
    }
}
