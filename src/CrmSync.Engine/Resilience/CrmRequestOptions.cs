namespace CrmSync.Engine.Resilience;

/// <summary>Per-request markers read by <see cref="ResilienceHttpHandler"/>.</summary>
public static class CrmRequestOptions
{
    /// <summary>
    /// Set to true on a POST/PATCH that is safe to send twice (an upsert on an external id, a query carried in a POST,
    /// a login). GET, HEAD, PUT and DELETE are idempotent by definition; any other request without this marker
    /// (e.g. a create without an external key) is never retried.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> Idempotent = new("CrmSync.Idempotent");

    /// <summary>
    /// Set on a SOAP request. SOAP 1.1 answers every fault with HTTP 500 (a wrong password or security token included), so an
    /// XML 500 is the server's final answer: it is neither retried nor counted by the circuit breaker (retrying a rejected login
    /// could lock the user out). A 500 without an XML body, 429, 502, 503, 504 and transport failures are still retried.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> Soap = new("CrmSync.Soap");

    /// <summary>Marks the request as a SOAP call (see <see cref="Soap"/>) and returns it.</summary>
    public static HttpRequestMessage MarkSoap(this HttpRequestMessage request)
    {
        request.Options.Set(Soap, true);
        return request;
    }

    /// <summary>True when the request is a SOAP call whose HTTP 500 answers are final faults.</summary>
    public static bool IsSoap(HttpRequestMessage request) => request.Options.TryGetValue(Soap, out var soap) && soap;

    /// <summary>
    /// Set on a request whose successful answer the caller reads as a stream (a bulk results chunk of several MB, read into
    /// a buffer the caller reuses): the resilience handler then does not buffer a 2xx body (an error body still is). A
    /// transport failure while the caller reads the body is the caller's to retry.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> StreamedResponse = new("CrmSync.StreamedResponse");

    /// <summary>Marks the request's successful answer as read by the caller as a stream (see <see cref="StreamedResponse"/>) and returns it.</summary>
    public static HttpRequestMessage MarkStreamedResponse(this HttpRequestMessage request)
    {
        request.Options.Set(StreamedResponse, true);
        return request;
    }

    /// <summary>True when a successful answer to the request is left unbuffered.</summary>
    public static bool IsStreamedResponse(HttpRequestMessage request) => request.Options.TryGetValue(StreamedResponse, out var streamed) && streamed;

    /// <summary>Marks the request idempotent and returns it.</summary>
    public static HttpRequestMessage MarkIdempotent(this HttpRequestMessage request)
    {
        request.Options.Set(Idempotent, true);
        return request;
    }

    /// <summary>True when the request may be retried.</summary>
    public static bool IsIdempotent(HttpRequestMessage request)
    {
        var m = request.Method;
        if (m == HttpMethod.Get || m == HttpMethod.Head || m == HttpMethod.Put || m == HttpMethod.Delete || m == HttpMethod.Options)
            return true;
        return request.Options.TryGetValue(Idempotent, out var marked) && marked;
    }
}
