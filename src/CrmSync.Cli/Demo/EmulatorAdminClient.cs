using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrmSync.Cli.Demo;

/// <summary>
/// Changes records in the emulator as a CRM user would (its <c>/_emulator</c> admin API), and counts records with SOQL
/// through the REST API (OAuth password grant with the emulator's local test credentials) to check the local copy.
/// </summary>
public sealed class EmulatorAdminClient : IDisposable
{
    private readonly EmulatorHttp _http;
    private readonly EmulatorBanner _banner;
    private string? _accessToken;

    public EmulatorAdminClient(EmulatorBanner banner)
    {
        _banner = banner ?? throw new ArgumentNullException(nameof(banner));
        _http = new EmulatorHttp(banner.BaseUrl, "the emulator");
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
    public Task<JsonObject?> GetAsync(string sobject, string id, CancellationToken cancellationToken) =>
        _http.GetOrNullAsync($"/_emulator/records/{sobject}/{id}", cancellationToken);

    /// <summary>The number of live records a SOQL <c>SELECT COUNT() FROM …</c> query returns.</summary>
    public async Task<long> CountAsync(string soql, CancellationToken cancellationToken)
    {
        var token = await AccessTokenAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/services/data/v62.0/query?q=" + Uri.EscapeDataString(soql), UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var document = JsonDocument.Parse(await _http.SendAsync(request, soql, cancellationToken).ConfigureAwait(false));
        return document.RootElement.GetProperty("totalSize").GetInt64();
    }

    private async Task<string> AccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_accessToken is not null)
            return _accessToken;
        _accessToken = await _http.AccessTokenAsync("/services/oauth2/token", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = _banner.ClientId,
            ["client_secret"] = _banner.ClientSecret,
            ["username"] = _banner.Username,
            ["password"] = _banner.Password + _banner.SecurityToken,
        }, "the emulator's OAuth login", cancellationToken).ConfigureAwait(false);
        return _accessToken;
    }

    private Task<JsonObject?> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        _http.SendJsonAsync(method, path, body, cancellationToken);

    public void Dispose() => _http.Dispose();
}
