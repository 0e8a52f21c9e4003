using System.Net;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;
using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Tests.Crm;

public sealed class SalesforceLoginTests
{
    [Fact]
    public async Task Soap_login_sends_password_plus_token_and_derives_the_instance()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        var identity = await sf.Client.Session.LoginAsync(CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        var request = Assert.Single(sf.Http.Requests);
        Assert.Equal("login", request.Header("SOAPAction"));
        Assert.StartsWith("text/xml", request.Header("Content-Type"));
        // XML-escaped password immediately followed by the security token
        Assert.Contains("<n1:password>pa&lt;ss&amp;wordTOKEN123</n1:password>", request.BodyText);
        Assert.Contains("<n1:username>sync@example.com</n1:username>", request.BodyText);
        Assert.Equal(new Uri("https://na15.salesforce.com"), identity.InstanceUrl);
        Assert.Equal("005i0000002MUqLAAW", identity.UserId);
        Assert.Equal("00Di0000000icUBEAY", identity.OrganizationId);
        Assert.Equal("59.0", identity.ApiVersion);
        Assert.False(identity.Sandbox);
        Assert.Equal(TimeSpan.FromHours(2), identity.SessionValidFor);
    }

    [Fact]
    public async Task Sandbox_uses_the_test_login_host()
    {
        using var sf = new TestSalesforce(s => Copy(s, sandbox: true)).ExpectSoapLogin("https://test.salesforce.com");
        await sf.Client.Session.LoginAsync(CancellationToken.None);
        sf.Http.VerifyAllConsumed();
        Assert.Equal("https://test.salesforce.com/services/Soap/u/59.0", sf.Http.Requests[0].Uri.AbsoluteUri);
    }

    [Fact]
    public async Task My_domain_or_emulator_url_is_used_as_given()
    {
        using var sf = new TestSalesforce(s => Copy(s, loginUrl: new Uri("http://127.0.0.1:5123/"))).ExpectSoapLogin("http://127.0.0.1:5123");
        await sf.Client.Session.LoginAsync(CancellationToken.None);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task Invalid_login_fault_says_to_check_password_and_security_token()
    {
        using var sf = new TestSalesforce();
        sf.Http.Expect(HttpMethod.Post, "https://login.salesforce.com/services/Soap/u/59.0", HttpStatusCode.InternalServerError,
            Fixtures.Text("soap-login-fault-invalid-login.xml"), "text/xml");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, ex.Kind);
        Assert.Contains("password", ex.Message);
        Assert.Contains("security token", ex.Message);
        Assert.DoesNotContain("pa<ss", ex.Message);
        Assert.DoesNotContain("TOKEN123", ex.Message);
        Assert.DoesNotContain("TOKEN123", ex.ToString());
        Assert.Null(sf.Client.Session.Identity);
    }

    [Fact]
    public async Task Invalid_login_fault_is_final_and_never_retried_even_with_retries_on()
    {
        // SOAP reports every fault as HTTP 500; retrying a wrong password would only risk locking the user out.
        using var sf = new TestSalesforce(resilience: new CrmSync.Engine.Resilience.CrmResilienceOptions { MaxRetryAttempts = 3 });
        sf.Http.Expect(HttpMethod.Post, "https://login.salesforce.com/services/Soap/u/59.0", HttpStatusCode.InternalServerError,
            Fixtures.Text("soap-login-fault-invalid-login.xml"), "text/xml");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Single(sf.Http.Requests);
        Assert.DoesNotContain(sf.Events.Items, e => e.Kind is CrmEventKind.Retry or CrmEventKind.Throttled);
    }

