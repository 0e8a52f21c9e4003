using System.Net;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Tests.Crm;

namespace CrmSync.Engine.Tests.Connect;

public sealed class ConnectRefusalTests
{
    [Fact]
    public async Task An_invalid_profile_name_is_refused_before_the_login()
    {
        using var f = new ConnectFixture();
        using var request = ConnectFixture.Request(profile: "../escape");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidProfileName, ex.ErrorId);
        Assert.Empty(f.Http.Requests);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public async Task A_profile_of_another_CRM_kind_is_refused_after_the_login_and_keeps_its_row()
    {
        using var f = new ConnectFixture().ExpectConnect();
        var dynamicsRow = new Engine.Store.ProfileInfo
        {
            Name = "default",
            Crm = CrmKind.Dynamics,
            LoginUrl = "https://contoso.crm.dynamics.com",
            UserName = "sync@contoso.example",
        };
        using (f.Connector.Profiles.Create(dynamicsRow))
        {
        }
        using var request = ConnectFixture.Request();

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        f.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.ProfileOrganizationMismatch, ex.ErrorId);
        Assert.Contains("Dynamics", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Salesforce", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(f.SecretFilePath()));
        using var store = f.Connector.Profiles.Open("default");
        var row = store.Profile.Read()!;
        Assert.Equal(CrmKind.Dynamics, row.Crm);
        Assert.Equal("sync@contoso.example", row.UserName);
    }

    [Fact]
    public async Task Client_credentials_need_no_user_and_reopen_with_the_same_grant()
    {
        using var f = new ConnectFixture();
        var token = Fixtures.Text("oauth-token-success.json").Replace("https://na1.salesforce.com", ConnectFixture.LoginUrl, StringComparison.Ordinal);
        f.Http.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/oauth2/token", HttpStatusCode.OK, token)
            .Expect(HttpMethod.Get, ConnectFixture.LoginUrl + "/services/data/", HttpStatusCode.OK, ConnectFixture.VersionsList());
        using var request = new ConnectionRequest
        {
            ClientId = "3MVG9integration",
            ClientSecret = SecretValue.Copy(ConnectFixture.ClientSecret),
            LoginUrl = new Uri(ConnectFixture.LoginUrl),
        };
        var host = new FakeCommandHost();
        await new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(host, CancellationToken.None);

        f.Http.VerifyAllConsumed();
        var info = Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
        Assert.Equal(CrmAuthMethod.ClientCredentials, info.AuthMethod);
        Assert.Equal("3MVG9integration", info.UserName);
        Assert.StartsWith("grant_type=client_credentials&client_id=3MVG9integration&client_secret=", f.Http.Requests[0].BodyText, StringComparison.Ordinal);
        Assert.Equal([SecretNames.ClientSecret], f.Connector.Secrets.ListNames("default"));

        var later = new RecordedHttpHandler();
        later.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/oauth2/token", HttpStatusCode.OK, token);
        using var client = await f.AnotherProcess().OpenClientAsync("default", null, f.ClientOptions(later), CancellationToken.None);
        later.VerifyAllConsumed();
        Assert.Equal("grant_type=client_credentials&client_id=3MVG9integration&client_secret=" + ConnectFixture.ClientSecret, later.Requests[0].BodyText);
    }

    [Fact]
    public async Task The_sandbox_switch_signs_in_at_the_test_login_host_and_the_profile_keeps_it()
    {
        using var f = new ConnectFixture();
        f.Http.Expect(HttpMethod.Post, "https://test.salesforce.com/services/Soap/u/59.0", HttpStatusCode.OK,
                Fixtures.Text("soap-login-response.xml").Replace("xmlns=\"urn:enterprise.soap.sforce.com\"", "xmlns=\"urn:partner.soap.sforce.com\"", StringComparison.Ordinal), "text/xml")
            .Expect(HttpMethod.Get, "https://na15.salesforce.com/services/data/", HttpStatusCode.OK, ConnectFixture.VersionsList());
        using var request = new ConnectionRequest
        {
            Username = ConnectFixture.UserName,
            Password = SecretValue.Copy(ConnectFixture.Password),
            SecurityToken = SecretValue.Copy(ConnectFixture.SecurityToken),
            Sandbox = true,
        };
        var host = new FakeCommandHost();
        await new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(host, CancellationToken.None);

        f.Http.VerifyAllConsumed();
        var info = Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
        Assert.Equal("https://test.salesforce.com", info.LoginUrl);
        Assert.Equal("https://na15.salesforce.com/", info.InstanceUrl);
        using var store = f.Connector.Profiles.Open("default");
        Assert.Equal("https://test.salesforce.com", store.Profile.Read()!.LoginUrl);
    }
}
