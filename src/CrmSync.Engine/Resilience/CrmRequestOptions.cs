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
