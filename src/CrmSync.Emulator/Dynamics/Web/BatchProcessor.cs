using System.Text;
using CrmSync.Emulator.Dynamics.Data;

namespace CrmSync.Emulator.Dynamics.Web;

/// <summary>
/// OData <c>$batch</c> as Dataverse serves it: <c>multipart/mixed</c> with <c>application/http</c> parts, change sets
/// (nested <c>multipart/mixed</c>) that run atomically with <c>Content-ID</c> references (<c>$n</c>), at most 1000
/// requests, stop at the first error with 400 unless <c>Prefer: odata.continue-on-error</c> (then 200 with every
/// part's own status). Answers with <c>batchresponse_</c>/<c>changesetresponse_</c> boundaries and CRLF line ends.
/// </summary>
public sealed class BatchProcessor
{
    public const int MaxRequests = 1000;
    private readonly DataverseApi _api;
    private readonly DataverseStore _store;

    public BatchProcessor(DataverseApi api, DataverseStore store)
    {
        _api = api;
        _store = store;
    }

    private sealed record Part(Dictionary<string, string> Headers, string Content);

    private sealed record InnerRequest(string Method, string Url, Dictionary<string, string> Headers, string? Body, string? ContentId);

    private abstract record Item;
    private sealed record Single(InnerRequest Request) : Item;
    private sealed record ChangeSet(List<InnerRequest> Requests) : Item;

    /// <summary>The boundary parameter of a multipart Content-Type, or null.</summary>
    public static string? Boundary(string contentType)
    {
        foreach (var p in contentType.Split(';', StringSplitOptions.TrimEntries))
        {
            if (p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                return p["boundary=".Length..].Trim('"');
            }
        }
        return null;
    }

    private static List<Part> SplitParts(string body, string boundary)
    {
        string text = body.Replace("\r\n", "\n", StringComparison.Ordinal);
        string delimiter = "--" + boundary;
        var parts = new List<Part>();
        int index = text.IndexOf(delimiter, StringComparison.Ordinal);
        if (index < 0)
        {
            throw new DataverseException(400, "0x80060888", "The batch request body does not contain the boundary given in the Content-Type header.");
        }
        while (true)
        {
            int start = index + delimiter.Length;
            if (text.AsSpan(start).StartsWith("--"))
            {
                break;
            }
            int next = text.IndexOf("\n" + delimiter, start, StringComparison.Ordinal);
            if (next < 0)
            {
                throw new DataverseException(400, "0x80060888", "The batch request is missing its closing boundary.");
            }
            string raw = text[start..next].TrimStart('\n', ' ');
            var (headers, content) = Headers(raw);
            parts.Add(new Part(headers, content));
            index = next + 1;
        }
        return parts;
    }

    private static (Dictionary<string, string> Headers, string Remainder) Headers(string raw)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int pos = 0;
        while (pos < raw.Length)
        {
            int eol = raw.IndexOf('\n', pos);
            if (eol < 0)
            {
                eol = raw.Length;
            }
            string line = raw[pos..eol];
            pos = Math.Min(raw.Length, eol + 1);
            if (line.Trim().Length == 0)
            {
                break;
            }
            int colon = line.IndexOf(':');
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return (headers, raw[pos..]);
    }

    private static InnerRequest ParseHttp(Part part)
    {
        string content = part.Content.TrimStart('\n');
        int eol = content.IndexOf('\n');
        string requestLine = (eol < 0 ? content : content[..eol]).Trim();
        var words = requestLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
        {
            throw new DataverseException(400, "0x80060888", $"The request line '{requestLine}' of a batch part is not valid.");
        }
        var (headers, rest) = Headers(eol < 0 ? "" : content[(eol + 1)..]);
        string? body = rest.Trim('\n').Length == 0 ? null : rest.TrimEnd('\n');
        return new InnerRequest(words[0].ToUpperInvariant(), words[1], headers, body, part.Headers.GetValueOrDefault("Content-ID"));
    }

