using System.Globalization;
using System.Text.RegularExpressions;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// Sits under the resilience handler, so it sees every attempt's response: reports the request and the CRM's
/// request id (Debug) and the API usage from <c>Sforce-Limit-Info</c>.
/// </summary>
internal sealed partial class SalesforceResponseObserver(Action<CrmApiUsage> onUsage, IProgress<CrmClientEvent>? events, HttpMessageHandler inner)
    : DelegatingHandler(inner)
{
    private static readonly string[] RequestIdHeaders = ["Sforce-Request-Id", "X-Request-Id", "X-SFDC-Request-Id"];

    [GeneratedRegex(@"(?:^|;)\s*api-usage\s*=\s*(\d+)\s*/\s*(\d+)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ApiUsageRegex();

    /// <summary>Parses <c>api-usage=18/5000</c> (optionally followed by <c>; per-app-api-usage=...</c>); null when absent.</summary>
    public static CrmApiUsage? ParseLimitInfo(string? header)
    {
        if (string.IsNullOrEmpty(header)) return null;
        var m = ApiUsageRegex().Match(header);
        if (!m.Success) return null;
        return long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var used)
            && long.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var max)
            ? new CrmApiUsage(used, max) : null;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues("Sforce-Limit-Info", out var values) && ParseLimitInfo(string.Join(";", values)) is { } usage)
            onUsage(usage);
        if (events is not null)
        {
            string? requestId = null;
            foreach (var h in RequestIdHeaders)
                if (response.Headers.TryGetValues(h, out var ids)) { requestId = ids.FirstOrDefault(); break; }
            events.Report(new CrmClientEvent(CrmEventLevel.Debug, CrmEventKind.Request,
                $"{request.Method} {request.RequestUri?.Host}{request.RequestUri?.AbsolutePath} -> {(int)response.StatusCode}"
                + (requestId is null ? "" : $" (request id {requestId})")));
        }
        return response;
    }
}
