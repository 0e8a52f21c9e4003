using System.Text;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Hosting;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;
using EmulatorKind = CrmSync.Emulator.Hosting.CrmKind;
using CrmKind = CrmSync.Engine.Crm.CrmKind;

namespace CrmSync.Integration.Tests;

/// <summary>
/// Connect-CrmSync -Crm Dynamics and Test-CrmSyncConnection end to end against the emulator's Dataverse org and its Entra
/// authority (real token, WhoAmI, metadata and $batch reads over loopback HTTP), and Test-CrmSyncConnection for Salesforce.
/// </summary>
public sealed class DynamicsConnectTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private sealed class Dataverse : IAsyncDisposable
    {
        public required EmulatorHost Host { get; init; }
        public DynamicsOrg Org => Host.Dynamics!;
        public Uri Url => new(Host.BaseUrl);
        public TempDirectory Home { get; } = new("crmsync-it-dynamics");
        public ProfileConnector Connector => new(new CrmSyncPaths(Home.Path), registry: new CrmConnectionRegistry());

        public ConnectionRequest Password(string? password = null, string profile = "d365", string? filter = null) => new()
        {
            Crm = CrmKind.Dynamics, Profile = profile, Url = Url, LoginUrl = Url, Username = Org.Credentials.SyncUserUpn,
            Password = SecretValue.Copy(password ?? Org.Credentials.Password), SyncFilterField = filter,
        };

        public ConnectionRequest Application(string? secret = null, string profile = "app") => new()
        {
            Crm = CrmKind.Dynamics, Profile = profile, Url = Url, LoginUrl = Url, TenantId = Org.Credentials.TenantId,
            ClientId = Org.Credentials.ClientId, ClientSecret = SecretValue.Copy(secret ?? Org.Credentials.ClientSecret),
        };

        public async Task<CrmConnectionInfo> ConnectAsync(ConnectionRequest request, FakeCommandHost? host = null)
        {
            using (request)
            {
                var command = new ConnectCommand(Connector, request);
                await command.ExecuteAsync(host ?? new FakeCommandHost(), CancellationToken.None);
                return command.Result!;
            }
        }

        public async Task<IReadOnlyList<CrmConnectionCheck>> TestAsync(string profile = "d365", string? filter = null)
        {
            var host = new FakeCommandHost();
            await new TestConnectionCommand(Connector, new TestConnectionOptions { Profile = profile, SyncFilterField = filter }).ExecuteAsync(host, CancellationToken.None);
            Assert.Empty(host.Errors);
            return host.OutputOf<CrmConnectionCheck>();
        }

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            Home.Dispose();
        }
    }

    private static async Task<Dataverse> StartAsync() => new()
    {
        Host = await EmulatorHost.StartAsync(new EmulatorOptions { Crm = EmulatorKind.Dynamics, TimeProvider = EmulatorClock.Frozen(Start) }),
    };

    private static async Task<CrmSyncException> ConnectFails(Dataverse dv, ConnectionRequest request)
    {
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => dv.ConnectAsync(request));
        Assert.Empty(Directory.EnumerateFiles(dv.Home.Path, "*", SearchOption.AllDirectories));
        return ex;
    }

    [Fact]
    public async Task The_sync_user_connects_with_the_password_grant_and_a_fresh_process_reopens_the_profile()
    {
        await using var dv = await StartAsync();
        var host = new FakeCommandHost();

        var info = await dv.ConnectAsync(dv.Password(filter: "new_synctomkto"), host);

        Assert.Equal(CrmKind.Dynamics, info.Crm);
        Assert.Equal(dv.Org.SyncUser.Id.ToString(), info.UserId, ignoreCase: true);
        Assert.Equal(dv.Org.Store.OrganizationId.ToString(), info.OrganizationId, ignoreCase: true);
        Assert.Equal(dv.Org.Credentials.SyncUserUpn, info.UserName);
        Assert.Equal(CrmAuthMethod.Password, info.AuthMethod);
        Assert.Equal("9.2", info.ApiVersion);
        Assert.True(info.ProfileCreated);
        Assert.Contains(host.Verbose, v => v.Contains("Entra ID password grant", StringComparison.Ordinal));
        Assert.Equal([SecretNames.Password], dv.Connector.Secrets.ListNames("d365"));
        foreach (var file in Directory.EnumerateFiles(dv.Home.Path, "*", SearchOption.AllDirectories))
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(Encoding.UTF8.GetBytes(dv.Org.Credentials.Password)) < 0, $"{file} holds the password in clear");

        using var store = dv.Connector.Profiles.Open("d365");
        var row = store.Profile.Read()!;
        Assert.Equal(CrmKind.Dynamics, row.Crm);
        Assert.Equal("new_synctomkto", row.SyncFilterField);
        using var client = await dv.Connector.OpenClientAsync("d365", null, new CrmClientOptions(), CancellationToken.None);
        Assert.Equal(dv.Org.SyncUser.Id.ToString(), client.Session.Identity!.UserId, ignoreCase: true);
    }

    [Fact]
    public async Task The_Application_User_connects_with_client_credentials_and_keeps_the_tenant()
    {
        await using var dv = await StartAsync();

        var info = await dv.ConnectAsync(dv.Application());

        Assert.Equal(CrmAuthMethod.ClientCredentials, info.AuthMethod);
        Assert.Equal(dv.Org.ApplicationUser.Id.ToString(), info.UserId, ignoreCase: true);
        Assert.Equal([SecretNames.ClientSecret], dv.Connector.Secrets.ListNames("app"));
        using var client = await dv.Connector.OpenClientAsync("app", null, new CrmClientOptions(), CancellationToken.None);
        Assert.Equal(dv.Org.ApplicationUser.Id.ToString(), client.Session.Identity!.UserId, ignoreCase: true);
    }

    [Fact]
    public async Task Each_refused_login_has_its_own_error_and_stores_nothing()
    {
        await using var dv = await StartAsync();

        var password = await ConnectFails(dv, dv.Password(password: "wrong-password"));
        Assert.Equal(ErrorIds.InvalidCredentials, password.ErrorId);

        var secret = await ConnectFails(dv, dv.Application(secret: "wrong-secret"));
        Assert.Equal(ErrorIds.CrmClientRejected, secret.ErrorId);

        dv.Org.Settings.MfaRequired = true;
        var mfa = await ConnectFails(dv, dv.Password());
        Assert.Equal(ErrorIds.CrmMfaRequired, mfa.ErrorId);
        Assert.Contains("AADSTS50076", mfa.Message, StringComparison.Ordinal);
        dv.Org.Settings.MfaRequired = false;

        dv.Org.Settings.ReadDeniedTables = new(StringComparer.OrdinalIgnoreCase) { "account", "opportunity" };
        var read = await ConnectFails(dv, dv.Password());
        Assert.Equal(ErrorIds.CrmPermissionDenied, read.ErrorId);
        Assert.Contains("cannot read account, opportunity", read.Message, StringComparison.Ordinal);
        Assert.Contains("prvReadAccount", read.Message, StringComparison.Ordinal);
        Assert.Contains("organization-level Read on account, opportunity", read.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_URL_that_is_not_a_Dataverse_org_is_NotACrmEndpoint()
    {
        await using var dv = await StartAsync();
        await using var salesforce = await TestEmulator.StartAsync();
        using var request = dv.Password();
        using var wrong = new ConnectionRequest
        {
            Crm = CrmKind.Dynamics, Profile = "d365", Url = new Uri(salesforce.Host.BaseUrl), LoginUrl = dv.Url,
            Username = dv.Org.Credentials.SyncUserUpn, Password = SecretValue.Copy(dv.Org.Credentials.Password),
        };

        var ex = await ConnectFails(dv, wrong);

        Assert.Equal(ErrorIds.NotACrmEndpoint, ex.ErrorId);
    }

    [Fact]
    public async Task Test_connection_passes_every_check_of_a_healthy_org()
    {
        await using var dv = await StartAsync();
        await dv.ConnectAsync(dv.Password());

        var rows = await dv.TestAsync();

        Assert.All(rows, r => Assert.True(r.Result == ConnectionCheckResult.Passed, $"{r.Check} {r.Target}: {r.Result} {r.Detail}"));
        Assert.Equal(1, rows.Count(r => r.Check == CrmConnectionCheck.Names.UrlReachable));
        Assert.Equal(1, rows.Count(r => r.Check == CrmConnectionCheck.Names.Login));
        // the provider's catalog order, then the custom entities the sync picks up (change tracking on), by name
        Assert.Equal(["lead", "contact", "list", "listmember", "account", "systemuser", "opportunity", "new_invoice"],
            rows.Where(r => r.Check == CrmConnectionCheck.Names.ReadAccess).Select(r => r.Target));
        Assert.Equal(["lead", "contact", "list", "listmember", "account", "systemuser", "opportunity", "new_invoice"],
            rows.Where(r => r.Check == CrmConnectionCheck.Names.ChangeTracking).Select(r => r.Target));
        Assert.Equal(["lead.new_synctomkto", "contact.new_synctomkto", "account.new_synctomkto", "opportunity.new_synctomkto"],
            rows.Where(r => r.Check == CrmConnectionCheck.Names.SyncFilterField).Select(r => r.Target));
        Assert.Equal(["lead.new_crmsynckey", "contact.new_crmsynckey"], rows.Where(r => r.Check == CrmConnectionCheck.Names.CrmSyncKey).Select(r => r.Target));
        Assert.Contains("of 6,000 left", Assert.Single(rows, r => r.Check == CrmConnectionCheck.Names.ApiLimits).Detail, StringComparison.Ordinal);
        Assert.All(rows, r => Assert.Equal(("d365", CrmKind.Dynamics, ""), (r.Profile, r.Crm, r.WhatToDo)));
    }

    [Fact]
    public async Task Test_connection_reports_each_broken_prerequisite_with_what_to_do()
    {
        await using var dv = await StartAsync();
        await dv.ConnectAsync(dv.Password());
        dv.Org.Settings.ReadDeniedTables = new(StringComparer.OrdinalIgnoreCase) { "opportunity" };
        dv.Org.Store.SetChangeTracking("account", false);
        dv.Org.Store.SetKeyStatus("contact", "new_crmsynckey_key", "Pending");
        dv.Org.Store.RemoveAttribute("lead", "new_synctomkto");
        dv.Org.Store.AddAttribute("lead", "new_synctomkto", "String", null, 10);
        dv.Org.Store.RemoveAttribute("account", "new_synctomkto");
        dv.Org.Settings.RequestLimit = 100;

        var rows = await dv.TestAsync(filter: null);

        CrmConnectionCheck Row(string check, string target) => Assert.Single(rows, r => r.Check == check && r.Target == target);
        var read = Row(CrmConnectionCheck.Names.ReadAccess, "opportunity");
        Assert.Equal(ConnectionCheckResult.Failed, read.Result);
        Assert.Contains("prvReadOpportunity", read.Detail, StringComparison.Ordinal);
        Assert.Contains("organization-level Read on opportunity", read.WhatToDo, StringComparison.Ordinal);
        var tracking = Row(CrmConnectionCheck.Names.ChangeTracking, "account");
        Assert.Equal(ConnectionCheckResult.Failed, tracking.Result);
        Assert.Contains("Track changes", tracking.WhatToDo, StringComparison.Ordinal);
        var filter = Row(CrmConnectionCheck.Names.SyncFilterField, "lead.new_synctomkto");
        Assert.Equal(ConnectionCheckResult.Failed, filter.Result);
        Assert.Contains("Two Options", filter.Detail, StringComparison.Ordinal);
        // the default filter field missing: every record syncs, nothing to do (Skipped); named, it would be a Warning
        Assert.Equal(ConnectionCheckResult.Skipped, Row(CrmConnectionCheck.Names.SyncFilterField, "account.new_synctomkto").Result);
        var key = Row(CrmConnectionCheck.Names.CrmSyncKey, "contact.new_crmsynckey");
        Assert.Equal(ConnectionCheckResult.Failed, key.Result);
        Assert.Contains("Pending, not Active", key.Detail, StringComparison.Ordinal);
        Assert.Equal(ConnectionCheckResult.Passed, Row(CrmConnectionCheck.Names.CrmSyncKey, "lead.new_crmsynckey").Result);
        Assert.Equal(ConnectionCheckResult.Warning, Row(CrmConnectionCheck.Names.ApiLimits, "").Result);

        var named = await dv.TestAsync(filter: "new_synctomkto");
        Assert.Equal(ConnectionCheckResult.Warning, Assert.Single(named, r => r.Target == "account.new_synctomkto").Result);
    }

    [Fact]
    public async Task Test_connection_checks_the_custom_entities_the_sync_picks_up_and_the_ones_the_profile_syncs()
    {
        await using var dv = await StartAsync();
        await dv.ConnectAsync(dv.Password());
        var clients = new List<ICrmClient>();
        var fields = new SyncFieldsCommand(dv.Connector.Profiles, new SyncFieldsOptions { Profile = "d365" }, async (row, ct) =>
        {
            var client = await dv.Connector.OpenClientAsync(row.Name, null, new CrmClientOptions(), ct);
            clients.Add(client);
            return client.Schema;
        });
        await fields.ExecuteAsync(new FakeCommandHost { Answer = true }, CancellationToken.None);
        clients.ForEach(c => c.Dispose());
        using (var store = dv.Connector.Profiles.Open("d365"))
            Assert.NotNull(store.FieldCatalog.Find("new_invoice", "new_amount"));

        dv.Org.Settings.ReadDeniedTables = new(StringComparer.OrdinalIgnoreCase) { "new_invoice" };
        var denied = Assert.Single(await dv.TestAsync(), r => r.Check == CrmConnectionCheck.Names.ReadAccess && r.Target == "new_invoice");
        Assert.Equal(ConnectionCheckResult.Failed, denied.Result);
        Assert.Contains("organization-level Read on new_invoice", denied.WhatToDo, StringComparison.Ordinal);

        // change tracking turned off: the sync no longer picks the entity up from the org's list, but the profile syncs it
        dv.Org.Settings.ReadDeniedTables = new(StringComparer.OrdinalIgnoreCase);
        dv.Org.Store.SetChangeTracking("new_invoice", false);
        var rows = await dv.TestAsync();
        var tracking = Assert.Single(rows, r => r.Check == CrmConnectionCheck.Names.ChangeTracking && r.Target == "new_invoice");
        Assert.Equal(ConnectionCheckResult.Failed, tracking.Result);
        Assert.Contains("Track changes", tracking.WhatToDo, StringComparison.Ordinal);
        Assert.Equal(ConnectionCheckResult.Passed, Assert.Single(rows, r => r.Check == CrmConnectionCheck.Names.ReadAccess && r.Target == "new_invoice").Result);
        Assert.Equal("new_invoice", rows.Last(r => r.Check == CrmConnectionCheck.Names.ChangeTracking).Target); // after the standard entities
    }

    [Fact]
    public async Task A_user_name_typed_as_DOMAIN_user_is_sent_as_typed_and_an_unknown_one_is_told_to_use_the_UPN()
    {
        await using var dv = await StartAsync();
        using var typed = new ConnectionRequest
        {
            Crm = CrmKind.Dynamics, Profile = "d365", Url = dv.Url, LoginUrl = dv.Url, Username = @"CONTOSO\sync",
            Password = SecretValue.Copy(dv.Org.Credentials.Password),
        };

        var ex = await ConnectFails(dv, typed);

        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Contains("AADSTS50034", ex.Message, StringComparison.Ordinal); // Entra's own answer: the user does not exist
        Assert.Contains(@"'CONTOSO\sync'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("user principal name", ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("sync@contoso.com", ex.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_connection_warns_when_the_saved_credentials_sign_in_as_another_user_than_the_profile_was_connected_as()
    {
        await using var dv = await StartAsync();
        await dv.ConnectAsync(dv.Password());
        using (var store = dv.Connector.Profiles.Open("d365"))
        {
            var row = store.Profile.Read()!;
            Assert.Contains(dv.Org.SyncUser.Id.ToString(), row.SettingsJson, StringComparison.OrdinalIgnoreCase);
            var other = row.SettingsJson.Replace(dv.Org.SyncUser.Id.ToString(), dv.Org.SecondUser.Id.ToString(), StringComparison.OrdinalIgnoreCase);
            store.Profile.Save(row with { SettingsJson = other });
        }

        var login = Assert.Single(await dv.TestAsync(), r => r.Check == CrmConnectionCheck.Names.Login);

        Assert.Equal(ConnectionCheckResult.Warning, login.Result);
        Assert.Contains(dv.Org.SecondUser.Id.ToString(), login.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("[[connect profile=\"d365\"]]", login.WhatToDo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_connection_stops_at_a_failed_login_and_at_a_URL_that_is_not_Dataverse()
    {
        await using var dv = await StartAsync();
        await dv.ConnectAsync(dv.Password());
        dv.Org.Settings.MfaRequired = true;

        var rows = await dv.TestAsync();

        Assert.Equal(ConnectionCheckResult.Passed, rows[0].Result);
        Assert.Equal((CrmConnectionCheck.Names.Login, ConnectionCheckResult.Failed), (rows[1].Check, rows[1].Result));
        Assert.Contains("CrmMfaRequired", rows[1].Detail, StringComparison.Ordinal);
        Assert.NotEmpty(rows[1].WhatToDo);
        Assert.All(rows.Skip(2), r => Assert.Equal(ConnectionCheckResult.Skipped, r.Result));

        await using var salesforce = await TestEmulator.StartAsync();
        using (var store = dv.Connector.Profiles.Open("d365"))
            store.Profile.Save(store.Profile.Read()! with { LoginUrl = salesforce.Host.BaseUrl + "/" });
        var wrong = await dv.TestAsync();
        Assert.Equal(ConnectionCheckResult.Failed, wrong[0].Result);
        Assert.Contains("not as a Dynamics 365 (Dataverse) organization", wrong[0].Detail, StringComparison.Ordinal);
        Assert.All(wrong.Skip(1), r => Assert.Equal(ConnectionCheckResult.Skipped, r.Result));
    }

    [Fact]
    public async Task Test_connection_checks_a_Salesforce_profile_through_its_own_provider()
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var home = new TempDirectory("crmsync-it-sf-test");
        var connector = new ProfileConnector(new CrmSyncPaths(home.Path), registry: new CrmConnectionRegistry());
        using (var request = new ConnectionRequest
        {
            LoginUrl = new Uri(emulator.Host.BaseUrl), Username = emulator.Host.Credentials.Username,
            Password = SecretValue.Copy(emulator.Host.Credentials.Password), SecurityToken = SecretValue.Copy(emulator.Host.Credentials.SecurityToken),
        })
            await new ConnectCommand(connector, request).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        var host = new FakeCommandHost();

        var command = new TestConnectionCommand(connector, new TestConnectionOptions());
        await command.ExecuteAsync(host, CancellationToken.None);

        var rows = host.OutputOf<CrmConnectionCheck>();
        Assert.All(rows, r => Assert.True(r.Result == ConnectionCheckResult.Passed, $"{r.Check} {r.Target}: {r.Result} {r.Detail}"));
        Assert.Equal(10, rows.Count(r => r.Check == CrmConnectionCheck.Names.ReadAccess));
        Assert.Equal(10, rows.Count(r => r.Check == CrmConnectionCheck.Names.ChangeTracking));
        Assert.DoesNotContain(rows, r => r.Check == CrmConnectionCheck.Names.SyncFilterField);
        Assert.Equal(["Lead.CrmSync_Key__c", "Contact.CrmSync_Key__c"], rows.Where(r => r.Check == CrmConnectionCheck.Names.CrmSyncKey).Select(r => r.Target));
        Assert.Contains("daily API requests left", Assert.Single(rows, r => r.Check == CrmConnectionCheck.Names.ApiLimits).Detail, StringComparison.Ordinal);
        Assert.Equal(0, command.Failed);
    }
}
