using System.Globalization;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Sits under the resilience handler, so it sees every attempt's response: reports the request and Dataverse's request id
/// (Debug) and the service-protection headroom from <c>x-ms-ratelimit-burst-remaining-xrm-requests</c> and
/// <c>x-ms-ratelimit-time-remaining-xrm-requests</c>.
/// </summary>
/// <remarks>
/// Dataverse has no daily allowance like Salesforce's; its service protection limits are counted per user and per web server
/// over a sliding 300-second window: <see cref="RequestLimit"/> requests and <see cref="ExecutionTimeLimitMs"/> ms of combined
/// execution time (api-limits.md). The headers give what remains of each; the usage reported is the tighter of the two, as
/// used/max of that limit. Microsoft calls the headers informational (they reset when the affinity cookie changes), so they
/// steer the pace only; 429 with Retry-After stays the authority and is honoured by the resilience pipeline.
/// </remarks>
internal sealed class DataverseResponseObserver(Action<CrmApiUsage> onUsage, IProgress<CrmClientEvent>? events, HttpMessageHandler inner)
    : DelegatingHandler(inner)
{
    public const long RequestLimit = 6000;
    public const long ExecutionTimeLimitMs = 1_200_000;
    public const string BurstRemainingHeader = "x-ms-ratelimit-burst-remaining-xrm-requests";
    public const string TimeRemainingHeader = "x-ms-ratelimit-time-remaining-xrm-requests";
    private static readonly string[] RequestIdHeaders = ["x-ms-service-request-id", "REQ_ID", "request-id"];

    /// <summary>The usage the two headers describe (either may be missing), or null when neither is there or readable.</summary>
    public static CrmApiUsage? ParseUsage(string? burstRemaining, string? timeRemaining)
    {
        CrmApiUsage? requests = Number(burstRemaining) is { } r ? new CrmApiUsage(RequestLimit - Math.Clamp(r, 0, RequestLimit), RequestLimit) : null;
        CrmApiUsage? time = Number(timeRemaining) is { } t ? new CrmApiUsage(ExecutionTimeLimitMs - Math.Clamp(t, 0, ExecutionTimeLimitMs), ExecutionTimeLimitMs) : null;
        if (requests is null) return time;
        if (time is null) return requests;
        return time.RemainingFraction < requests.RemainingFraction ? time : requests;
    }

    /// <summary>Reads <c>5999</c> or <c>1,199,975.00</c> (the time header carries thousands separators and decimals).</summary>
    private static long? Number(string? text) =>
        text is not null && decimal.TryParse(text.Trim(), NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d)
            ? (long)Math.Floor(d) : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string? First(string name) => response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
        if (ParseUsage(First(BurstRemainingHeader), First(TimeRemainingHeader)) is { } usage)
            onUsage(usage);
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
