using System.Net;
using System.Text;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>
/// Serves recorded responses to an exact, ordered script of expected requests. Any request that does not match the
/// next expectation (or comes after the script ends) fails loudly: it is recorded, and the handler throws.
/// </summary>
internal sealed class RecordedHttpHandler : HttpMessageHandler
{
    private readonly Queue<Expectation> _script = new();
    private readonly List<string> _unexpected = [];
    private readonly object _gate = new();

    public List<RecordedRequest> Requests { get; } = [];

    public sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[]? Body)
    {
        public string BodyText => Body is null ? "" : Encoding.UTF8.GetString(Body);
        public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
    }

    private sealed record Expectation(HttpMethod Method, string PathAndQueryPrefix, Func<RecordedRequest, HttpResponseMessage> Respond);

    /// <summary>Expects <paramref name="method"/> on a URL whose path (and query) starts with <paramref name="pathPrefix"/>
    /// (or, when the prefix starts with http, whose absolute URL does).</summary>
    public RecordedHttpHandler Expect(HttpMethod method, string pathPrefix, Func<RecordedRequest, HttpResponseMessage> respond)
    {
        _script.Enqueue(new Expectation(method, pathPrefix, respond));
        return this;
    }

    public RecordedHttpHandler Expect(HttpMethod method, string pathPrefix, HttpStatusCode status, string? body = null,
        string mediaType = "application/json", Action<HttpResponseMessage>? configure = null) =>
        Expect(method, pathPrefix, _ =>
        {
            var response = Response(status, body, mediaType);
            configure?.Invoke(response);
            return response;
        });

    public static HttpResponseMessage Response(HttpStatusCode status, string? body, string mediaType = "application/json")
    {
        var r = new HttpResponseMessage(status);
        if (body is not null) r.Content = new StringContent(body, Encoding.UTF8, mediaType);
        return r;
    }

    public int Remaining
    {
        get { lock (_gate) return _script.Count; }
    }

    /// <summary>Asserts every expected request came and nothing unexpected did.</summary>
    public void VerifyAllConsumed()
    {
        lock (_gate)
        {
            Assert.True(_unexpected.Count == 0, "Unexpected requests:\n" + string.Join("\n", _unexpected));
            Assert.True(_script.Count == 0, $"{_script.Count} expected request(s) never came; next: {(_script.Count > 0 ? _script.Peek().Method + " " + _script.Peek().PathAndQueryPrefix : "")}");
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, headers, body);
        Expectation next;
        lock (_gate)
        {
            Requests.Add(recorded);
            bool Matches(Expectation e)
            {
                var actual = e.PathAndQueryPrefix.StartsWith("http", StringComparison.Ordinal) ? request.RequestUri!.AbsoluteUri : request.RequestUri!.PathAndQuery;
                return e.Method == request.Method && Uri.UnescapeDataString(actual).StartsWith(Uri.UnescapeDataString(e.PathAndQueryPrefix), StringComparison.Ordinal);
            }
            if (_script.Count == 0 || !Matches(_script.Peek()))
            {
                var message = $"UNEXPECTED REQUEST {request.Method} {request.RequestUri}; expected " +
                              (_script.Count == 0 ? "no more requests" : $"{_script.Peek().Method} {_script.Peek().PathAndQueryPrefix}");
                _unexpected.Add(message);
                throw new InvalidOperationException(message);
            }
            next = _script.Dequeue();
        }
        var response = next.Respond(recorded);
        response.RequestMessage = request;
        return response;
    }
}
