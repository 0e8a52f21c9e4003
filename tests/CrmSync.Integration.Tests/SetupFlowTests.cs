using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests;

/// <summary>
/// Issue 4's "Done when", tried as a new user would against the emulator: a wrong security token fails and the right one
/// connects; Sync-CrmField -WhatIf lists exactly the fields the user can see (the restricted user fewer) less the exclusions;
/// confirming creates them as SQLite columns; a second run adds nothing.
/// </summary>
public sealed class SetupFlowTests
{
    private static ConnectionRequest Request(TestEmulator emulator, string profile, string username, string token) => new()
    {
        Crm = CrmKind.Salesforce,
        Profile = profile,
        LoginUrl = new Uri(emulator.Host.BaseUrl),
        Username = username,
        Password = SecretValue.Copy(emulator.Host.Credentials.Password),
        SecurityToken = SecretValue.Copy(token),
    };

    private static Task<(SyncFieldsCommand Command, FakeCommandHost Host)> SyncFieldsAsync(ProfileConnector connector, string profile, bool confirm,
        params string[] exclude) => SyncFieldsAsync(connector, profile, confirm, exclude, []);

    private static async Task<(SyncFieldsCommand Command, FakeCommandHost Host)> SyncFieldsAsync(ProfileConnector connector, string profile, bool confirm,
        string[] exclude, string[] field)
    {
        var clients = new List<ICrmClient>();
        try
        {
            var command = new SyncFieldsCommand(connector.Profiles, new SyncFieldsOptions { Profile = profile, ExcludeField = exclude, Field = field }, async (row, ct) =>
            {
                var client = await connector.OpenClientAsync(row.Name, null, new CrmClientOptions(), ct);
                clients.Add(client);
                return client.Schema;
            });
            var host = new FakeCommandHost { Answer = confirm };
            await command.ExecuteAsync(host, CancellationToken.None);
            return (command, host);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static HashSet<string> Columns(string databasePath, string table)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info($t)";
        command.Parameters.AddWithValue("$t", table);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var reader = command.ExecuteReader();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public async Task Connect_then_sync_fields_what_if_confirm_and_rerun()
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var home = new TempDirectory("crmsync-it-setup");
        var connector = new ProfileConnector(new CrmSyncPaths(home.Path), registry: new CrmConnectionRegistry());
        var credentials = emulator.Host.Credentials;

        using (var wrong = Request(emulator, "default", credentials.Username, "wrongtoken"))
        {
            var ex = await Assert.ThrowsAsync<CrmSyncException>(() => new ConnectCommand(connector, wrong).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));
            Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
            Assert.Contains("security token", ex.Message, StringComparison.OrdinalIgnoreCase);
        }
        foreach (var (profile, user) in new[] { ("default", credentials.Username), ("restricted", credentials.RestrictedUsername) })
        {
            using var right = Request(emulator, profile, user, credentials.SecurityToken);
            await new ConnectCommand(connector, right).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        }

        // -WhatIf: the plan, nothing created.
        var (whatIf, whatIfHost) = await SyncFieldsAsync(connector, "default", confirm: false, "Lead.Jigsaw*");
        var (restrictedWhatIf, _) = await SyncFieldsAsync(connector, "restricted", confirm: false);
        Assert.Null(whatIf.Result);
        Assert.Single(whatIfHost.ShouldProcessCalls);
        var databasePath = connector.Profiles.Locator.Resolve("default", null).DatabasePath;
        Assert.Empty(Columns(databasePath, "person"));

        static HashSet<string> Planned(FieldSyncPlan plan, string obj, params FieldPlanAction[] actions) =>
            plan.Entries.Where(e => e.ObjectName == obj && actions.Contains(e.Action)).Select(e => e.FieldName).ToHashSet(StringComparer.Ordinal);
        var leadDescribe = await DescribeAsync(emulator, "Lead", credentials.Username);
        var planned = whatIf.Plan!.Entries.Where(e => e.ObjectName == "Lead").Select(e => e.FieldName).ToHashSet(StringComparer.Ordinal);
        Assert.True(leadDescribe.SetEquals(planned), "the plan lists every Lead field the sync user can see: " +
            string.Join(",", leadDescribe.Except(planned)) + " / " + string.Join(",", planned.Except(leadDescribe)));
        Assert.Equal(["Jigsaw", "JigsawContactId"], Planned(whatIf.Plan, "Lead", FieldPlanAction.Excluded).Order(StringComparer.Ordinal));
        Assert.Contains("AnnualRevenue", Planned(whatIf.Plan, "Lead", FieldPlanAction.Create));
        var restrictedLead = restrictedWhatIf.Plan!.Entries.Where(e => e.ObjectName == "Lead").Select(e => e.FieldName).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["AnnualRevenue", "MobilePhone"], planned.Except(restrictedLead).Order(StringComparer.Ordinal));
        Assert.Empty(restrictedLead.Except(planned));

