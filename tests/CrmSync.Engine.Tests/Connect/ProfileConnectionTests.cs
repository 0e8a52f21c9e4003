using System.Net;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Tests.Crm;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Connect;

public sealed class ProfileConnectionTests
{
    private static async Task<CrmConnectionInfo> Connect(ConnectFixture f, ConnectionRequest request, RecordedHttpHandler? handler = null)
    {
        var host = new FakeCommandHost();
        await new ConnectCommand(f.Connector, request, f.ClientOptions(handler)).ExecuteAsync(host, CancellationToken.None);
        return Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
    }

    /// <summary>Scripts the login of an already connected profile: its recorded API version, so no discovery call.</summary>
    private static RecordedHttpHandler ExpectReopen(string organizationId = ConnectFixture.OrganizationId, string? limitInfo = null)
    {
        var handler = new RecordedHttpHandler();
        handler.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/Soap/u/62.0", HttpStatusCode.OK,
            ConnectFixture.SoapLoginResponse(organizationId), "text/xml",
            r => { if (limitInfo is not null) r.Headers.Add("Sforce-Limit-Info", limitInfo); });
        return handler;
    }

    [Fact]
    public async Task Process_scope_writes_no_secret_but_the_profile_row_and_the_registry_serves_OpenClient()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request(ConnectionScope.Process))
        {
            var info = await Connect(f, request);
            Assert.Equal(ConnectionScope.Process, info.Scope);
            Assert.Null(info.SecretsStoredAt);
            Assert.True(info.ProfileCreated);
        } // the request's secrets are zeroed here: the registry holds its own copies

        Assert.False(Directory.Exists(f.Paths.SecretsDirectory) && Directory.EnumerateFileSystemEntries(f.Paths.SecretsDirectory).Any());
        Assert.Empty(f.Connector.Secrets.ListNames("default"));
        Assert.True(File.Exists(f.DatabasePath()));
        var location = f.Connector.Profiles.Locator.Resolve("default");
        Assert.True(f.Registry.Contains(location));

        // Same process: the registry's credentials sign in.
        var reopen = ExpectReopen();
        using (var client = await f.Connector.OpenClientAsync("default", null, f.ClientOptions(reopen), CancellationToken.None))
        {
            reopen.VerifyAllConsumed();
            Assert.Contains($"<n1:password>{ConnectFixture.Password}{ConnectFixture.SecurityToken}</n1:password>", reopen.Requests[0].BodyText);
            Assert.Equal(ConnectFixture.OrganizationId, client.Session.Identity!.OrganizationId);
        }

        // Another process (a scheduled task): no saved secrets, a clear error, no request sent.
        var none = new RecordedHttpHandler();
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.AnotherProcess().OpenClientAsync("default", null, f.ClientOptions(none), CancellationToken.None));
        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
        Assert.Contains(ShellAction.Connect.Profile("default").With(ActionParameter.Scope, "CurrentUser").ToString(), ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal("default", ex.Target);
        Assert.Empty(none.Requests);
    }

    [Fact]
    public async Task Profiles_in_different_data_folders_never_share_a_process_connection()
    {
        using var a = new ConnectFixture().ExpectConnect();
        using var b = new ConnectFixture();
        var shared = new CrmConnectionRegistry();
        var connectorA = new ProfileConnector(a.Paths, registry: shared, timeProvider: a.Time);
        using (var request = ConnectFixture.Request(ConnectionScope.Process))
            await new ConnectCommand(connectorA, request, a.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);

        Assert.True(shared.Contains(connectorA.Profiles.Locator.Resolve("default")));
        Assert.False(shared.Contains(new ProfileLocator(b.Paths).Resolve("default")));
    }

    [Fact]
    public async Task Reconnecting_a_profile_to_another_org_is_refused_and_changes_nothing()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request())
            await Connect(f, request);
        var rowBefore = ReadRow(f);

        var other = new RecordedHttpHandler();
        new ConnectFixture().ExpectConnect("00D5e000001AbCdEAK", other).Dispose();
        using var second = ConnectFixture.Request(password: "AnotherOrgPassword1", token: "OTHERTOKEN");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, second, f.ClientOptions(other)).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        other.VerifyAllConsumed();
        Assert.Equal(ErrorIds.ProfileOrganizationMismatch, ex.ErrorId);
        Assert.Contains(ConnectFixture.OrganizationId, ex.Message, StringComparison.Ordinal);
        Assert.Contains("00D5e000001AbCdEAK", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ShellAction.Connect.Profile("<new name>").ToString(), ex.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain("AnotherOrgPassword1", ex.ToString(), StringComparison.Ordinal);
        // The saved credentials and the row are the first org's, untouched.
        Assert.True(f.Connector.Secrets.TryGet("default", SecretNames.Password, out var saved));
        using (saved)
            Assert.Equal(ConnectFixture.Password, new string(saved.Span));
        Assert.Equal(rowBefore, ReadRow(f));
    }

    [Fact]
    public async Task Reconnecting_the_same_org_with_new_credentials_replaces_the_saved_ones()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request())
            await Connect(f, request);
        f.Time.Advance(TimeSpan.FromDays(1));

        // Same org; the 15-character form of its id is the same org too.
        var again = new RecordedHttpHandler();
        new ConnectFixture().ExpectConnect(ConnectFixture.OrganizationId[..15], again).Dispose();
        using var second = ConnectFixture.Request(password: "NewPassword2", token: "NEWTOKEN2");
        var info = await Connect(f, second, again);

        again.VerifyAllConsumed();
        Assert.False(info.ProfileCreated);
        Assert.True(f.Connector.Secrets.TryGet("default", SecretNames.Password, out var password));
        Assert.True(f.Connector.Secrets.TryGet("default", SecretNames.SecurityToken, out var token));
        using (password)
        using (token)
        {
            Assert.Equal("NewPassword2", new string(password.Span));
            Assert.Equal("NEWTOKEN2", new string(token.Span));
        }
        var row = ReadRow(f);
        Assert.Equal(f.Time.GetUtcNow(), row.UpdatedAt);
    }

    [Fact]
    public async Task Disconnect_forgets_the_saved_secrets_and_keeps_the_database_and_a_declined_confirmation_changes_nothing()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request())
            await Connect(f, request);
        using (var store = f.Connector.Profiles.Open("default"))
            store.ApiUsage.Record(10, 15000, "Sforce-Limit-Info"); // some local data
        var rowBefore = ReadRow(f);

        // Declined (or -WhatIf): nothing changes.
        var declining = new FakeCommandHost { Answer = false };
        var command = new DisconnectCommand(f.Connector, "default");
        await command.ExecuteAsync(declining, CancellationToken.None);
        var call = Assert.Single(declining.ShouldProcessCalls);
        Assert.Contains("default", call.Target, StringComparison.Ordinal);
        Assert.Equal("Forget the saved credentials", call.Action);
        Assert.Empty(declining.Output);
        Assert.Null(command.Result);
        Assert.True(File.Exists(f.SecretFilePath()));
        Assert.Equal([SecretNames.Password, SecretNames.SecurityToken], f.Connector.Secrets.ListNames("default"));

        // Confirmed: secrets gone, database and its data kept.
        var host = new FakeCommandHost();
        await new DisconnectCommand(f.Connector, "default").ExecuteAsync(host, CancellationToken.None);
        var info = Assert.IsType<CrmDisconnectionInfo>(Assert.Single(host.Output));
        Assert.True(info.SavedSecretsForgotten);
        Assert.False(info.ProcessConnectionForgotten);
        Assert.Contains("kept", info.Message, StringComparison.Ordinal);
        Assert.Contains(f.DatabasePath(), info.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(f.SecretFilePath()));
        Assert.Empty(f.Connector.Secrets.ListNames("default"));
        Assert.True(File.Exists(f.DatabasePath()));
        Assert.Equal(rowBefore, ReadRow(f));
        using (var store = f.Connector.Profiles.Open("default"))
            Assert.Equal(10, store.ApiUsage.Latest()!.Used);

        // Afterwards an unattended run gets the clear error, without a request.
        var none = new RecordedHttpHandler();
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.Connector.OpenClientAsync("default", null, f.ClientOptions(none), CancellationToken.None));
        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
        Assert.Empty(none.Requests);
    }

    [Fact]
    public async Task Disconnect_also_forgets_a_process_connection()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request(ConnectionScope.Process))
            await Connect(f, request);
        var host = new FakeCommandHost();
        await new DisconnectCommand(f.Connector, "default").ExecuteAsync(host, CancellationToken.None);
        var info = Assert.IsType<CrmDisconnectionInfo>(Assert.Single(host.Output));
        Assert.False(info.SavedSecretsForgotten);
        Assert.True(info.ProcessConnectionForgotten);
        Assert.False(f.Registry.Contains(f.Connector.Profiles.Locator.Resolve("default")));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.Connector.OpenClientAsync("default", null, f.ClientOptions(new RecordedHttpHandler()), CancellationToken.None));
        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
    }

    [Fact]
    public async Task Disconnect_of_an_unknown_profile_fails_with_ProfileNotFound_before_asking()
    {
        using var f = new ConnectFixture();
        var host = new FakeCommandHost();
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => new DisconnectCommand(f.Connector, "nope").ExecuteAsync(host, CancellationToken.None));
        Assert.Equal(ErrorIds.ProfileNotFound, ex.ErrorId);
        Assert.Empty(host.ShouldProcessCalls);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public async Task OpenClient_of_an_unknown_profile_fails_with_ProfileNotFound_and_creates_nothing()
    {
        using var f = new ConnectFixture();
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.Connector.OpenClientAsync("nope", null, f.ClientOptions(new RecordedHttpHandler()), CancellationToken.None));
        Assert.Equal(ErrorIds.ProfileNotFound, ex.ErrorId);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public async Task OpenClient_from_saved_secrets_signs_in_and_records_api_usage_in_the_store()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request())
            await Connect(f, request);

        var reopen = ExpectReopen(limitInfo: "api-usage=25/15000");
        var forwarded = new RecordingProgress<CrmApiUsage>();
        using var client = await f.AnotherProcess().OpenClientAsync("default", null, f.ClientOptions(reopen, forwarded), CancellationToken.None);

        reopen.VerifyAllConsumed();
        Assert.Contains($"<n1:password>{ConnectFixture.Password}{ConnectFixture.SecurityToken}</n1:password>", reopen.Requests[0].BodyText);
        Assert.Contains($"<n1:username>{ConnectFixture.UserName}</n1:username>", reopen.Requests[0].BodyText);
        Assert.Equal(new CrmApiUsage(25, 15000), Assert.Single(forwarded.Items));
        using var store = f.Connector.Profiles.Open("default");
        var sample = store.ApiUsage.Latest()!;
        Assert.Equal(25, sample.Used);
        Assert.Equal(15000, sample.Max);
        Assert.Equal(ProfileConnector.SalesforceUsageSource, sample.Source);
    }

    [Fact]
    public async Task OpenClient_refuses_saved_credentials_that_now_sign_in_to_another_org()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using (var request = ConnectFixture.Request())
            await Connect(f, request);

        var reopen = ExpectReopen("00D5e000001AbCdEAK");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            f.AnotherProcess().OpenClientAsync("default", null, f.ClientOptions(reopen), CancellationToken.None));
        Assert.Equal(ErrorIds.ProfileOrganizationMismatch, ex.ErrorId);
    }

    private static Engine.Store.ProfileInfo ReadRow(ConnectFixture f)
    {
        using var store = f.Connector.Profiles.Open("default");
        return store.Profile.Read()!;
    }
}
