using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>One request inside a <c>$batch</c>: a method, a URL path (and query) on the org, headers and an optional JSON body.</summary>
/// <param name="PathAndQuery">The request line target, e.g. <c>/api/data/v9.2/leads(…)</c>.</param>
/// <param name="ContentId">The change-set <c>Content-ID</c>, or null outside a change set.</param>
internal sealed record DataverseBatchRequest(
    HttpMethod Method,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? JsonBody,
    string? ContentId = null);

/// <summary>A part of a <c>$batch</c>: a single request, or an atomic change set of requests (each with a Content-ID).</summary>
internal sealed record DataverseBatchPart(DataverseBatchRequest? Request, string? ChangeSetBoundary, IReadOnlyList<DataverseBatchRequest>? ChangeSet)
{
    public static DataverseBatchPart Single(DataverseBatchRequest request) => new(request, null, null);

    public static DataverseBatchPart Atomic(string boundary, IReadOnlyList<DataverseBatchRequest> requests) => new(null, boundary, requests);
}

/// <summary>One response of a <c>$batch</c> answer, in the order of the requests (change-set responses flattened in place).</summary>
internal sealed record DataverseBatchResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body, string? ContentId)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>
/// Writes and reads Dataverse <c>$batch</c> bodies (OData multipart/mixed, <c>execute-batch-operations-using-web-api.md</c>):
/// CRLF line ends, <c>Content-Type: application/http</c> and <c>Content-Transfer-Encoding: binary</c> on every part, raw HTTP
/// request lines inside. The reader accepts CRLF or LF (Microsoft's published examples use LF), quoted or bare boundaries,
/// change-set responses nested in the batch response, and parts whose body is empty (204).
/// </summary>
internal static partial class DataverseBatch
{
    private const string Crlf = "\r\n";

