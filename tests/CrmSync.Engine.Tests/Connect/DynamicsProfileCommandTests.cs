using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Crm;

namespace CrmSync.Engine.Tests.Connect;

/// <summary>
/// A connected Dynamics 365 profile: status, disconnect and Test-CrmSyncConnection work, and the field sync and the sync
/// go on to sign in (issue 13: the Dynamics sync itself is tested in the Integration tests' Dynamics folder).
/// </summary>
public sealed class DynamicsProfileCommandTests
{
    private static ProfileInfo DynamicsRow(string loginUrl = "https://contoso.crm.dynamics.com/") => new()
    {
        Name = "d365",
        Crm = CrmKind.Dynamics,
        LoginUrl = loginUrl,
        InstanceUrl = loginUrl,
        UserName = "sync@contoso.example",
        ApiVersion = "9.2",
        SettingsJson = new ProfileConnectorSettings { OrganizationId = "1f2e3d4c-0000-4000-8000-000000000001", UserId = "2f2e3d4c-0000-4000-8000-000000000002", AuthMethod = CrmAuthMethod.Password }.WriteInto("{}"),
    };

    private static void CreateProfile(ConnectFixture f, ProfileInfo? row = null)
    {
        using (f.Connector.Profiles.Create(row ?? DynamicsRow()))
        {
        }
    }

    [Fact]
    public async Task Sync_CrmField_signs_in_for_a_Dynamics_profile()
    {
        using var f = new ConnectFixture();
        CreateProfile(f);
        var connected = 0;
        var command = new SyncFieldsCommand(f.Connector.Profiles, new SyncFieldsOptions { Profile = "d365" }, (_, _) =>
        {
            connected++;
            throw new InvalidOperationException("signing in");
        });

        var ex = await Record.ExceptionAsync(() => command.ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        Assert.False(ex is CrmSyncException { ErrorId: ErrorIds.CrmNotSupported }, ex?.ToString());
        Assert.Equal(1, connected);
    }

    [Fact]
    public async Task Start_CrmSync_is_not_refused_for_a_Dynamics_profile()
    {
        using var f = new ConnectFixture();
        CreateProfile(f);
        var opened = 0;
        var command = new StartSyncCommand(f.Connector.Profiles, new StartSyncOptions { Profile = "d365" }, (_, _, _) =>
        {
            opened++;
            throw new InvalidOperationException("must not sign in");
        });
        var host = new FakeCommandHost();

        var ex = await Record.ExceptionAsync(() => command.ExecuteAsync(host, CancellationToken.None));

        Assert.False(ex is CrmSyncException { ErrorId: ErrorIds.CrmNotSupported }, ex?.ToString());
        var status = new SyncStatusReader(f.Connector.Profiles).Read("d365");
        Assert.Equal(CrmKind.Dynamics, status.Crm); // (its fields were never synced: the start fails with that, not CrmNotSupported)
    }

    [Fact]
    public async Task Status_and_disconnect_work_on_a_Dynamics_profile()
    {
        using var f = new ConnectFixture();
        CreateProfile(f);
        var host = new FakeCommandHost();

        await new GetStatusCommand(new SyncStatusReader(f.Connector.Profiles), "d365").ExecuteAsync(host, CancellationToken.None);
        await new DisconnectCommand(f.Connector, "d365").ExecuteAsync(host, CancellationToken.None);

        Assert.Equal(CrmKind.Dynamics, Assert.Single(host.OutputOf<SyncStatus>()).Crm);
        Assert.Single(host.OutputOf<CrmDisconnectionInfo>());
        Assert.Empty(host.Errors);
    }

    [Fact]
    public async Task Test_connection_stops_at_an_insecure_URL_sends_nothing_and_skips_the_rest()
    {
        using var f = new ConnectFixture();
        CreateProfile(f, DynamicsRow("http://contoso.crm.dynamics.com/"));
        var host = new FakeCommandHost();
        var command = new TestConnectionCommand(f.Connector, new TestConnectionOptions { Profile = "d365" }, f.ClientOptions());

        await command.ExecuteAsync(host, CancellationToken.None);

        Assert.Empty(f.Http.Requests);
        var rows = host.OutputOf<CrmConnectionCheck>();
        Assert.Equal([CrmConnectionCheck.Names.UrlReachable, CrmConnectionCheck.Names.Login, CrmConnectionCheck.Names.ReadAccess,
            CrmConnectionCheck.Names.ChangeTracking, CrmConnectionCheck.Names.SyncFilterField, CrmConnectionCheck.Names.CrmSyncKey,
            CrmConnectionCheck.Names.ApiLimits], rows.Select(r => r.Check));
        Assert.Equal(ConnectionCheckResult.Failed, rows[0].Result);
        Assert.Contains("plain http", rows[0].Detail, StringComparison.Ordinal);
        Assert.All(rows.Skip(1), r => Assert.Equal(ConnectionCheckResult.Skipped, r.Result));
        Assert.All(rows, r => Assert.Equal(("d365", CrmKind.Dynamics), (r.Profile, r.Crm)));
        Assert.Equal(1, command.Failed);
    }

    [Fact]
    public async Task Test_connection_of_an_unknown_profile_is_ProfileNotFound()
    {
        using var f = new ConnectFixture();
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new TestConnectionCommand(f.Connector, new TestConnectionOptions { Profile = "nope" }, f.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));
        Assert.Equal(ErrorIds.ProfileNotFound, ex.ErrorId);
    }

