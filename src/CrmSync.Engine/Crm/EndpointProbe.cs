using System.Net;
using System.Net.Http.Headers;

namespace CrmSync.Engine.Crm;

/// <summary>
/// One unauthenticated GET for the "URL reachable" checks: over the options' primary handler when given (tests), else a
/// short-lived handler that validates TLS and follows no redirect. Never carries credentials.
/// </summary>
internal static class EndpointProbe
{
    /// <summary>What the probe saw: the status, the media type, the WWW-Authenticate header and the body (at most 4 KB), or the failure.</summary>
    internal sealed record Answer(HttpStatusCode? Status, string? MediaType, string? Authenticate, string Body, string? Failure);

    /// <summary>What one CRM makes of the probe's answer: whether the host answers as that CRM, the row's detail and what to do.</summary>
    internal sealed record Verdict(bool AnswersAsCrm, string Detail, string WhatToDo = "");

    /// <summary>
    /// The "URL reachable" check of either CRM: <paramref name="resolve"/> reads <paramref name="shown"/> as the CRM's login
    /// would (a URL it refuses, such as plain http to a remote host, is a Failed row and nothing is sent), one GET of
    /// <paramref name="probePath"/> on the resolved URL without credentials, a Failed row when no answer comes, and otherwise
    /// the row that <paramref name="judge"/> makes of the answer (Passed when the host answers as the CRM, else Failed).
    /// </summary>
    public static async Task<CrmConnectionCheck> CheckAsync(Uri shown, Func<Uri, Uri> resolve, string probePath, CrmClientOptions options,
        Func<Uri, Answer, Verdict> judge, CancellationToken cancellationToken)
    {
        Uri url;
        try
        {
            url = resolve(shown);
        }
        catch (CrmSyncException error)
        {
            return Refused(shown, error);
        }
        var answer = await GetAsync(new Uri(url, probePath), options, cancellationToken).ConfigureAwait(false);
        if (answer.Failure is { } failure)
            return Unreachable(url, failure);
        var verdict = judge(url, answer);
        return new CrmConnectionCheck
        {
            Check = CrmConnectionCheck.Names.UrlReachable,
            Target = url.GetLeftPart(UriPartial.Authority),
            Result = verdict.AnswersAsCrm ? ConnectionCheckResult.Passed : ConnectionCheckResult.Failed,
            Detail = verdict.Detail,
            WhatToDo = verdict.WhatToDo,
        };
    }

    public static async Task<Answer> GetAsync(Uri url, CrmClientOptions options, CancellationToken cancellationToken)
    {
        var own = options.PrimaryHandler is null;
        HttpMessageHandler handler = options.PrimaryHandler ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AutomaticDecompression = DecompressionMethods.All,
        };
        using var http = new HttpClient(handler, disposeHandler: own) { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.UserAgent.ParseAdd("CrmSync/" + EngineInfo.Version);
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType,
                // Read unvalidated: Dataverse's challenge carries unquoted URLs (authorization_uri=https://…) that the typed parser drops.
                response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var challenge) ? string.Join(", ", challenge) : null,
                body.Length > 4096 ? body[..4096] : body, null);
        }
        catch (HttpRequestException ex)
        {
            return new Answer(null, null, null, "", ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(null, null, null, "", "no answer within 30 seconds");
        }
    }

    /// <summary>The row for a host that gave no answer.</summary>
    public static CrmConnectionCheck Unreachable(Uri url, string failure) => new()
    {
        Check = CrmConnectionCheck.Names.UrlReachable,
        Target = url.GetLeftPart(UriPartial.Authority),
        Result = ConnectionCheckResult.Failed,
        Detail = $"Could not reach {url.Host}: {failure}",
        WhatToDo = $"Check the URL, DNS, the proxy and the network connection to {url.Host}; then run {Shell.ShellAction.TestConnection} again.",
    };

    /// <summary>The row for a URL refused before sending (insecure or malformed).</summary>
    public static CrmConnectionCheck Refused(Uri url, CrmSyncException error) => new()
    {
        Check = CrmConnectionCheck.Names.UrlReachable,
        Target = url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Authority) : url.ToString(),
        Result = ConnectionCheckResult.Failed,
        Detail = error.Message,
        WhatToDo = error.RecommendedAction,
    };
}
