using System.Net;
using System.Net.Http.Headers;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Tests.Crm;
using Polly.CircuitBreaker;

namespace CrmSync.Engine.Tests.Resilience;

/// <summary>The pipeline on a fake clock: delays are asserted, never slept.</summary>
public sealed class ResiliencePipelineTests
{
    private const string Url = "https://na15.salesforce.com/services/data/v59.0/sobjects/";

    private sealed class Harness : IDisposable
    {
        public RecordedHttpHandler Http { get; } = new();
        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
        public RecordingProgress<CrmClientEvent> Events { get; } = new();
        public HttpClient Client { get; }

        public Harness(CrmResilienceOptions options, HttpMessageHandler? inner = null)
        {
            var pipeline = CrmResiliencePipeline.Build("test", options, Time, Events);
            Client = new HttpClient(new ResilienceHttpHandler(pipeline, inner ?? Http)) { Timeout = Timeout.InfiniteTimeSpan };
        }

        public void Dispose() => Client.Dispose();
    }

    private static CrmResilienceOptions NoJitter(int retries = 3) => new()
    {
        MaxRetryAttempts = retries,
        UseJitter = false,
        BaseDelay = TimeSpan.FromSeconds(2),
        MinimumThroughput = 100,
    };

    [Fact]
    public async Task Retry_after_seconds_is_honoured_on_503()
    {
        using var h = new Harness(NoJitter());
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.ServiceUnavailable, "[]", configure: r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.OK, "{}");

