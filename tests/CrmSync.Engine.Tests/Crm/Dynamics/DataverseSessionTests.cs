using System.Net;
using System.Net.Http.Headers;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

public sealed class DataverseSessionTests
{
    /// <summary>An Entra error in the documented shape (PROTOCOL.md §1.3: error, error_description "AADSTSnnnn: …", error_codes, trace ids). Hand-written.</summary>
    private static string EntraError(string error, long code, string text) =>
        $"{{\"error\":\"{error}\",\"error_description\":\"AADSTS{code}: {text}\\r\\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\\r\\nCorrelation ID: 1111-2222\\r\\nTimestamp: 2024-05-01 12:00:00Z\","
        + $"\"error_codes\":[{code}],\"timestamp\":\"2024-05-01 12:00:00Z\",\"trace_id\":\"0000aaaa-11bb-cccc-dd22-eeeeee333333\",\"correlation_id\":\"1111-2222\"}}";

    [Fact]
    public async Task Password_sign_in_posts_the_ropc_grant_then_checks_the_token_with_WhoAmI()
    {
        using var d = new TestDynamics().ExpectLogin();
        var identity = await d.Client.Session.LoginAsync(CancellationToken.None);

        d.Http.VerifyAllConsumed();
        var token = d.Http.Requests[0];
        Assert.Equal(HttpMethod.Post, token.Method);
        Assert.Equal(TestDynamics.TokenUrl, token.Uri.AbsoluteUri);
        Assert.Equal("application/x-www-form-urlencoded", token.Header("Content-Type"));
        Assert.Null(token.Header("Authorization"));
        Assert.StartsWith("grant_type=password&client_id=", token.BodyText);
        Assert.Equal(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "0c1d2e3f-aaaa-bbbb-cccc-123456789abc",
            ["scope"] = "https://contoso.crm.dynamics.com/.default",
            ["username"] = "sync@contoso.onmicrosoft.com",
            ["password"] = "pa&ss wörd",
        }, TestDynamics.Form(token.BodyText));
        Assert.Contains("password=pa%26ss%20w%C3%B6rd", token.BodyText); // form-encoded from the secret's characters

        var whoAmI = d.Http.Requests[1];
        Assert.Equal(HttpMethod.Get, whoAmI.Method);
        Assert.Equal(TestDynamics.Api + "WhoAmI", whoAmI.Uri.AbsoluteUri);
        Assert.Equal("Bearer " + TestDynamics.FixtureToken, whoAmI.Header("Authorization"));
        Assert.Equal("4.0", whoAmI.Header("OData-Version"));
        Assert.Equal("4.0", whoAmI.Header("OData-MaxVersion"));
        Assert.Equal("application/json", whoAmI.Header("Accept"));

