using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Tests.Crm;

namespace CrmSync.Engine.Tests.Connect;

public sealed class ConnectCommandTests
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    private static async Task<CrmConnectionInfo> Connect(ConnectFixture f, ConnectionRequest request, FakeCommandHost? host = null, CrmClientOptions? options = null)
    {
        host ??= new FakeCommandHost();
        var command = new ConnectCommand(f.Connector, request, options ?? f.ClientOptions());
        await command.ExecuteAsync(host, CancellationToken.None);
        var info = Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
        Assert.Same(info, command.Result);
        return info;
    }

    private static void AssertNoSecret(string text)
    {
        Assert.DoesNotContain(ConnectFixture.Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectFixture.SecurityToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectFixture.ClientSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectFixture.Password + ConnectFixture.SecurityToken, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_working_login_creates_the_profile_saves_encrypted_secrets_and_records_the_identity()
    {
        using var f = new ConnectFixture().ExpectConnect();
        using var request = ConnectFixture.Request();
        var host = new FakeCommandHost();

        var info = await Connect(f, request, host);

        // The login really happened, with the password followed by the security token.
        f.Http.VerifyAllConsumed();
        Assert.Contains($"<n1:password>{ConnectFixture.Password}{ConnectFixture.SecurityToken}</n1:password>", f.Http.Requests[0].BodyText);

        Assert.Equal("default", info.Profile);
        Assert.Equal(CrmKind.Salesforce, info.Crm);
        Assert.Equal(ConnectFixture.UserName, info.UserName);
        Assert.Equal(ConnectFixture.UserId, info.UserId);
        Assert.Equal(ConnectFixture.OrganizationId, info.OrganizationId);
        Assert.Equal(ConnectFixture.LoginUrl + "/", info.InstanceUrl);
        Assert.Equal("62.0", info.ApiVersion);
        Assert.False(info.Sandbox);
        Assert.Equal(CrmAuthMethod.Password, info.AuthMethod);
        Assert.Equal(ConnectionScope.CurrentUser, info.Scope);
        Assert.Equal(f.DatabasePath(), info.DatabasePath);
        Assert.Equal(f.SecretFilePath(), info.SecretsStoredAt);
        Assert.True(info.ProfileCreated);
        Assert.Equal(f.Time.GetUtcNow(), info.ConnectedAt);

        // The profile row holds the identity and no secret.
        using (var store = f.Connector.Profiles.Open("default"))
        {
            var row = store.Profile.Read()!;
            Assert.Equal(CrmKind.Salesforce, row.Crm);
            Assert.Equal(ConnectFixture.LoginUrl, row.LoginUrl);
            Assert.Equal(ConnectFixture.UserName, row.UserName);
            Assert.Equal(ConnectFixture.LoginUrl + "/", row.InstanceUrl);
            Assert.Equal("62.0", row.ApiVersion);
            using var settings = JsonDocument.Parse(row.SettingsJson);
            var connection = settings.RootElement.GetProperty("connection");
            Assert.Equal(ConnectFixture.OrganizationId, connection.GetProperty("organizationId").GetString());
            Assert.Equal(ConnectFixture.UserId, connection.GetProperty("userId").GetString());
            Assert.Equal("Password", connection.GetProperty("authMethod").GetString());
            AssertNoSecret(row.SettingsJson);
        }

        // Secrets: encrypted on disk (no plaintext in any file), readable back for the current user.
        Assert.True(File.Exists(f.SecretFilePath()));
        Assert.Equal([SecretNames.Password, SecretNames.SecurityToken], f.Connector.Secrets.ListNames("default"));
        Assert.True(f.Connector.Secrets.TryGet("default", SecretNames.Password, out var saved));
        using (saved)
            Assert.Equal(ConnectFixture.Password, new string(saved.Span));
        foreach (var file in f.AllFiles())
        {
            var bytes = File.ReadAllBytes(file);
            AssertNoSecret(Encoding.UTF8.GetString(bytes));
            AssertNoSecret(Encoding.Unicode.GetString(bytes));
        }

        // Output and host messages: no secret; verbose names the host, user, instance and API version.
        AssertNoSecret(JsonSerializer.Serialize(info, Json));
        AssertNoSecret(info.ToString());
        AssertNoSecret(host.AllText);
        Assert.Contains(host.Verbose, v => v.Contains("127.0.0.1:5123", StringComparison.Ordinal) && v.Contains(ConnectFixture.UserName, StringComparison.Ordinal));
        Assert.Contains(host.Verbose, v => v.Contains("API version 62.0", StringComparison.Ordinal));
        Assert.False(f.Registry.Contains(f.Connector.Profiles.Locator.Resolve("default")));
    }

    [Fact]
    public async Task A_wrong_password_or_security_token_stores_nothing_and_says_which_two_things_to_check()
    {
        using var f = new ConnectFixture();
        f.Http.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/Soap/u/59.0", HttpStatusCode.InternalServerError,
            Fixtures.Text("soap-login-fault-invalid-login.xml"), "text/xml");
        using var request = ConnectFixture.Request(token: "WRONGTOKEN");
        var host = new FakeCommandHost();

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(host, CancellationToken.None));

        f.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, ex.Kind);
        Assert.Contains("password", ex.Message, StringComparison.Ordinal);
        Assert.Contains("security token", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Reset My Security Token", ex.Message, StringComparison.Ordinal);
        Assert.Contains("security token", ex.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain("WRONGTOKEN", ex.ToString(), StringComparison.Ordinal);
        AssertNoSecret(ex.ToString());
        Assert.Empty(host.Output);
        Assert.Empty(f.AllFiles());
        Assert.False(File.Exists(f.DatabasePath()));
        Assert.False(File.Exists(f.SecretFilePath()));
        Assert.Empty(f.Connector.Profiles.Locator.ListProfiles());
    }

    [Fact]
    public async Task Plain_http_to_a_host_that_is_not_loopback_is_refused_before_any_request()
    {
        using var f = new ConnectFixture();
        using var request = ConnectFixture.Request(loginUrl: "http://login.salesforce.com");

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        Assert.Equal(ErrorIds.InsecureTransport, ex.ErrorId);
        Assert.Contains("login.salesforce.com", ex.Message, StringComparison.Ordinal);
        Assert.Empty(f.Http.Requests);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public async Task A_url_that_is_not_salesforce_fails_with_NotACrmEndpoint()
    {
        using var f = new ConnectFixture();
        f.Http.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/Soap/u/59.0", HttpStatusCode.OK,
            "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>", "text/html");
        using var request = ConnectFixture.Request();

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        f.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.NotACrmEndpoint, ex.ErrorId);
        Assert.Contains("127.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("login URL", ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public async Task An_unreachable_host_fails_with_CrmUnreachable_naming_the_host()
    {
        using var f = new ConnectFixture();
        // A loopback port that nothing listens on: bind, note the port, close.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var request = ConnectFixture.Request(loginUrl: $"http://127.0.0.1:{port}");
        var options = new CrmClientOptions { Resilience = new CrmResilienceOptions { MaxRetryAttempts = 0 } }; // the real socket handler

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, request, options).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        Assert.Equal(ErrorIds.CrmUnreachable, ex.ErrorId);
        Assert.Equal(ErrorKind.ConnectionError, ex.Kind);
        Assert.Contains("127.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public async Task A_Dynamics_org_URL_over_plain_http_is_refused_before_anything_is_sent_or_stored()
    {
        // Dynamics connects (the Dataverse client signs in for real: Integration.Tests/DynamicsConnectTests); the transport
        // rule is the same as for Salesforce.
        using var f = new ConnectFixture();
        using var request = new ConnectionRequest
        {
            Crm = CrmKind.Dynamics,
            Url = new Uri("http://contoso.crm.dynamics.com"),
            Username = "sync@contoso.example",
            Password = SecretValue.Copy(ConnectFixture.Password),
            SyncFilterField = "new_synctomkto",
        };

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new ConnectCommand(f.Connector, request, f.ClientOptions()).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));

        Assert.Equal(ErrorIds.InsecureTransport, ex.ErrorId);
        Assert.Empty(f.Http.Requests);
        Assert.Empty(f.AllFiles());
    }

    [Fact]
    public void The_sign_in_method_is_inferred_from_the_parameters()
    {
        using var soap = new ConnectionRequest { Username = "u" };
        using var oauth = new ConnectionRequest { Username = "u", ClientId = "key", ClientSecret = SecretValue.Copy("s") };
        using var credentials = new ConnectionRequest { ClientId = "key", ClientSecret = SecretValue.Copy("s") };
        using var forced = new ConnectionRequest { Username = "u", ClientId = "key", AuthMethod = CrmAuthMethod.Password };
        Assert.Equal(CrmAuthMethod.Password, soap.EffectiveAuthMethod);
        Assert.Equal(CrmAuthMethod.OAuthPassword, oauth.EffectiveAuthMethod);
        Assert.Equal(CrmAuthMethod.ClientCredentials, credentials.EffectiveAuthMethod);
        Assert.Equal(CrmAuthMethod.Password, forced.EffectiveAuthMethod);
        Assert.Equal(ConnectionScope.CurrentUser, soap.Scope);
        Assert.Equal("default", soap.Profile);
    }

    [Fact]
    public async Task OAuth_password_grant_saves_the_client_secret_and_the_client_id_is_reused_unattended()
    {
        using var f = new ConnectFixture();
        f.Http.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/oauth2/token", HttpStatusCode.OK,
                Fixtures.Text("oauth-token-success.json").Replace("https://na1.salesforce.com", ConnectFixture.LoginUrl, StringComparison.Ordinal))
            .Expect(HttpMethod.Get, ConnectFixture.LoginUrl + "/services/data/", HttpStatusCode.OK, ConnectFixture.VersionsList());
        using var request = new ConnectionRequest
        {
            Username = ConnectFixture.UserName,
            Password = SecretValue.Copy(ConnectFixture.Password),
            SecurityToken = SecretValue.Copy(ConnectFixture.SecurityToken),
            ClientId = "3MVG9consumerkey",
            ClientSecret = SecretValue.Copy(ConnectFixture.ClientSecret),
            LoginUrl = new Uri(ConnectFixture.LoginUrl),
        };

        var info = await Connect(f, request);

        f.Http.VerifyAllConsumed();
        Assert.Equal(CrmAuthMethod.OAuthPassword, info.AuthMethod);
        Assert.Equal([SecretNames.ClientSecret, SecretNames.Password, SecretNames.SecurityToken], f.Connector.Secrets.ListNames("default"));
        AssertNoSecret(JsonSerializer.Serialize(info, Json));

        // Another process opens the client from the saved secrets with the same grant and client id.
        var later = new RecordedHttpHandler();
        later.Expect(HttpMethod.Post, ConnectFixture.LoginUrl + "/services/oauth2/token", HttpStatusCode.OK,
            Fixtures.Text("oauth-token-success.json").Replace("https://na1.salesforce.com", ConnectFixture.LoginUrl, StringComparison.Ordinal));
        using var client = await f.AnotherProcess().OpenClientAsync("default", null, f.ClientOptions(later), CancellationToken.None);
        later.VerifyAllConsumed();
        var body = later.Requests[0].BodyText;
        Assert.StartsWith("grant_type=password&client_id=3MVG9consumerkey&client_secret=" + ConnectFixture.ClientSecret, body, StringComparison.Ordinal);
        Assert.Equal("62.0", client.Session.Identity!.ApiVersion);
    }
}