        // Confirmed: the fields become real columns.
        var (confirmed, _) = await SyncFieldsAsync(connector, "default", confirm: true, "Lead.Jigsaw*");
        Assert.NotNull(confirmed.Result);
        var person = Columns(databasePath, "person");
        Assert.Contains("Email", person);
        Assert.Contains("AnnualRevenue", person);
        Assert.Contains("CrmSync_Key__c", person);
        Assert.DoesNotContain("Jigsaw", person);
        Assert.Contains("_crm_id", person);
        Assert.NotEmpty(Columns(databasePath, "account"));

        // A second run adds nothing.
        var (again, againHost) = await SyncFieldsAsync(connector, "default", confirm: true, "Lead.Jigsaw*");
        Assert.Null(again.Result);
        Assert.Empty(againHost.ShouldProcessCalls);
        Assert.Empty(again.Plan!.With(FieldPlanAction.Create));
        Assert.Equal(person, Columns(databasePath, "person"));
    }

    [Fact]
    public async Task Sync_fields_with_a_field_selection_creates_only_selected_columns_also_after_a_refresh_cycle()
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var home = new TempDirectory("crmsync-it-select");
        var connector = new ProfileConnector(new CrmSyncPaths(home.Path), registry: new CrmConnectionRegistry());
        var credentials = emulator.Host.Credentials;
        using (var right = Request(emulator, "default", credentials.Username, credentials.SecurityToken))
            await new ConnectCommand(connector, right).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);

        var (confirmed, _) = await SyncFieldsAsync(connector, "default", confirm: true, ["Lead.Jigsaw*"], ["lead.*", "*.Phone"]);
        Assert.NotNull(confirmed.Result);
        var databasePath = connector.Profiles.Locator.Resolve("default", null).DatabasePath;
        var person = Columns(databasePath, "person");
        Assert.Contains("AnnualRevenue", person);   // lead.*
        Assert.Contains("Phone", person);
        Assert.Contains("CrmSync_Key__c", person);  // the sync needs it
        Assert.DoesNotContain("Jigsaw", person);     // excluded on top of the selection
        var account = Columns(databasePath, "account");
        Assert.Contains("Phone", account);
        var excluded = confirmed.Plan!.Entries.Where(e => e.Action == FieldPlanAction.Excluded && e.ObjectName == "Account").Select(e => e.FieldName).ToList();
        Assert.NotEmpty(excluded);
        Assert.All(excluded, f => Assert.DoesNotContain(f, account));

        // The CRM gains fields; the schema refresh of the next cycle creates only the selected one.
        using (var store = connector.Profiles.Open("default"))
        using (var client = await connector.OpenClientAsync(store, new CrmClientOptions(), CancellationToken.None))
        {
            var first = await new SyncOrchestrator(store, client, new SyncOptions { SchemaRefreshInterval = null }).RunCycleAsync(null, CancellationToken.None);
            Assert.True(first.State == RunState.Succeeded, first.Error?.ToString()); // the first start counts as a schema refresh
            emulator.Host.Data.AddField("Lead", "Region__c", "string", length: 80);
            emulator.Host.Data.AddField("Contact", "Hobby__c", "string", length: 80);
            await Task.Delay(20);
            var result = await new SyncOrchestrator(store, client, new SyncOptions { SchemaRefreshInterval = TimeSpan.FromTicks(1) }).RunCycleAsync(null, CancellationToken.None);
            Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
            Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.SyncSchema).New);
        }
        person = Columns(databasePath, "person");
        Assert.Contains("Region__c", person);
        Assert.DoesNotContain("Hobby__c", person);
    }

    private static async Task<HashSet<string>> DescribeAsync(TestEmulator emulator, string obj, string username)
    {
        var test = emulator.CreateClient(emulator.Settings(username: username));
        var schema = await test.Schema.DescribeAsync(obj, CancellationToken.None);
        return schema.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
    }
}