    /// <summary>A fresh boundary such as <c>batch_3f2c…</c>.</summary>
    public static string NewBoundary(string prefix) => prefix + "_" + Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture);

    /// <summary>The body of a <c>$batch</c> request with <paramref name="boundary"/> (send it with <see cref="ContentType"/>).</summary>
    public static string Write(string boundary, IReadOnlyList<DataverseBatchPart> parts)
    {
        var b = new StringBuilder();
        foreach (var part in parts)
        {
            b.Append("--").Append(boundary).Append(Crlf);
            if (part.Request is { } single)
            {
                WriteRequest(b, single);
                continue;
            }
            b.Append("Content-Type: multipart/mixed; boundary=\"").Append(part.ChangeSetBoundary).Append('"').Append(Crlf).Append(Crlf);
            foreach (var request in part.ChangeSet!)
            {
                b.Append("--").Append(part.ChangeSetBoundary).Append(Crlf);
                WriteRequest(b, request);
            }
            b.Append("--").Append(part.ChangeSetBoundary).Append("--").Append(Crlf).Append(Crlf);
        }
        b.Append("--").Append(boundary).Append("--").Append(Crlf);
        return b.ToString();
    }

    private static void WriteRequest(StringBuilder b, DataverseBatchRequest request)
    {
        b.Append("Content-Type: application/http").Append(Crlf).Append("Content-Transfer-Encoding: binary").Append(Crlf);
        if (request.ContentId is not null) b.Append("Content-ID: ").Append(request.ContentId).Append(Crlf);
        b.Append(Crlf);
        b.Append(request.Method.Method).Append(' ').Append(request.PathAndQuery).Append(" HTTP/1.1").Append(Crlf);
        foreach (var (name, value) in request.Headers) b.Append(name).Append(": ").Append(value).Append(Crlf);
        if (request.JsonBody is not null) b.Append("Content-Type: application/json; type=entry").Append(Crlf);
        b.Append(Crlf);
        if (request.JsonBody is not null) b.Append(request.JsonBody);
        b.Append(Crlf);
    }

    /// <summary>The Content-Type of a batch request body.</summary>
    public static MediaTypeHeaderValue ContentType(string boundary)
    {
        var type = new MediaTypeHeaderValue("multipart/mixed");
        type.Parameters.Add(new NameValueHeaderValue("boundary", "\"" + boundary + "\""));
        return type;
    }

    [GeneratedRegex(@"boundary\s*=\s*""?([^"";\s]+)""?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BoundaryRegex();

    /// <summary>The boundary of a multipart Content-Type; null when it has none.</summary>
    public static string? BoundaryOf(string? contentType) =>
        contentType is not null && BoundaryRegex().Match(contentType) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>
    /// Reads a batch response body. <paramref name="contentType"/> gives the boundary; when it does not, the first delimiter
    /// line of the body does. Throws <see cref="FormatException"/> for a body that is not a batch response.
    /// </summary>
    public static IReadOnlyList<DataverseBatchResponse> Parse(string? contentType, string body)
    {
        var boundary = BoundaryOf(contentType) ?? FirstDelimiter(body)
            ?? throw new FormatException("The $batch response has no multipart boundary.");
        var result = new List<DataverseBatchResponse>();
        foreach (var part in SplitParts(body, boundary))
        {
            var (headers, content) = SplitHeaders(part);
            var type = headers.GetValueOrDefault("Content-Type") ?? "";
            if (type.StartsWith("multipart/mixed", StringComparison.OrdinalIgnoreCase))
            {
                var inner = BoundaryOf(type) ?? throw new FormatException("A change-set response part has no boundary.");
                foreach (var changePart in SplitParts(content, inner))
                {
                    var (changeHeaders, changeContent) = SplitHeaders(changePart);
                    result.Add(ParseHttpResponse(changeContent, changeHeaders.GetValueOrDefault("Content-ID")));
                }
            }
            else
            {
                result.Add(ParseHttpResponse(content, headers.GetValueOrDefault("Content-ID")));
            }
        }
        return result;
    }

    private static string? FirstDelimiter(string body)
    {
        foreach (var line in body.Split('\n'))
        {
            var t = line.TrimEnd('\r', ' ', '\t');
            if (t.StartsWith("--", StringComparison.Ordinal) && t.Length > 2)
                return t.EndsWith("--", StringComparison.Ordinal) && t.Length > 4 ? t[2..^2] : t[2..];
        }
        return null;
    }

    /// <summary>The parts between delimiter lines <c>--boundary</c>, up to the close delimiter <c>--boundary--</c>.</summary>
    private static List<string> SplitParts(string body, string boundary)
    {
        var delimiter = new Regex("^--" + Regex.Escape(boundary) + "(--)?[ \\t]*\\r?$", RegexOptions.Multiline | RegexOptions.CultureInvariant);
        var parts = new List<string>();
        int? start = null;
        foreach (Match m in delimiter.Matches(body))
        {
            if (start is { } s)
            {
                // The line break before a delimiter belongs to the delimiter.
                var end = m.Index;
                if (end > s && body[end - 1] == '\n') end--;
                if (end > s && body[end - 1] == '\r') end--;
                parts.Add(body[s..Math.Max(s, end)]);
            }
            if (m.Groups[1].Success) return parts;
            var next = m.Index + m.Length;
            if (next < body.Length && body[next] == '\n') next++;
            start = next;
        }
        if (start is null) throw new FormatException($"The multipart body has no delimiter --{boundary}.");
        throw new FormatException($"The multipart body ends without the close delimiter --{boundary}--.");
    }

    /// <summary>Splits MIME or HTTP headers from the content after the first empty line.</summary>
    private static (Dictionary<string, string> Headers, string Content) SplitHeaders(string text)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var pos = 0;
        while (pos <= text.Length)
        {
            var nl = text.IndexOf('\n', pos);
            var line = (nl < 0 ? text[pos..] : text[pos..nl]).TrimEnd('\r');
            pos = nl < 0 ? text.Length + 1 : nl + 1;
            if (line.Length == 0) break;
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return (headers, pos > text.Length ? "" : text[pos..]);
    }

    private static DataverseBatchResponse ParseHttpResponse(string content, string? contentId)
    {
        var nl = content.IndexOf('\n');
        var statusLine = (nl < 0 ? content : content[..nl]).TrimEnd('\r');
        // HTTP/1.1 204 No Content
        var pieces = statusLine.Split(' ', 3);
        if (pieces.Length < 2 || !pieces[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            throw new FormatException($"A $batch part does not start with an HTTP status line: '{statusLine}'.");
        var (headers, body) = SplitHeaders(nl < 0 ? "" : content[(nl + 1)..]);
        return new DataverseBatchResponse(status, headers, string.IsNullOrWhiteSpace(body) ? "" : body.Trim(), contentId);
    }
}