        var call = h.Client.GetAsync(Url);
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(7));
        Assert.False(call.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(7));
        using var response = await call;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        h.Http.VerifyAllConsumed();
        Assert.Contains(TimeSpan.FromSeconds(7), h.Time.RequestedDelays);
        var e = Assert.Single(h.Events.Items, x => x.Kind == CrmEventKind.Throttled);
        Assert.Equal(CrmEventLevel.Verbose, e.Level);
        Assert.Contains("HTTP 503", e.Message);
    }

    [Fact]
    public async Task Retry_after_http_date_is_honoured_on_429_and_capped()
    {
        using var h = new Harness(NoJitter());
        var now = h.Time.GetUtcNow();
        h.Http.Expect(HttpMethod.Get, Url, (HttpStatusCode)429, "[]", configure: r => r.Headers.RetryAfter = new RetryConditionHeaderValue(now.AddSeconds(30)));
        h.Http.Expect(HttpMethod.Get, Url, (HttpStatusCode)429, "[]", configure: r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1)));
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.OK, "{}");

        var call = h.Client.GetAsync(Url);
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(30));
        h.Time.Advance(TimeSpan.FromSeconds(30));
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromMinutes(5)); // one hour asked, capped at MaxRetryAfter
        h.Time.Advance(TimeSpan.FromMinutes(5));
        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        h.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task Without_retry_after_the_backoff_is_exponential_for_5xx_and_420()
    {
        using var h = new Harness(NoJitter());
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.InternalServerError, "[]");
        h.Http.Expect(HttpMethod.Get, Url, (HttpStatusCode)420, "[]");
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.BadGateway, "[]");
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.OK, "{}");

        var call = h.Client.GetAsync(Url);
        foreach (var seconds in new[] { 2, 4, 8 })
        {
            await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(seconds));
            h.Time.Advance(TimeSpan.FromSeconds(seconds));
        }
        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        h.Http.VerifyAllConsumed();
        Assert.Equal(3, h.Events.Items.Count(e => e.Kind == CrmEventKind.Retry));
    }

    [Fact]
    public async Task Non_idempotent_posts_are_not_retried()
    {
        using var h = new Harness(NoJitter());
        h.Http.Expect(HttpMethod.Post, Url, HttpStatusCode.ServiceUnavailable, "[]");
        using var response = await h.Client.PostAsync(Url, new StringContent("{\"records\":[]}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        h.Http.VerifyAllConsumed();
        Assert.Single(h.Http.Requests);
        Assert.DoesNotContain(h.Events.Items, e => e.Kind is CrmEventKind.Retry or CrmEventKind.Throttled);
    }

    [Fact]
    public async Task Posts_marked_idempotent_are_retried_with_the_same_body()
    {
        using var h = new Harness(NoJitter());
        h.Http.Expect(HttpMethod.Patch, Url, HttpStatusCode.ServiceUnavailable, "[]");
        h.Http.Expect(HttpMethod.Patch, Url, HttpStatusCode.OK, "[]");
        using var request = new HttpRequestMessage(HttpMethod.Patch, Url) { Content = new StringContent("{\"allOrNone\":false}") };
        request.MarkIdempotent();
        var call = h.Client.SendAsync(request);
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(2));
        h.Time.Advance(TimeSpan.FromSeconds(2));
        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        h.Http.VerifyAllConsumed();
        Assert.All(h.Http.Requests, r => Assert.Equal("{\"allOrNone\":false}", r.BodyText));
    }

    [Fact]
    public async Task Network_failures_on_gets_are_retried_and_4xx_are_not()
    {
        var inner = new ScriptedHandler(
            _ => throw new HttpRequestException("Connection refused"),
            _ => Task.FromResult(RecordedHttpHandler.Response(HttpStatusCode.BadRequest, "[]")));
        using var h = new Harness(NoJitter(), inner);
        var call = h.Client.GetAsync(Url);
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(2));
        h.Time.Advance(TimeSpan.FromSeconds(2));
        using var response = await call;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task A_hung_attempt_times_out_on_the_fake_clock_and_is_retried()
    {
        var inner = new ScriptedHandler(
            async ct => { await Task.Delay(Timeout.Infinite, ct); throw new InvalidOperationException("unreachable"); },
            _ => Task.FromResult(RecordedHttpHandler.Response(HttpStatusCode.OK, "{}")));
        using var h = new Harness(new CrmResilienceOptions
        {
            MaxRetryAttempts = 2,
            UseJitter = false,
            BaseDelay = TimeSpan.FromSeconds(1),
            AttemptTimeout = TimeSpan.FromSeconds(10),
            MinimumThroughput = 100,
        }, inner);
        var call = h.Client.GetAsync(Url);
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(10));
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(1));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, inner.Calls);
        Assert.Contains(h.Events.Items, e => e.Kind == CrmEventKind.Retry && e.Message.Contains("timeout", StringComparison.Ordinal)
                                             && !e.Message.Contains("Exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_stops_calls()
    {
        using var h = new Harness(new CrmResilienceOptions
        {
            MaxRetryAttempts = 0,
            MinimumThroughput = 2,
            FailureRatio = 0.5,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(30),
        });
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.InternalServerError, "[]");
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.ServiceUnavailable, "[]");
        (await h.Client.GetAsync(Url)).Dispose();
        (await h.Client.GetAsync(Url)).Dispose();

        await Assert.ThrowsAsync<BrokenCircuitException>(() => h.Client.GetAsync(Url));
        h.Http.VerifyAllConsumed(); // the third call never reached the server
        Assert.Contains(h.Events.Items, e => e.Kind == CrmEventKind.CircuitBreaker && e.Level == CrmEventLevel.Warning);

        // After the break, a trial call goes through and closes the circuit.
        h.Time.Advance(TimeSpan.FromSeconds(31));
        h.Http.Expect(HttpMethod.Get, Url, HttpStatusCode.OK, "{}");
        using var ok = await h.Client.GetAsync(Url);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        h.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task The_client_maps_an_open_circuit_to_CrmCircuitOpen()
    {
        using var sf = new TestSalesforce(resilience: new CrmResilienceOptions { MaxRetryAttempts = 0, MinimumThroughput = 2 }).ExpectSoapLogin();
        // The successful login and one failure: a failure ratio of 0.5 over the minimum throughput of 2 opens the circuit.
        sf.Http.Expect(HttpMethod.Get, "/services/data/v59.0/sobjects/", HttpStatusCode.InternalServerError, "[]");
        var first = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.ListObjectsAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.CrmRequestFailed, first.ErrorId);
        var open = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.ListObjectsAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.CrmCircuitOpen, open.ErrorId);
        Assert.Contains("na15.salesforce.com", open.Message);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task The_client_does_not_retry_creates_but_retries_upserts()
    {
        using var sf = new TestSalesforce(resilience: new CrmResilienceOptions { MaxRetryAttempts = 2, UseJitter = false, BaseDelay = TimeSpan.FromSeconds(1), MinimumThroughput = 100 })
            .ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Post, "/services/data/v59.0/composite/sobjects", HttpStatusCode.ServiceUnavailable, "[]");
        var record = new CrmRecordChange(null, new Dictionary<string, object?> { ["Ext_Key__c"] = "k", ["LastName"] = "A" });
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Writer.CreateAsync("Lead", [record], CancellationToken.None));
        Assert.Equal(ErrorIds.CrmRequestFailed, ex.ErrorId);
        sf.Http.VerifyAllConsumed();

        sf.Http.Expect(HttpMethod.Patch, "/services/data/v59.0/composite/sobjects/Lead/Ext_Key__c", HttpStatusCode.ServiceUnavailable, "[]");
        sf.Http.Expect(HttpMethod.Patch, "/services/data/v59.0/composite/sobjects/Lead/Ext_Key__c", HttpStatusCode.OK,
            """[{"id":"00Q000000000001AAA","success":true,"errors":[],"created":true}]""");
        var upsert = sf.Client.Writer.UpsertAsync("Lead", "Ext_Key__c", [record], CancellationToken.None);
        await sf.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(1));
        sf.Time.Advance(TimeSpan.FromSeconds(1));
        var results = await upsert;
        Assert.True(Assert.Single(results).Created);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public void Idempotency_by_method_and_marker()
    {
        Assert.True(CrmRequestOptions.IsIdempotent(new HttpRequestMessage(HttpMethod.Get, Url)));
        Assert.True(CrmRequestOptions.IsIdempotent(new HttpRequestMessage(HttpMethod.Delete, Url)));
        Assert.False(CrmRequestOptions.IsIdempotent(new HttpRequestMessage(HttpMethod.Post, Url)));
        Assert.False(CrmRequestOptions.IsIdempotent(new HttpRequestMessage(HttpMethod.Patch, Url)));
        Assert.True(CrmRequestOptions.IsIdempotent(new HttpRequestMessage(HttpMethod.Post, Url).MarkIdempotent()));
    }

    private sealed class ScriptedHandler(params Func<CancellationToken, Task<HttpResponseMessage>>[] steps) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var i = Interlocked.Increment(ref _calls) - 1;
            if (i >= steps.Length) throw new InvalidOperationException($"UNEXPECTED REQUEST #{i + 1} {request.Method} {request.RequestUri}");
            return steps[i](cancellationToken);
        }
    }
}