    [Fact]
    public async Task A_Dynamics_profile_without_saved_credentials_names_the_Dynamics_environment_variables()
    {
        using var f = new ConnectFixture();
        CreateProfile(f);
        var none = new RecordedHttpHandler();

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.AnotherProcess().OpenClientAsync("d365", null, f.ClientOptions(none), CancellationToken.None));

        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
        Assert.Contains(ProfileConnector.PasswordVariable, ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains(ProfileConnector.ClientSecretVariable, ex.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(ProfileConnector.SecurityTokenVariable, ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(none.Requests);

        // the status of a run that failed so names them too
        using (var store = f.Connector.Profiles.Open("d365"))
            store.Runs.Finish(store.Runs.Start(RunKind.Incremental, "test"), RunState.Failed, ErrorIds.CredentialsNotSaved, ex.Message);
        var status = new SyncStatusReader(f.Connector.Profiles).Read("d365");
        Assert.Contains(ProfileConnector.PasswordVariable, status.LastError!.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(ProfileConnector.SecurityTokenVariable, status.LastError.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Dynamics_application_user_profile_without_saved_credentials_names_the_client_secret_only()
    {
        using var f = new ConnectFixture();
        CreateProfile(f, DynamicsRow() with
        {
            SettingsJson = new ProfileConnectorSettings { AuthMethod = CrmAuthMethod.ClientCredentials, ClientId = "11111111-2222-3333-4444-555555555555", TenantId = "contoso.onmicrosoft.com" }.WriteInto("{}"),
        });

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.AnotherProcess().OpenClientAsync("d365", null, f.ClientOptions(new RecordedHttpHandler()), CancellationToken.None));

        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
        Assert.Contains(ProfileConnector.ClientSecretVariable, ex.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(ProfileConnector.PasswordVariable, ex.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(ProfileConnector.SecurityTokenVariable, ex.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Salesforce_profile_without_saved_credentials_still_names_the_security_token()
    {
        var ex = ProfileConnector.CredentialsNotSaved(new ProfileLocation("default", "/tmp/x.db", false), CrmKind.Salesforce, CrmAuthMethod.Password);
        Assert.Contains(ProfileConnector.SecurityTokenVariable, ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains(ProfileConnector.PasswordVariable, ex.RecommendedAction, StringComparison.Ordinal);
    }
}
