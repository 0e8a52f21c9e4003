using CrmSync.Engine;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>Every sign-in method against the emulator over loopback, bad credentials, FLS users and session expiry.</summary>
public sealed class LoginTests
{
    [Theory]
    [InlineData(CrmAuthMethod.Password)]
    [InlineData(CrmAuthMethod.OAuthPassword)]
    [InlineData(CrmAuthMethod.ClientCredentials)]
    public async Task Each_sign_in_method_logs_in_as_the_sync_user_and_can_call_the_api(CrmAuthMethod method)
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(emulator.Settings(method));

        var identity = await test.Session.LoginAsync(CancellationToken.None);

        Assert.Equal(emulator.Host.SyncUserId, identity.UserId);
        Assert.Equal(emulator.Host.OrganizationId, identity.OrganizationId);
        Assert.Equal(new Uri(emulator.Host.BaseUrl), identity.InstanceUrl);
        Assert.Matches(@"^\d{2}\.0$", identity.ApiVersion);
        Assert.False(identity.Sandbox);
        Assert.Equal(1, test.Wire.Logins);
        Assert.Equal(method == CrmAuthMethod.Password ? 1 : 0, test.Wire.Count("/services/Soap/u/"));
        Assert.Equal(method == CrmAuthMethod.Password ? 0 : 1, test.Wire.Count("/services/oauth2/token"));

        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        Assert.Equal("Lead", lead.Name);
        Assert.Equal(1, test.Wire.Logins);
        Assert.Contains(test.Wire.Requests, r => r.Path == $"/services/data/v{identity.ApiVersion}/sobjects/Lead/describe");
        // Every data response carried Sforce-Limit-Info, which reached the session and the usage sink.
        Assert.NotNull(test.Session.ApiUsage);
        Assert.Equal(emulator.Host.Options.DailyApiLimit, test.Session.ApiUsage!.Max);
        Assert.NotEmpty(test.Log.Usage);
    }

    [Fact]
    public async Task A_lazy_first_call_logs_in_by_itself()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();

        var objects = await test.Schema.ListObjectsAsync(CancellationToken.None);

        Assert.Contains(objects, o => o.Name == "Lead");
        Assert.Equal(1, test.Wire.Logins);
        Assert.Equal(emulator.Host.SyncUserId, test.Session.Identity!.UserId);
    }

    [Theory]
    [InlineData(CrmAuthMethod.Password)]
    [InlineData(CrmAuthMethod.OAuthPassword)]
    public async Task A_wrong_security_token_is_InvalidCredentials_that_names_the_security_token(CrmAuthMethod method)
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(emulator.Settings(method, securityToken: "notthetoken"));

        // A rejected login must not wait for retries (the client's clock never moves here: a retry would hang until the guard).
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Session.LoginAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Contains("security token", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("notthetoken", ex.ToString(), StringComparison.Ordinal);
        Assert.Null(test.Session.Identity);
        // A rejected login is not retried.
        Assert.Equal(1, test.Wire.Logins);
    }

    [Fact]
    public async Task A_wrong_consumer_secret_is_InvalidCredentials_about_the_connected_app()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(emulator.Settings(CrmAuthMethod.ClientCredentials, clientSecret: "wrong-secret"));

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Session.LoginAsync(CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Contains("consumer", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("wrong-secret", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_restricted_user_logs_in_as_itself()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(emulator.Settings(username: emulator.Host.Credentials.RestrictedUsername));

        var identity = await test.Session.LoginAsync(CancellationToken.None);

        Assert.Equal(emulator.Host.Org.RestrictedUser.Id, identity.UserId);
        Assert.NotEqual(emulator.Host.SyncUserId, identity.UserId);
        Assert.Equal(emulator.Host.OrganizationId, identity.OrganizationId);
    }

    [Theory]
    [InlineData(CrmAuthMethod.Password)]
    [InlineData(CrmAuthMethod.OAuthPassword)]
    public async Task An_expired_session_is_renewed_transparently_with_exactly_one_login(CrmAuthMethod method)
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(emulator.Settings(method));
        await test.Session.LoginAsync(CancellationToken.None);
        await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        Assert.Equal(1, test.Wire.Logins);

        Assert.True(emulator.Host.ExpireAllSessions() >= 1);
        var contact = await test.Schema.DescribeAsync("Contact", CancellationToken.None);

        Assert.Equal("Contact", contact.Name);
        Assert.Equal(2, test.Wire.Logins);
        Assert.Equal(1, test.Log.CountOf(CrmEventKind.Relogin));
        // The rejected call was replayed once with the new session: 401 then 200.
        var describes = test.Wire.Requests.Where(r => r.Path.EndsWith("/sobjects/Contact/describe", StringComparison.Ordinal)).ToList();
        Assert.Equal([System.Net.HttpStatusCode.Unauthorized, System.Net.HttpStatusCode.OK], describes.Select(r => r.Status));
    }

    [Fact]
    public async Task Concurrent_calls_on_an_expired_session_share_one_new_login()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);

        emulator.Host.ExpireAllSessions();
        var names = new[] { "Lead", "Contact", "Account", "Campaign", "Opportunity", "Task" };
        var described = await Task.WhenAll(names.Select(n => test.Schema.DescribeAsync(n, CancellationToken.None)));

        Assert.Equal(names, described.Select(d => d.Name));
        Assert.Equal(2, test.Wire.Logins);
    }

    [Fact]
    public async Task A_session_that_expires_by_inactivity_on_the_emulator_clock_is_renewed()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);

        emulator.Clock.Advance(emulator.Host.Options.SessionTimeout + TimeSpan.FromMinutes(1));
        var count = await test.Changes.EstimateCountAsync("Lead", CancellationToken.None);

        Assert.Equal(0, count);
        Assert.Equal(2, test.Wire.Logins);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task A_login_server_error_that_is_not_a_SOAP_fault_is_retried(int status)
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        emulator.Host.Faults.Add(new Emulator.Faults.FaultRule
        {
            Kind = Emulator.Faults.FaultKind.HttpStatus, StatusCode = status, RetryAfterSeconds = 2, Count = 1, PathContains = "/services/Soap/",
        });

        var identity = await test.Time.RunAdvancingAsync(test.Session.LoginAsync(CancellationToken.None), TimeSpan.FromMinutes(1));

        Assert.Equal(emulator.Host.SyncUserId, identity.UserId);
        Assert.Equal(2, test.Wire.Logins);
        Assert.Contains(TimeSpan.FromSeconds(2), test.Time.RequestedDelays);
    }
}
