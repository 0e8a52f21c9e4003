using System.Net;

namespace CrmSync.Integration.Tests.Infrastructure;

/// <summary>
/// The client's innermost handler in these tests: real loopback HTTP through a SocketsHttpHandler, with every attempt
/// (method, path, status) recorded, so tests count logins, composite calls and retries on the wire.
/// </summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    private readonly object _gate = new();
    private readonly List<WireRequest> _requests = [];

    public RecordingHandler()
        : base(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
    }

    /// <summary>Every attempt sent so far, in order.</summary>
    public IReadOnlyList<WireRequest> Requests
    {
        get
        {
            lock (_gate) return _requests.ToList();
        }
    }

    /// <summary>Attempts whose path contains <paramref name="pathPart"/>.</summary>
    public int Count(string pathPart, HttpMethod? method = null) =>
        Requests.Count(r => r.Path.Contains(pathPart, StringComparison.OrdinalIgnoreCase) && (method is null || r.Method == method));

    /// <summary>Login attempts (SOAP login or OAuth token).</summary>
    public int Logins => Count("/services/Soap/") + Count("/services/oauth2/token");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            lock (_gate) _requests.Add(new WireRequest(request.Method, path, response.StatusCode));
            return response;
        }
        catch
        {
            lock (_gate) _requests.Add(new WireRequest(request.Method, path, null));
            throw;
        }
    }
}

/// <summary>One attempt on the wire; <see cref="Status"/> null when it failed without an answer.</summary>
internal sealed record WireRequest(HttpMethod Method, string Path, HttpStatusCode? Status);