    /// <summary>Runs a batch; returns status, the response Content-Type and body.</summary>
    public (int Status, string ContentType, string Body) Execute(string contentType, string body, Guid caller, string orgUrl, DataverseApi.Preferences prefer, Dictionary<string, string> outerHeaders)
    {
        string boundary = Boundary(contentType) ?? throw new DataverseException(400, "0x80060888", "The batch request must have a multipart/mixed Content-Type with a boundary.");
        var items = new List<Item>();
        int count = 0;
        foreach (var part in SplitParts(body, boundary))
        {
            string partType = part.Headers.GetValueOrDefault("Content-Type") ?? "";
            if (partType.StartsWith("multipart/mixed", StringComparison.OrdinalIgnoreCase))
            {
                string inner = Boundary(partType) ?? throw new DataverseException(400, "0x80060888", "A change set needs a boundary.");
                var requests = SplitParts(part.Content, inner).Select(ParseHttp).ToList();
                if (requests.Any(r => r.Method == "GET"))
                {
                    throw new DataverseException(400, "0x80060888", "GET requests are not allowed inside a change set.");
                }
                count += requests.Count;
                items.Add(new ChangeSet(requests));
            }
            else
            {
                count++;
                items.Add(new Single(ParseHttp(part)));
            }
        }
        if (count > MaxRequests)
        {
            throw new DataverseException(400, "0x80060888", $"The number of requests in the batch ({count}) exceeds the maximum of {MaxRequests}.");
        }
        string responseBoundary = "batchresponse_" + Guid.NewGuid();
        var output = new StringBuilder();
        foreach (var item in items)
        {
            if (item is Single single)
            {
                var response = Run(single.Request, caller, orgUrl, outerHeaders, null);
                output.Append("--").Append(responseBoundary).Append("\r\n");
                AppendHttp(output, response, null);
                if (response.Status >= 400 && !prefer.ContinueOnError)
                {
                    return (400, "multipart/mixed; boundary=" + responseBoundary, OnlyLast(output, responseBoundary));
                }
                continue;
            }
            var set = (ChangeSet)item;
            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            var responses = new List<(DvResponse Response, string? ContentId)>();
            DvResponse? failure = null;
            string? failureId = null;
            using (var scope = _store.BeginScope())
            {
                foreach (var request in set.Requests)
                {
                    var response = Run(request, caller, orgUrl, outerHeaders, ids);
                    if (response.Status >= 400)
                    {
                        failure = response;
                        failureId = request.ContentId;
                        break;
                    }
                    if (request.ContentId is { } cid && response.Headers.TryGetValue("OData-EntityId", out var url))
                    {
                        ids["$" + cid] = url;
                    }
                    responses.Add((response, request.ContentId));
                }
                if (failure is null)
                {
                    scope.Complete();
                }
            }
            output.Append("--").Append(responseBoundary).Append("\r\n");
            if (failure is not null)
            {
                AppendHttp(output, failure, failureId);
                if (!prefer.ContinueOnError)
                {
                    return (400, "multipart/mixed; boundary=" + responseBoundary, OnlyLast(output, responseBoundary));
                }
                continue;
            }
            string changesetBoundary = "changesetresponse_" + Guid.NewGuid();
            output.Append("Content-Type: multipart/mixed; boundary=").Append(changesetBoundary).Append("\r\n\r\n");
            foreach (var (response, contentId) in responses)
            {
                output.Append("--").Append(changesetBoundary).Append("\r\n");
                AppendHttp(output, response, contentId);
            }
            output.Append("--").Append(changesetBoundary).Append("--\r\n");
        }
        output.Append("--").Append(responseBoundary).Append("--\r\n");
        return (200, "multipart/mixed; boundary=" + responseBoundary, output.ToString());
    }

    /// <summary>Stop-on-error: the answer carries only the failing part.</summary>
    private static string OnlyLast(StringBuilder output, string boundary)
    {
        string text = output.ToString();
        int last = text.LastIndexOf("--" + boundary + "\r\n", StringComparison.Ordinal);
        return text[last..] + "--" + boundary + "--\r\n";
    }

