using System.Globalization;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Sits under the resilience handler, so it sees every attempt's response: reports the request and Dataverse's request id
/// (Debug) and the service-protection headroom from <c>x-ms-ratelimit-burst-remaining-xrm-requests</c> and
/// <c>x-ms-ratelimit-time-remaining-xrm-requests</c>.
/// </summary>
/// <remarks>
/// Dataverse has no daily allowance like Salesforce's; its service protection limits are counted per user and per web server
/// over a sliding 300-second window: by default 6000 requests and 1200 seconds of combined execution time (api-limits.md;
/// environments may have more, e.g. 8000). The burst header gives the requests left (<c>5999</c>), the time header the
/// seconds of execution time left, with a thousands separator and decimals (<c>1,200.00</c>). The usage reported is the
/// tighter of the two as used/max, in requests or in milliseconds; a limit is the documented default or, when a response
/// shows more headroom than that, the largest remaining value seen plus one, so nothing is hard-coded beyond a start value.
/// Microsoft calls the headers informational (they reset when the affinity cookie changes), so they steer the pace only;
/// 429 with Retry-After stays the authority and is honoured by the resilience pipeline. With a <see cref="DataversePacer"/>,
/// every attempt waits its turn first, and each reported headroom sets the pace.
/// </remarks>
internal sealed class DataverseResponseObserver(
    Action<CrmApiUsage> onUsage, IProgress<CrmClientEvent>? events, HttpMessageHandler inner, DataversePacer? pacer = null)
    : DelegatingHandler(inner)
{
    public const long DefaultRequestLimit = 6000;
    public const long DefaultExecutionTimeLimitMs = 1_200_000;
    public const string BurstRemainingHeader = "x-ms-ratelimit-burst-remaining-xrm-requests";
    public const string TimeRemainingHeader = "x-ms-ratelimit-time-remaining-xrm-requests";
    private static readonly string[] RequestIdHeaders = ["x-ms-service-request-id", "REQ_ID", "request-id"];

    private long _requestLimit = DefaultRequestLimit;
    private long _timeLimitMs = DefaultExecutionTimeLimitMs;

    /// <summary>The usage the two headers describe against the limits seen so far (either header may be missing); null when neither is readable.</summary>
    public CrmApiUsage? Observe(string? burstRemaining, string? timeRemainingSeconds)
    {
        var requests = Number(burstRemaining);
        var seconds = Number(timeRemainingSeconds);
        var requestLimit = requests is { } r ? Raise(ref _requestLimit, (long)r + 1) : Volatile.Read(ref _requestLimit);
        var timeLimit = seconds is { } t ? Raise(ref _timeLimitMs, (long)Math.Ceiling(t * 1000)) : Volatile.Read(ref _timeLimitMs);
        return ParseUsage(requests, seconds, requestLimit, timeLimit);
    }

    private static long Raise(ref long limit, long seen)
    {
        long current;
        while ((current = Volatile.Read(ref limit)) < seen && Interlocked.CompareExchange(ref limit, seen, current) != current)
        {
        }
        return Math.Max(current, seen);
    }

    /// <summary>The tighter of the two remaining budgets as a usage; null when neither is known.</summary>
    public static CrmApiUsage? ParseUsage(decimal? requestsRemaining, decimal? secondsRemaining, long requestLimit, long timeLimitMs)
    {
        CrmApiUsage? requests = requestsRemaining is { } r ? new CrmApiUsage(requestLimit - Math.Clamp((long)r, 0, requestLimit), requestLimit) : null;
        CrmApiUsage? time = secondsRemaining is { } t ? new CrmApiUsage(timeLimitMs - Math.Clamp((long)Math.Floor(t * 1000), 0, timeLimitMs), timeLimitMs) : null;
        if (requests is null) return time;
        if (time is null) return requests;
        return time.RemainingFraction < requests.RemainingFraction ? time : requests;
    }

    /// <summary>Reads <c>5999</c> or <c>1,199.46</c>; null when absent or unreadable.</summary>
    internal static decimal? Number(string? text) =>
        text is not null && decimal.TryParse(text.Trim(), NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d)
            ? d : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (pacer is not null)
            await pacer.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string? First(string name) => response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
        if (Observe(First(BurstRemainingHeader), First(TimeRemainingHeader)) is { } usage)
        {
            onUsage(usage);
            pacer?.Observe(usage, Volatile.Read(ref _requestLimit));
        }
        if (events is not null)
        {
            var requestId = RequestIdHeaders.Select(First).FirstOrDefault(v => v is not null);
            events.Report(new CrmClientEvent(CrmEventLevel.Debug, CrmEventKind.Request,
                $"{request.Method} {request.RequestUri?.Host}{request.RequestUri?.AbsolutePath} -> {(int)response.StatusCode}"
                + (requestId is null ? "" : $" (request id {requestId})")));
        }
        return response;
    }
}