    [Fact]
    public async Task A_login_500_that_is_not_a_SOAP_fault_is_still_retried()
    {
        using var sf = new TestSalesforce(resilience: new CrmSync.Engine.Resilience.CrmResilienceOptions
        {
            MaxRetryAttempts = 2, BaseDelay = TimeSpan.FromSeconds(1), UseJitter = false,
        });
        sf.Http.Expect(HttpMethod.Post, "https://login.salesforce.com/services/Soap/u/59.0", HttpStatusCode.InternalServerError,
            "<html><body>Service temporarily broken</body></html>", "text/html");
        sf.ExpectSoapLogin();
        var login = sf.Client.Session.LoginAsync(CancellationToken.None);
        await sf.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(1));
        sf.Time.Advance(TimeSpan.FromSeconds(1));
        var identity = await login;
        sf.Http.VerifyAllConsumed();
        Assert.Equal("005i0000002MUqLAAW", identity.UserId);
    }

    [Fact]
    public async Task OAuth_password_grant_sends_consumer_key_secret_and_password_with_token()
    {
        using var sf = new TestSalesforce(s => Copy(s, method: CrmAuthMethod.OAuthPassword, clientId: "3MVG9 key", clientSecret: "s3cr=t"));
        sf.Http.Expect(HttpMethod.Post, "https://login.salesforce.com/services/oauth2/token", HttpStatusCode.OK, Fixtures.Text("oauth-token-success.json"));
        var identity = await sf.Client.Session.LoginAsync(CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        var body = sf.Http.Requests[0].BodyText;
        Assert.Equal("grant_type=password&client_id=3MVG9%20key&client_secret=s3cr%3Dt&username=sync%40example.com&password=pa%3Css%26wordTOKEN123", body);
        Assert.Equal("application/x-www-form-urlencoded", sf.Http.Requests[0].Header("Content-Type"));
        Assert.Equal(new Uri("https://na1.salesforce.com"), identity.InstanceUrl);
        Assert.Equal("005x00000012Q9P", identity.UserId);
        Assert.Equal("00Dx0000000BV7z", identity.OrganizationId);
    }

    [Fact]
    public async Task OAuth_client_credentials_grant()
    {
        using var sf = new TestSalesforce(s => Copy(s, method: CrmAuthMethod.ClientCredentials, clientId: "key", clientSecret: "secret",
            loginUrl: new Uri("https://acme.my.salesforce.com")));
        sf.Http.Expect(HttpMethod.Post, "https://acme.my.salesforce.com/services/oauth2/token", HttpStatusCode.OK, Fixtures.Text("oauth-token-success-simple-salesforce.json"));
        var identity = await sf.Client.Session.LoginAsync(CancellationToken.None);
        sf.Http.VerifyAllConsumed();
        Assert.Equal("grant_type=client_credentials&client_id=key&client_secret=secret", sf.Http.Requests[0].BodyText);
        Assert.Equal(new Uri("https://na15.salesforce.com"), identity.InstanceUrl);
    }

    [Fact]
    public async Task OAuth_invalid_grant_mentions_token_and_consumer_key()
    {
        using var sf = new TestSalesforce(s => Copy(s, method: CrmAuthMethod.OAuthPassword, clientId: "key", clientSecret: "secret"));
        sf.Http.Expect(HttpMethod.Post, "/services/oauth2/token", HttpStatusCode.BadRequest, Fixtures.Text("oauth-token-error-invalid-grant.json"));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Contains("security token", ex.Message);
        Assert.Contains("consumer key", ex.Message);
        Assert.DoesNotContain("secret", ex.Message.Replace("consumer secret", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Plain_http_to_a_remote_host_is_refused_before_any_request()
    {
        var http = new RecordedHttpHandler(); // no expectations: any request would fail loudly
        var ex = Assert.Throws<CrmSyncException>(() => CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = CrmKind.Salesforce,
            LoginUrl = new Uri("http://login.salesforce.com"),
            Username = "u",
            Password = SecretValue.Copy("p"),
        }, new CrmClientOptions { PrimaryHandler = http }));
        Assert.Equal(ErrorIds.InsecureTransport, ex.ErrorId);
        Assert.Contains("login.salesforce.com", ex.Message);
        Assert.Empty(http.Requests);
    }

    [Theory]
    [InlineData("http://localhost:8080")]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://[::1]:8080")]
    public void Plain_http_to_loopback_is_allowed(string url)
    {
        using var client = CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = CrmKind.Salesforce,
            LoginUrl = new Uri(url),
            Username = "u",
            Password = SecretValue.Copy("p"),
        }, new CrmClientOptions { PrimaryHandler = new RecordedHttpHandler() });
        Assert.Equal(CrmKind.Salesforce, client.Kind);
    }

    [Fact]
    public async Task Https_login_returning_an_http_instance_is_refused()
    {
        using var sf = new TestSalesforce();
        sf.Http.Expect(HttpMethod.Post, "/services/Soap/u/59.0", HttpStatusCode.OK,
            Fixtures.Text("soap-login-response.xml").Replace("https://na15.salesforce.com/services/Soap/c", "http://na15.salesforce.com/services/Soap/c"), "text/xml");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.InsecureTransport, ex.ErrorId);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, "<!DOCTYPE html><html><body>Welcome to nginx</body></html>", "text/html")]
    [InlineData(HttpStatusCode.NotFound, "<html><body>Not Found</body></html>", "text/html")]
    [InlineData(HttpStatusCode.OK, "{\"hello\":\"world\"}", "application/json")]
    [InlineData(HttpStatusCode.OK, "<?xml version=\"1.0\"?><rss></rss>", "text/xml")]
    public async Task A_url_that_is_not_salesforce_is_reported_as_such(HttpStatusCode status, string body, string mediaType)
    {
        using var sf = new TestSalesforce(s => Copy(s, loginUrl: new Uri("https://www.example.com")));
        sf.Http.Expect(HttpMethod.Post, "https://www.example.com/services/Soap/u/59.0", status, body, mediaType);
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.NotACrmEndpoint, ex.ErrorId);
        Assert.Contains("www.example.com", ex.Message);
    }

    [Fact]
    public async Task A_login_service_outage_is_not_mistaken_for_a_wrong_url()
    {
        using var sf = new TestSalesforce();
        sf.Http.Expect(HttpMethod.Post, "/services/Soap/u/59.0", HttpStatusCode.ServiceUnavailable, "<html>Down for maintenance</html>", "text/html");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.CrmRequestFailed, ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
    }

    [Fact]
    public async Task OAuth_against_a_non_salesforce_page_is_reported()
    {
        using var sf = new TestSalesforce(s => Copy(s, method: CrmAuthMethod.OAuthPassword, clientId: "k", loginUrl: new Uri("https://intranet.example.org")));
        sf.Http.Expect(HttpMethod.Post, "/services/oauth2/token", HttpStatusCode.OK, "<html>login page</html>", "text/html");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.NotACrmEndpoint, ex.ErrorId);
    }

    [Fact]
    public async Task An_unreachable_host_is_named()
    {
        var handler = new ThrowingHandler(new HttpRequestException("Name or service not known (nowhere.invalid:443)"));
        using var client = new SalesforceClient(new CrmConnectionSettings
        {
            Kind = CrmKind.Salesforce,
            LoginUrl = new Uri("https://nowhere.invalid"),
            Username = "u",
            Password = SecretValue.Copy("p"),
        }, new CrmClientOptions { PrimaryHandler = handler, Resilience = new() { MaxRetryAttempts = 0 } });
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.CrmUnreachable, ex.ErrorId);
        Assert.Contains("nowhere.invalid", ex.Message);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task Api_version_is_discovered_as_the_highest_supported()
    {
        using var sf = new TestSalesforce(s => Copy(s, apiVersion: null)).ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, "https://na15.salesforce.com/services/data/", HttpStatusCode.OK,
            """[{"version":"45.0","url":"/services/data/v45.0"},{"version":"59.0","url":"/services/data/v59.0"},{"version":"62.0","url":"/services/data/v62.0"},{"version":"63.0","url":"/services/data/v63.0"}]""");
        var identity = await sf.Client.Session.LoginAsync(CancellationToken.None);
        sf.Http.VerifyAllConsumed();
        Assert.Equal("62.0", identity.ApiVersion);
        Assert.Equal("Bearer 12345", sf.Http.Requests[1].Header("Authorization"));
    }

    [Fact]
    public async Task Api_version_discovery_fails_clearly_when_no_version_fits()
    {
        using var sf = new TestSalesforce(s => Copy(s, apiVersion: null)).ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, "/services/data/", HttpStatusCode.OK, Fixtures.Text("versions-list.json"));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.CrmProtocolError, ex.ErrorId);
        Assert.Contains("20.0, 100", ex.Message);
    }

    [Fact]
    public void Secrets_never_show_in_strings()
    {
        using var secret = SecretValue.Copy("hunter2");
        Assert.Equal("***", secret.ToString());
        var settings = new CrmConnectionSettings { Kind = CrmKind.Salesforce, Username = "u", Password = secret, ClientSecret = secret, SecurityToken = secret };
        Assert.DoesNotContain("hunter2", settings.ToString());
        secret.Dispose();
        Assert.Throws<ObjectDisposedException>(() => secret.Length);
    }

    [Fact]
    public void Missing_password_is_an_argument_error()
    {
        var ex = Assert.Throws<CrmSyncException>(() => new SalesforceClient(new CrmConnectionSettings { Kind = CrmKind.Salesforce, Username = "u" },
            new CrmClientOptions { PrimaryHandler = new RecordedHttpHandler() }));
        Assert.Equal(ErrorIds.InvalidArgument, ex.ErrorId);
    }

    internal static CrmConnectionSettings Copy(CrmConnectionSettings s, bool? sandbox = null, Uri? loginUrl = null, CrmAuthMethod? method = null,
        string? clientId = null, string? clientSecret = null, string? apiVersion = "keep") => new()
    {
        Kind = s.Kind,
        AuthMethod = method ?? s.AuthMethod,
        Sandbox = sandbox ?? s.Sandbox,
        LoginUrl = loginUrl ?? s.LoginUrl,
        Username = s.Username,
        Password = s.Password,
        SecurityToken = s.SecurityToken,
        ClientId = clientId ?? s.ClientId,
        ClientSecret = clientSecret is null ? s.ClientSecret : SecretValue.Copy(clientSecret),
        ApiVersion = apiVersion == "keep" ? s.ApiVersion : apiVersion,
    };

    private sealed class ThrowingHandler(Exception exception) : HttpMessageHandler
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            throw exception;
        }
    }
}
