using System.Net;
using CrmSync.Engine.Crm;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CrmSync.Engine.Resilience;

/// <summary>
/// Builds the one pipeline per remote: total timeout → retry (exponential backoff + jitter, Retry-After honoured,
/// idempotent requests only) → circuit breaker → per-attempt timeout. Build it once per remote and share it.
/// </summary>
public static class CrmResiliencePipeline
{
    internal static readonly ResiliencePropertyKey<bool> IdempotentProperty = new("CrmSync.Idempotent");
    internal static readonly ResiliencePropertyKey<bool> SoapProperty = new("CrmSync.Soap");
    internal static readonly ResiliencePropertyKey<string> RequestDescriptionProperty = new("CrmSync.RequestDescription");

    /// <summary>Status codes that are worth another attempt: 420 (Salesforce Edge), 429, 500, 502, 503, 504.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) => (int)status is 420 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Builds the pipeline. <paramref name="events"/> receives retries and throttling (Verbose) and breaker changes.</summary>
    public static ResiliencePipeline<HttpResponseMessage> Build(string remoteName, CrmResilienceOptions options, TimeProvider timeProvider,
        IProgress<CrmClientEvent>? events)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>
        {
            Name = remoteName,
            TimeProvider = timeProvider,
        };

        builder.AddTimeout(new TimeoutStrategyOptions { Name = "total-timeout", Timeout = options.TotalTimeout });

        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "retry",
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = options.UseJitter,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    IsTransient(args.Outcome) && !IsSoapFault(args.Outcome, args.Context) && args.Context.Properties.GetValue(IdempotentProperty, false)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, timeProvider, options.MaxRetryAfter)),
                OnRetry = args =>
                {
                    if (events is not null)
                    {
                        var what = args.Context.Properties.GetValue(RequestDescriptionProperty, "request");
                        var throttled = args.Outcome.Result is { } r && ((int)r.StatusCode == 429 || r.StatusCode == HttpStatusCode.ServiceUnavailable)
                            && r.Headers.RetryAfter is not null;
                        var reason = args.Outcome.Exception is TimeoutRejectedException timeout
                                ? $"Timeout: no answer within the attempt timeout of {timeout.Timeout:c}"
                            : args.Outcome.Exception is { } ex ? TransportFailure.Describe("the CRM", ex).Cause
                            : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                        events.Report(new CrmClientEvent(CrmEventLevel.Verbose, throttled ? CrmEventKind.Throttled : CrmEventKind.Retry,
                            $"{what}: {reason}; retry {args.AttemptNumber + 1} of {options.MaxRetryAttempts} in {args.RetryDelay.TotalSeconds:0.###} s."));
                    }
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            Name = "circuit-breaker",
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = options.SamplingDuration,
            BreakDuration = options.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(IsServerFailure(args.Outcome) && !IsSoapFault(args.Outcome, args.Context)),
            OnOpened = args =>
            {
                events?.Report(new CrmClientEvent(CrmEventLevel.Warning, CrmEventKind.CircuitBreaker,
                    $"{remoteName}: too many failures; calls are suspended for {args.BreakDuration.TotalSeconds:0.#} s."));
                return default;
            },
            OnClosed = _ =>
            {
                events?.Report(new CrmClientEvent(CrmEventLevel.Verbose, CrmEventKind.CircuitBreaker, $"{remoteName}: calls resumed."));
                return default;
            },
        });

        builder.AddTimeout(new TimeoutStrategyOptions { Name = "attempt-timeout", Timeout = options.AttemptTimeout });
        return builder.Build();
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        HttpRequestException => true,
        TimeoutRejectedException => true,
        IOException => true,
        null => outcome.Result is { } r && IsTransientStatus(r.StatusCode),
        _ => false,
    };

    /// <summary>
    /// A SOAP fault: an XML HTTP 500 answer to a SOAP request, the server's final answer (see <see cref="CrmRequestOptions.Soap"/>).
    /// A 500 with any other body (an HTML error page of a failing server) stays transient.
    /// </summary>
    private static bool IsSoapFault(Outcome<HttpResponseMessage> outcome, ResilienceContext context) =>
        outcome.Exception is null && outcome.Result is { StatusCode: HttpStatusCode.InternalServerError } r
        && context.Properties.GetValue(SoapProperty, false)
        && (r.Content.Headers.ContentType?.MediaType?.Contains("xml", StringComparison.OrdinalIgnoreCase) ?? false);

    private static bool IsServerFailure(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        HttpRequestException or TimeoutRejectedException or IOException => true,
        null => outcome.Result is { } r && (int)r.StatusCode is 500 or 502 or 503 or 504,
        _ => false,
    };

    /// <summary>The delay a response asks for (Retry-After seconds or HTTP date), capped; null when it asks for none.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider timeProvider, TimeSpan cap)
    {
        var header = response?.Headers.RetryAfter;
        if (header is null) return null;
        TimeSpan? delay = header.Delta ?? (header.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        if (delay is null) return null;
        if (delay < TimeSpan.Zero) return TimeSpan.Zero;
        return delay > cap ? cap : delay;
    }
}
