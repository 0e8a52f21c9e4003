using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Engine;

namespace CrmSync.Cli.Demo;

/// <summary>
/// Changes records in the emulator as a CRM user would (its <c>/_emulator</c> admin API), and counts records with SOQL
/// through the REST API (OAuth password grant with the emulator's local test credentials) to check the local copy.
/// </summary>
public sealed class EmulatorAdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly EmulatorBanner _banner;
    private string? _accessToken;

    public EmulatorAdminClient(EmulatorBanner banner)
    {
        _banner = banner ?? throw new ArgumentNullException(nameof(banner));
        _http = new HttpClient { BaseAddress = banner.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Updates fields of a record.</summary>
    public Task UpdateAsync(string sobject, string id, object fields, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, $"/_emulator/records/{sobject}/{id}", fields, cancellationToken);

    /// <summary>Deletes a record.</summary>
    public Task DeleteAsync(string sobject, string id, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"/_emulator/records/{sobject}/{id}", null, cancellationToken);

    /// <summary>Creates a record; returns its id.</summary>
    public async Task<string> CreateAsync(string sobject, object fields, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, $"/_emulator/records/{sobject}", fields, cancellationToken).ConfigureAwait(false))!["id"]!.GetValue<string>();

    /// <summary>Converts a lead (no opportunity); returns the new contact's id.</summary>
    public async Task<string> ConvertAsync(string leadId, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, "/_emulator/convert", new { leadId, doNotCreateOpportunity = true }, cancellationToken)
            .ConfigureAwait(false))!["contactId"]!.GetValue<string>();

    /// <summary>Merges <paramref name="loserId"/> into <paramref name="masterId"/>.</summary>
    public Task MergeAsync(string sobject, string masterId, string loserId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/_emulator/merge", new { sobject, masterId, mergeIds = new[] { loserId } }, cancellationToken);

    /// <summary>A record's fields, or null when it does not exist (or was deleted).</summary>
    public async Task<JsonObject?> GetAsync(string sobject, string id, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri($"/_emulator/records/{sobject}/{id}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, $"GET /_emulator/records/{sobject}/{id}", cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)) as JsonObject;
    }

    /// <summary>The number of live records a SOQL <c>SELECT COUNT() FROM …</c> query returns.</summary>
    public async Task<long> CountAsync(string soql, CancellationToken cancellationToken)
    {
        var token = await AccessTokenAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/services/data/v62.0/query?q=" + Uri.EscapeDataString(soql), UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, soql, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return document.RootElement.GetProperty("totalSize").GetInt64();
    }

    private async Task<string> AccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_accessToken is not null)
            return _accessToken;
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = _banner.ClientId,
            ["client_secret"] = _banner.ClientSecret,
            ["username"] = _banner.Username,
            ["password"] = _banner.Password + _banner.SecurityToken,
        });
        using var response = await _http.PostAsync(new Uri("/services/oauth2/token", UriKind.Relative), form, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "the emulator's OAuth login", cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        _accessToken = document.RootElement.GetProperty("access_token").GetString();
        return _accessToken ?? throw Failure("the emulator's OAuth login returned no access token");
    }

    private async Task<JsonObject?> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
            request.Content = JsonContent.Create(body);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"{method} {path}", cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw Failure($"{what} failed with HTTP {(int)response.StatusCode}: {text}");
    }

    private static CrmSyncException Failure(string message) => new(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
        "The demo could not change or read the emulator: " + message, "Run the demo again; if it fails again, report it with this output.");

    public void Dispose() => _http.Dispose();
}
