using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CrmSync.Engine;

namespace CrmSync.Cli.Demo;

/// <summary>
/// The demo's HTTP calls to the emulator (its admin API and the CRM APIs it serves), shared by <see cref="EmulatorAdminClient"/>
/// and the Dynamics demo org: every call that fails is a <see cref="CrmSyncException"/> that names the call, its HTTP status
/// and the emulator's answer.
/// </summary>
internal sealed class EmulatorHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _subject;

    /// <param name="baseUrl">The emulator's address (from its banner).</param>
    /// <param name="subject">What the demo changes or reads, for the failure message ("the emulator", "the emulator's Dynamics org").</param>
    public EmulatorHttp(Uri baseUrl, string subject)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        _subject = subject;
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Sends <paramref name="body"/> (null: none) as JSON; returns the JSON object answered, or null for an empty answer.</summary>
    public async Task<JsonObject?> SendJsonAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType());
        var text = await SendAsync(request, $"{method} {path}", cancellationToken).ConfigureAwait(false);
        return text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
    }

    /// <summary>The JSON object at <paramref name="path"/>, or null when the emulator answers 404 (no such record, or deleted).</summary>
    public async Task<JsonObject?> GetOrNullAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, "GET " + path, cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)) as JsonObject;
    }

    /// <summary>Sends <paramref name="request"/>; returns the body of its successful answer. <paramref name="what"/> names the call in a failure.</summary>
    public async Task<string> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Posts an OAuth token request (a password grant) as a form; returns the access token answered.</summary>
    public async Task<string> AccessTokenAsync(string path, IDictionary<string, string> form, string what, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new FormUrlEncodedContent(form) };
        var text = await SendAsync(request, what, cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(text)?["access_token"]?.GetValue<string>() ?? throw Failure(what + " returned no access token");
    }

    /// <summary>The demo's failure to change or read the emulator.</summary>
    public CrmSyncException Failure(string message) => new(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
        $"The demo could not change or read {_subject}: {message}", "Run the demo again; if it fails again, report it with this output.");

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw Failure($"{what} failed with HTTP {(int)response.StatusCode}: {text}");
    }

    public void Dispose() => _http.Dispose();
}