    private DvResponse Run(InnerRequest request, Guid caller, string orgUrl, Dictionary<string, string> outerHeaders, Dictionary<string, string>? ids)
    {
        string url = request.Url;
        if (url.StartsWith('$'))
        {
            int end = url.IndexOfAny(['/', '?']);
            string reference = end < 0 ? url : url[..end];
            if (ids is null || !ids.TryGetValue(reference, out var resolved))
            {
                return DvResponse.Error(400, "0x80060888", $"Content-ID Reference: '{reference}' does not exist in the batch context.");
            }
            url = resolved + (end < 0 ? "" : url[end..]);
        }
        // Absolute, rooted (/api/data/v9.2/…) or relative (accounts) URLs.
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.OrdinalIgnoreCase))
        {
            url = absolute.PathAndQuery;
        }
        int marker = url.IndexOf("/api/data/v9.", StringComparison.Ordinal);
        if (marker >= 0)
        {
            int slash = url.IndexOf('/', marker + "/api/data/v9.".Length);
            url = slash < 0 ? "" : url[(slash + 1)..];
        }
        url = url.TrimStart('/');
        int q = url.IndexOf('?');
        string path = Uri.UnescapeDataString(q < 0 ? url : url[..q]);
        var headers = new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase);
        if (!headers.ContainsKey("Prefer") && outerHeaders.TryGetValue("Prefer", out var outerPrefer))
        {
            // Preferences other than continue-on-error apply to every part (e.g. include-annotations).
            string inherited = string.Join(",", outerPrefer.Split(',', StringSplitOptions.TrimEntries).Where(p => !p.StartsWith("odata.continue-on-error", StringComparison.OrdinalIgnoreCase)));
            if (inherited.Length > 0)
            {
                headers["Prefer"] = inherited;
            }
        }
        var inner = new DvRequest
        {
            Method = request.Method,
            Path = path,
            Query = DataverseApi.ParseQuery(q < 0 ? null : url[(q + 1)..]),
            Headers = headers,
            Body = request.Body,
            OrgUrl = orgUrl,
            Caller = caller,
            ResolveReference = ids is null ? null : reference =>
            {
                string r = reference.StartsWith('/') ? reference[1..] : reference;
                if (!r.StartsWith('$'))
                {
                    return null;
                }
                return ids.TryGetValue(r, out var u) ? u : throw new DataverseException(400, "0x80060888", $"Content-ID Reference: '{r}' does not exist in the batch context.");
            },
        };
        return _api.Handle(inner);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK", 201 => "Created", 204 => "No Content", 304 => "Not Modified", 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden",
        404 => "Not Found", 405 => "Method Not Allowed", 412 => "Precondition Failed", 429 => "Too Many Requests", 500 => "Internal Server Error",
        503 => "Service Unavailable", _ => "Status",
    };

    private static void AppendHttp(StringBuilder output, DvResponse response, string? contentId)
    {
        output.Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
        if (contentId is not null)
        {
            output.Append("Content-ID: ").Append(contentId).Append("\r\n");
        }
        output.Append("\r\n");
        output.Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(Reason(response.Status)).Append("\r\n");
        if (response.Body is not null)
        {
            output.Append("Content-Type: ").Append(response.ContentType).Append(response.ContentType.StartsWith("application/json", StringComparison.Ordinal) && response.Status < 300 ? "; odata.streaming=true" : "").Append("\r\n");
        }
        output.Append("OData-Version: 4.0\r\n");
        if (response.Headers.TryGetValue("Location", out var location))
        {
            output.Append("Location: ").Append(location).Append("\r\n");
        }
        foreach (var (name, value) in response.Headers.Where(h => !h.Key.Equals("Location", StringComparison.OrdinalIgnoreCase)))
        {
            output.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        output.Append("\r\n");
        if (response.Body is not null)
        {
            output.Append(response.Body).Append("\r\n");
        }
        else
        {
            output.Append("\r\n");
        }
    }
}