        Assert.Equal(TestDynamics.UserId, identity.UserId);
        Assert.Equal(TestDynamics.OrganizationId, identity.OrganizationId);
        Assert.Equal("sync@contoso.onmicrosoft.com", identity.UserName);
        Assert.Equal(new Uri(TestDynamics.Org), identity.InstanceUrl);
        Assert.Equal("9.2", identity.ApiVersion);
        Assert.Same(identity, d.Client.Session.Identity);
    }

    [Fact]
    public async Task A_confidential_client_adds_its_secret_and_a_domain_user_name_is_sent_as_given()
    {
        using var d = new TestDynamics(s => new CrmConnectionSettings
        {
            Kind = s.Kind, AuthMethod = s.AuthMethod, OrganizationUrl = s.OrganizationUrl, Password = s.Password, ClientId = s.ClientId,
            Username = @"CONTOSO\sync", ClientSecret = SecretValue.Copy("s3cr=t"), TenantId = "contoso.onmicrosoft.com",
        });
        d.ExpectLogin("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
        await d.Client.Session.LoginAsync(CancellationToken.None);
        d.Http.VerifyAllConsumed();
        var form = TestDynamics.Form(d.Http.Requests[0].BodyText);
        Assert.Equal("s3cr=t", form["client_secret"]);
        Assert.Equal(@"CONTOSO\sync", form["username"]);
        Assert.Equal("password", form["grant_type"]);
    }

    [Fact]
    public async Task Client_credentials_use_the_tenant_and_the_org_default_scope()
    {
        using var d = new TestDynamics(s => new CrmConnectionSettings
        {
            Kind = CrmKind.Dynamics, AuthMethod = CrmAuthMethod.ClientCredentials, OrganizationUrl = s.OrganizationUrl,
            ClientId = "app-1", ClientSecret = SecretValue.Copy("secret value"), TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47",
        });
        d.ExpectLogin("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token");
        var identity = await d.Client.Session.LoginAsync(CancellationToken.None);
        d.Http.VerifyAllConsumed();
        Assert.Equal(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "app-1",
            ["client_secret"] = "secret value",
            ["scope"] = "https://contoso.crm.dynamics.com/.default",
        }, TestDynamics.Form(d.Http.Requests[0].BodyText));
        Assert.Equal(TestDynamics.UserId, identity.UserId);
    }

    [Fact]
    public void Client_credentials_without_a_tenant_or_secret_are_refused_before_any_request()
    {
        var http = new RecordedHttpHandler();
        var noTenant = Assert.Throws<CrmSyncException>(() => CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = CrmKind.Dynamics, AuthMethod = CrmAuthMethod.ClientCredentials, OrganizationUrl = new Uri(TestDynamics.Org),
            ClientId = "app", ClientSecret = SecretValue.Copy("s"),
        }, new CrmClientOptions { PrimaryHandler = http }));
        Assert.Equal(ErrorIds.InvalidArgument, noTenant.ErrorId);
        Assert.Contains(ShellParameter.For(ActionParameter.TenantId).ToString(), noTenant.RecommendedAction);
        var noSecret = Assert.Throws<CrmSyncException>(() => CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = CrmKind.Dynamics, AuthMethod = CrmAuthMethod.ClientCredentials, OrganizationUrl = new Uri(TestDynamics.Org), ClientId = "app", TenantId = "t",
        }, new CrmClientOptions { PrimaryHandler = http }));
        Assert.Equal(ErrorIds.InvalidArgument, noSecret.ErrorId);
        var noUrl = Assert.Throws<CrmSyncException>(() => CrmClientFactory.Create(new CrmConnectionSettings { Kind = CrmKind.Dynamics, Username = "u", Password = SecretValue.Copy("p") }));
        Assert.Contains("organization URL", noUrl.Message);
        Assert.Empty(http.Requests);
    }

    [Fact]
    public void Plain_http_is_refused_except_to_loopback()
    {
        var ex = Assert.Throws<CrmSyncException>(() => new TestDynamics(s => Copy(s, org: new Uri("http://contoso.crm.dynamics.com"))));
        Assert.Equal(ErrorIds.InsecureTransport, ex.ErrorId);
        var authority = Assert.Throws<CrmSyncException>(() => new TestDynamics(s => Copy(s, authority: new Uri("http://login.example.com"))));
        Assert.Equal(ErrorIds.InsecureTransport, authority.ErrorId);
        using var emulator = new TestDynamics(s => Copy(s, org: new Uri("http://127.0.0.1:5555"), authority: new Uri("http://127.0.0.1:5555/")));
        Assert.Equal(new Uri("http://127.0.0.1:5555/organizations/oauth2/v2.0/token"), emulator.Client.Session.TokenEndpoint);
        Assert.Empty(emulator.Http.Requests);
    }

    private static CrmConnectionSettings Copy(CrmConnectionSettings s, Uri? org = null, Uri? authority = null) => new()
    {
        Kind = s.Kind, AuthMethod = s.AuthMethod, OrganizationUrl = org ?? s.OrganizationUrl, LoginUrl = authority ?? s.LoginUrl,
        Username = s.Username, Password = s.Password, ClientId = s.ClientId, ClientSecret = s.ClientSecret, TenantId = s.TenantId,
    };

    [Theory]
    [InlineData("invalid_grant", 50126, "Error validating credentials due to invalid username or password.", ErrorIds.InvalidCredentials, "user name or password")]
    [InlineData("invalid_grant", 50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000007-0000-0000-c000-000000000000'.", ErrorIds.CrmMfaRequired, "[[param client-credentials]]")]
    [InlineData("invalid_grant", 50079, "Due to a configuration change made by your administrator, you must enroll in multi-factor authentication.", ErrorIds.CrmMfaRequired, "cannot answer an MFA challenge")]
    [InlineData("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.", ErrorIds.CrmClientRejected, "client secret")]
    [InlineData("unauthorized_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", ErrorIds.CrmClientRejected, "sign-in flow")]
    [InlineData("invalid_resource", 500011, "The resource principal named https://contoso.crm.dynamics.com was not found in the tenant named Contoso.", ErrorIds.NotACrmEndpoint, "not a Dynamics 365 organization")]
    public async Task Entra_errors_get_their_own_clear_error(string error, long code, string text, string errorId, string says)
    {
        using var d = new TestDynamics();
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.BadRequest, EntraError(error, code, text));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Session.LoginAsync(CancellationToken.None));
        d.Http.VerifyAllConsumed();
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(says, ex.Message + " " + ex.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("AADSTS" + code, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Trace ID", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pa&ss", ex.Message, StringComparison.Ordinal);
        Assert.Null(d.Client.Session.Identity);
    }

    [Fact]
    public async Task An_html_page_at_the_token_endpoint_is_not_an_entra_endpoint()
    {
        using var d = new TestDynamics();
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.NotFound, "<html><body>Not found</body></html>", "text/html");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.NotACrmEndpoint, ex.ErrorId);
        Assert.Contains("login.microsoftonline.com", ex.Message);
    }

    [Fact]
    public async Task A_url_that_is_not_a_dataverse_org_is_named_after_the_token_works()
    {
        using var d = new TestDynamics();
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.OK, DynamicsFixtures.Text("entra-ropc-token-success.json"));
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.NotFound, "<!DOCTYPE html><html><title>404</title></html>", "text/html");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Session.LoginAsync(CancellationToken.None));
        d.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.NotACrmEndpoint, ex.ErrorId);
        Assert.Contains("contoso.crm.dynamics.com is not a Dynamics 365 (Dataverse) organization", ex.Message);
        Assert.Contains("HTTP 404, text/html", ex.Message);
    }

    [Fact]
    public async Task A_user_the_org_refuses_gets_a_permission_error()
    {
        using var d = new TestDynamics();
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.OK, DynamicsFixtures.Text("entra-ropc-token-success.json"));
        // Hand-written in the documented error shape (PROTOCOL.md §5.2): 403 for privilege errors.
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.Forbidden,
            "{\"error\":{\"code\":\"0x80072560\",\"message\":\"The user is not a member of the organization.\"}}");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Session.LoginAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.CrmPermissionDenied, ex.ErrorId);
        Assert.Contains("not a member of the organization", ex.Message);
        Assert.Contains("security role", ex.RecommendedAction);
    }

    [Fact]
    public async Task A_401_without_a_body_from_WhoAmI_is_a_refused_user_not_a_wrong_url()
    {
        using var d = new TestDynamics();
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.OK, DynamicsFixtures.Text("entra-ropc-token-success.json"));
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.Unauthorized, null);
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Session.LoginAsync(CancellationToken.None));
        d.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.CrmPermissionDenied, ex.ErrorId);
        Assert.Contains("HTTP 401", ex.Message);
    }

    [Fact]
    public async Task Concurrent_first_calls_sign_in_once()
    {
        using var d = new TestDynamics().ExpectLogin();
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody);
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody);
        await Task.WhenAll(Task.Run(() => d.Client.GetApiUsageAsync(CancellationToken.None)), Task.Run(() => d.Client.GetApiUsageAsync(CancellationToken.None)));
        d.Http.VerifyAllConsumed();
        Assert.Single(d.Http.Requests, r => r.Method == HttpMethod.Post);
    }

    [Fact]
    public async Task The_token_is_renewed_before_it_expires_and_once_on_401()
    {
        using var d = new TestDynamics().ExpectLogin();
        await d.Client.Session.LoginAsync(CancellationToken.None);

        // The recorded token lasts 3599 s; at 55 minutes it is renewed before the call (no WhoAmI again).
        d.Time.Advance(TimeSpan.FromMinutes(55));
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.OK, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"second\"}");
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody);
        Assert.Null(await d.Client.GetApiUsageAsync(CancellationToken.None));
        Assert.Equal("Bearer second", d.Http.Requests[^1].Header("Authorization"));

        // A 401 gets one new token and one replay.
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.Unauthorized, "");
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.OK, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"third\"}");
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody);
        await d.Client.GetApiUsageAsync(CancellationToken.None);
        Assert.Equal("Bearer third", d.Http.Requests[^1].Header("Authorization"));
        Assert.Contains(d.Events.Items, e => e.Kind == CrmEventKind.Relogin);

        // A second 401 right after a new token is final.
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.Unauthorized, "");
        d.Http.Expect(HttpMethod.Post, TestDynamics.TokenUrl, HttpStatusCode.OK, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"fourth\"}");
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.Unauthorized, "");
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.GetApiUsageAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.SessionExpired, ex.ErrorId);
        d.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task Service_protection_headers_are_the_usage()
    {
        // Header values in the shape live environments send (burst: requests left; time: seconds left, "1,199.46").
        using var d = new TestDynamics().ExpectLogin(whoAmI: r =>
        {
            r.Headers.TryAddWithoutValidation("x-ms-ratelimit-burst-remaining-xrm-requests", "5400");
            r.Headers.TryAddWithoutValidation("x-ms-ratelimit-time-remaining-xrm-requests", "1,199.46");
        });
        await d.Client.Session.LoginAsync(CancellationToken.None);
        var usage = d.Client.Session.ApiUsage!;
        Assert.Equal((600L, 6000L), (usage.Used, usage.Max)); // 10% of the request window used, the tighter of the two
        Assert.Equal(usage, Assert.Single(d.Usage.Items));
        Assert.False(d.Client.Session.IsApiReserveReached);

        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody, configure: r =>
        {
            r.Headers.TryAddWithoutValidation("x-ms-ratelimit-burst-remaining-xrm-requests", "5990");
            r.Headers.TryAddWithoutValidation("x-ms-ratelimit-time-remaining-xrm-requests", "60.00");
        });
        var fresh = await d.Client.GetApiUsageAsync(CancellationToken.None);
        Assert.Equal((1_140_000L, 1_200_000L), (fresh!.Used, fresh.Max)); // execution time (ms) is the tighter one now
        Assert.True(d.Client.Session.IsApiReserveReached);

        // An environment with a larger window (8000 requests) raises the limit instead of reading as over-used.
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody, configure: r =>
        {
            r.Headers.TryAddWithoutValidation("x-ms-ratelimit-burst-remaining-xrm-requests", "7999");
            r.Headers.TryAddWithoutValidation("x-ms-ratelimit-time-remaining-xrm-requests", "1,200.00");
        });
        // 5% of the execution time left: the pacer spaces requests, so this one waits its turn (1 s) first.
        var next = d.Client.GetApiUsageAsync(CancellationToken.None);
        await d.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(1));
        Assert.False(next.IsCompleted);
        d.Time.Advance(TimeSpan.FromSeconds(1));
        var larger = await next;
        Assert.Equal((1L, 8000L), (larger!.Used, larger.Max));
        d.Http.VerifyAllConsumed();
        Assert.Contains(d.Events.Items, e => e.Level == CrmEventLevel.Warning && e.Message.Contains("slowing to one request every 1 s", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(0.2, 0.0)]    // at the threshold: full speed
    [InlineData(0.19, 0.263)] // 1140 requests left in 300 s
    [InlineData(0.05, 1.0)]   // 300 left: one a second
    [InlineData(0.01, 5.0)]   // 60 left: one every 5 s
    [InlineData(0.0, 30.0)]   // nothing left: the cap; a 429 beyond that is the pipeline's
    public void The_pace_spreads_what_is_left_of_the_budget_over_the_window(double remaining, double expectedSeconds) =>
        Assert.Equal(expectedSeconds, DataversePacer.SpacingFor(remaining, 6000).TotalSeconds, 3);

    [Fact]
    public async Task With_headroom_requests_go_out_at_once_and_the_pace_returns_when_headroom_does()
    {
        var time = new FakeTimeProvider();
        var events = new RecordingProgress<CrmClientEvent>();
        var pacer = new DataversePacer(time, events);

        await pacer.WaitTurnAsync(CancellationToken.None);
        await pacer.WaitTurnAsync(CancellationToken.None); // no spacing yet: no wait
        Assert.Empty(time.RequestedDelays);

        pacer.Observe(new CrmApiUsage(5940, 6000), 6000); // 60 left
        Assert.Equal(TimeSpan.FromSeconds(5), pacer.Spacing);
        var waiting = pacer.WaitTurnAsync(CancellationToken.None).AsTask();
        await time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(5));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        await waiting;

        pacer.Observe(new CrmApiUsage(10, 6000), 6000); // the window moved on
        Assert.Equal(TimeSpan.Zero, pacer.Spacing);
        await pacer.WaitTurnAsync(CancellationToken.None);
        Assert.Single(events.Items, e => e.Level == CrmEventLevel.Warning); // one warning per slow-down
    }

    [Fact]
    public void Usage_header_numbers_are_read_with_separators_or_not_at_all()
    {
        Assert.Equal(1199.46m, DataverseResponseObserver.Number("1,199.46"));
        Assert.Equal(5999m, DataverseResponseObserver.Number(" 5999 "));
        Assert.Null(DataverseResponseObserver.Number("n/a"));
        Assert.Null(DataverseResponseObserver.ParseUsage(null, null, 6000, 1_200_000));
        Assert.Equal(new CrmApiUsage(6000, 6000), DataverseResponseObserver.ParseUsage(-3, null, 6000, 1_200_000));
    }

    [Fact]
    public async Task A_429_with_retry_after_is_waited_out_and_the_same_request_sent_again()
    {
        using var d = new TestDynamics(resilience: new CrmResilienceOptions { MaxRetryAttempts = 3, UseJitter = false, MinimumThroughput = 100 }).ExpectLogin();
        await d.Client.Session.LoginAsync(CancellationToken.None);
        // Hand-written: the service-protection answer (api-limits.md: 429, Retry-After seconds, code 0x80072322).
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", (HttpStatusCode)429,
            "{\"error\":{\"code\":\"0x80072322\",\"message\":\"Number of requests exceeded the limit of 6000 over time window of 300 seconds.\"}}",
            configure: r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(17)));
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "WhoAmI", HttpStatusCode.OK, TestDynamics.WhoAmIBody);
        var call = d.Client.GetApiUsageAsync(CancellationToken.None);
        await d.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(17));
        Assert.False(call.IsCompleted);
        d.Time.Advance(TimeSpan.FromSeconds(17));
        await call;
        d.Http.VerifyAllConsumed();
        Assert.Contains(TimeSpan.FromSeconds(17), d.Time.RequestedDelays);
        Assert.Contains(d.Events.Items, e => e.Kind == CrmEventKind.Throttled);
    }

    [Fact]
    public void Service_protection_and_expired_tokens_map_to_their_own_errors()
    {
        var limit = DataverseSession.ToException((HttpStatusCode)429,
            "{\"error\":{\"code\":\"0x80072321\",\"message\":\"Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds.\"}}", "entity lead");
        Assert.Equal(ErrorIds.CrmApiLimitExceeded, limit.ErrorId);
        // ErrorCodes.ExpiredVersionStamp is recognised by its code even where the message is worded differently.
        Assert.Equal(ErrorIds.CrmChangeTokenExpired, DataverseSession.ToException(HttpStatusCode.BadRequest,
            "{\"error\":{\"code\":\"0x80044352\",\"message\":\"Please perform a full sync.\"}}", "entity lead").ErrorId);
        var denied = DataverseSession.ToException(HttpStatusCode.Forbidden,
            "{\"error\":{\"code\":\"0x80040220\",\"message\":\"Principal user (Id=8f1f…) is missing prvReadLead privilege (Id=…) on OTC=4 for entity 'lead'.\"}}", "entity lead");
        Assert.Equal(ErrorIds.CrmPermissionDenied, denied.ErrorId);
        Assert.Contains("entity lead", denied.Message);
        Assert.Contains("prvReadLead", denied.Message);
        var validation = DataverseSession.ToException(HttpStatusCode.BadRequest, DynamicsFixtures.Text("error-400-validation.json"), "entity task");
        Assert.Equal(ErrorIds.CrmRequestFailed, validation.ErrorId);
        Assert.Contains("0x80044331: A validation error occurred.", validation.Message);
        var gone = DataverseSession.ToException(HttpStatusCode.NotFound, DynamicsFixtures.Text("error-404-upsert-prevent-create.json"), "account 1");
        Assert.Equal(ErrorIds.CrmObjectNotFound, gone.ErrorId);
        Assert.Contains("Does Not Exist", gone.Message);
    }

    [Fact]
    public void The_factory_builds_a_dataverse_client_without_sending_anything()
    {
        var http = new RecordedHttpHandler();
        using var client = CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = CrmKind.Dynamics, OrganizationUrl = new Uri("https://contoso.crm4.dynamics.com/main.aspx"), Username = "u@contoso.com", Password = SecretValue.Copy("p"),
        }, new CrmClientOptions { PrimaryHandler = http });
        var dataverse = Assert.IsType<DataverseClient>(client);
        Assert.Equal(CrmKind.Dynamics, client.Kind);
        Assert.Null(client.Session.Identity);
        Assert.Equal(new Uri("https://contoso.crm4.dynamics.com/api/data/v9.2/"), dataverse.Session.ApiBase);
        Assert.Equal(DataverseRecordWriter.DefaultMaxBatchSize, client.Writer.MaxBatchSize);
        Assert.Empty(http.Requests);
    }
}
