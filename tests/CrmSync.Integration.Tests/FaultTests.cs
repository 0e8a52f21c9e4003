using System.Net;
using CrmSync.Emulator.Faults;
using CrmSync.Engine;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Resilience;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>The resilience pipeline against the emulator's faults, on the client's manual clock (no test waits on real time).</summary>
public sealed class FaultTests
{
    private static readonly TimeSpan Backoffs = TimeSpan.FromMinutes(1);
    private const string Describe = "/sobjects/Lead/describe";

    private static List<HttpStatusCode?> Statuses(TestClient test, string path) =>
        test.Wire.Requests.Where(r => r.Path.EndsWith(path, StringComparison.Ordinal)).Select(r => r.Status).ToList();

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task A_throttled_call_waits_the_Retry_After_delay_on_the_client_clock_then_succeeds(int status)
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = status, RetryAfterSeconds = 7, Count = 2, PathContains = Describe });

        var call = test.Schema.DescribeAsync("Lead", CancellationToken.None);
        await test.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(7));
        Assert.False(call.IsCompleted);
        test.Time.Advance(TimeSpan.FromSeconds(7));
        await test.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(7));
        test.Time.Advance(TimeSpan.FromSeconds(7));
        var lead = await call;

        Assert.Equal("Lead", lead.Name);
        Assert.Equal([(HttpStatusCode)status, (HttpStatusCode)status, HttpStatusCode.OK], Statuses(test, Describe));
        Assert.Equal(2, test.Time.RequestedDelays.Count(d => d == TimeSpan.FromSeconds(7)));
        Assert.Equal(2, test.Log.CountOf(CrmEventKind.Throttled));
    }

    [Fact]
    public async Task Retries_give_up_after_the_configured_attempts_with_a_clear_error()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(resilience: new CrmResilienceOptions { MaxRetryAttempts = 2, MinimumThroughput = 100 });
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 503, Count = 10, PathContains = Describe });

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() =>
            test.Time.RunAdvancingAsync(test.Schema.DescribeAsync("Lead", CancellationToken.None), Backoffs));

        Assert.Equal(ErrorIds.CrmRequestFailed, ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
        Assert.Contains("SERVER_UNAVAILABLE", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, Statuses(test, Describe).Count);
        Assert.Equal(2, test.Log.CountOf(CrmEventKind.Retry));
    }

    [Fact]
    public async Task A_dropped_connection_is_retried_for_a_read()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.DropConnection, Count = 1, PathContains = Describe });

        var lead = await test.Time.RunAdvancingAsync(test.Schema.DescribeAsync("Lead", CancellationToken.None), Backoffs);

        Assert.Equal("Lead", lead.Name);
        Assert.Equal([null, HttpStatusCode.OK], Statuses(test, Describe));
        Assert.Equal(1, test.Log.CountOf(CrmEventKind.Retry));
    }

    [Fact]
    public async Task A_dropped_connection_on_a_create_is_reported_not_retried()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.DropConnection, Count = 1, PathContains = "/composite/sobjects", Method = "POST" });

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Writer.CreateAsync("Lead",
            [new CrmRecordChange(null, new Dictionary<string, object?> { ["LastName"] = "X", ["Company"] = "Y" })], CancellationToken.None));

        Assert.Equal(ErrorIds.CrmUnreachable, ex.ErrorId);
        Assert.Equal(1, test.Wire.Count("/composite/sobjects"));
    }

    [Fact]
    public async Task A_slow_answer_beyond_the_attempt_timeout_is_abandoned_and_retried()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var attemptTimeout = TimeSpan.FromSeconds(5);
        var test = emulator.CreateClient(resilience: new CrmResilienceOptions
        {
            AttemptTimeout = attemptTimeout, BaseDelay = TimeSpan.FromSeconds(1), UseJitter = false, MaxRetryAttempts = 2,
        });
        await test.Session.LoginAsync(CancellationToken.None);
        // The emulator holds the first answer for 5 real minutes (it is abandoned long before).
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.Latency, Delay = TimeSpan.FromMinutes(5), Count = 1, PathContains = Describe });

        var call = test.Schema.DescribeAsync("Lead", CancellationToken.None);
        await WaitUntilAsync(() => emulator.Host.Faults.Rules.Count == 0); // the slow request reached the server
        await test.Time.WaitForPendingTimerAsync(attemptTimeout);
        test.Time.Advance(attemptTimeout);
        await test.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(1));
        test.Time.Advance(TimeSpan.FromSeconds(1));
        var lead = await call.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Lead", lead.Name);
        Assert.Equal([null, HttpStatusCode.OK], Statuses(test, Describe));
        Assert.Contains(test.Log.Events, e => e.Kind == CrmEventKind.Retry && e.Message.Contains("Timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_answer_without_retries_left_is_CrmTimeout()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var attemptTimeout = TimeSpan.FromSeconds(5);
        var test = emulator.CreateClient(resilience: new CrmResilienceOptions { AttemptTimeout = attemptTimeout, MaxRetryAttempts = 0 });
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.Latency, Delay = TimeSpan.FromMinutes(5), Count = 1, PathContains = Describe });

        var call = test.Schema.DescribeAsync("Lead", CancellationToken.None);
        await WaitUntilAsync(() => emulator.Host.Faults.Rules.Count == 0);
        await test.Time.WaitForPendingTimerAsync(attemptTimeout);
        test.Time.Advance(attemptTimeout);
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ErrorIds.CrmTimeout, ex.ErrorId);
    }

    [Fact]
    public async Task REQUEST_LIMIT_EXCEEDED_is_CrmApiLimitExceeded_and_not_retried()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.RequestLimitExceeded, Count = 3, PathContains = Describe });

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Schema.DescribeAsync("Lead", CancellationToken.None));

        Assert.Equal(ErrorIds.CrmApiLimitExceeded, ex.ErrorId);
        Assert.Equal(ErrorKind.LimitsExceeded, ex.Kind);
        Assert.Equal([HttpStatusCode.Forbidden], Statuses(test, Describe));
    }

    [Fact]
    public async Task A_spent_daily_allowance_is_CrmApiLimitExceeded_and_the_reserve_is_reported_before_it()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.SetDailyApiLimit(1000, used: 950);

        await test.Changes.EstimateCountAsync("Lead", CancellationToken.None);
        Assert.Equal(new CrmApiUsage(951, 1000), test.Session.ApiUsage);
        Assert.True(test.Session.IsApiReserveReached);
        var usage = await test.Client.GetApiUsageAsync(CancellationToken.None);
        Assert.Equal(1000, usage!.Max);
        Assert.Equal(952, usage.Used);

        emulator.Host.SetDailyApiLimit(1000, used: 1000);
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Changes.EstimateCountAsync("Lead", CancellationToken.None));
        Assert.Equal(ErrorIds.CrmApiLimitExceeded, ex.ErrorId);
    }

    [Fact]
    public async Task Sforce_Limit_Info_usage_is_reported_on_every_response()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();

        await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        await test.Schema.DescribeAsync("Contact", CancellationToken.None);
        await test.Changes.EstimateCountAsync("Lead", CancellationToken.None);

        var used = emulator.Host.Org.Usage.Used;
        Assert.Equal(new CrmApiUsage(used, 15000), test.Log.Usage[^1]);
        Assert.Equal(test.Log.Usage[^1], test.Session.ApiUsage);
        // Each data call moved the reported usage by one.
        Assert.Equal([used - 2, used - 1, used], test.Log.Usage.TakeLast(3).Select(u => u.Used));
        Assert.False(test.Session.IsApiReserveReached);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_server_errors_and_closes_after_the_break()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient(resilience: new CrmResilienceOptions
        {
            MaxRetryAttempts = 0, MinimumThroughput = 4, FailureRatio = 0.5, SamplingDuration = TimeSpan.FromMinutes(1), BreakDuration = TimeSpan.FromSeconds(30),
        });
        await test.Session.LoginAsync(CancellationToken.None);
        var fault = emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 500, PathContains = "/sobjects/" });

        var errors = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Schema.DescribeAsync("Lead", CancellationToken.None));
            errors.Add(ex.ErrorId);
        }
        var sentWhileOpen = Statuses(test, Describe).Count;

        Assert.Contains(ErrorIds.CrmCircuitOpen, errors);
        Assert.Equal(ErrorIds.CrmCircuitOpen, errors[^1]);
        Assert.True(sentWhileOpen < 6, $"{sentWhileOpen} requests reached the server");
        Assert.Contains(test.Log.Events, e => e.Kind == CrmEventKind.CircuitBreaker && e.Level == CrmEventLevel.Warning);

        emulator.Host.Faults.Remove(fault);
        test.Time.Advance(TimeSpan.FromSeconds(31));
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        Assert.Equal("Lead", lead.Name);
        Assert.Equal(sentWhileOpen + 1, Statuses(test, Describe).Count);
        Assert.Contains(test.Log.Events, e => e.Kind == CrmEventKind.CircuitBreaker && e.Level == CrmEventLevel.Verbose);
    }

    [Fact]
    public async Task Faults_with_a_probability_during_a_full_read_are_absorbed_by_retries()
    {
        await using var emulator = await TestEmulator.StartAsync(new Emulator.Salesforce.Seeding.SeedPlan { Leads = 2000 });
        var test = emulator.CreateClient(resilience: new CrmResilienceOptions { MinimumThroughput = 1000 });
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 503, Probability = 0.3, Seed = 7, PathContains = "/query" });
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.DropConnection, Probability = 0.2, Seed = 3, PathContains = "/query" });

        var pages = await test.Time.RunAdvancingAsync(FullReadTests.CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, ["LastName", "Email"]) { Strategy = CrmFullReadStrategy.Paged, PageSize = 200 }, CancellationToken.None)), Backoffs);

        var ids = pages.SelectMany(p => p.Records).Select(r => r.Id).ToList();
        Assert.Equal(2000, ids.Distinct().Count());
        Assert.Equal(2000, ids.Count);
        Assert.Contains(test.Wire.Requests, r => r.Status == HttpStatusCode.ServiceUnavailable);
        Assert.Contains(test.Wire.Requests, r => r.Status is null);
    }

    /// <summary>Waits for a condition the server side makes true (polling briefly; fails after 30 s instead of hanging).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
            await Task.Delay(10, safety.Token);
    }
}
