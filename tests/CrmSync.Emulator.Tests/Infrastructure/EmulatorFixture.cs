using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Emulator.Tests.Infrastructure;

/// <summary>An emulator on a free port with a frozen clock, plus an HttpClient logged in as the sync user.</summary>
public sealed class TestEmulator : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    public const string V = "/services/data/v59.0";

    private TestEmulator(EmulatorHost host, HttpClient http)
    {
        Host = host;
        Http = http;
    }

    public EmulatorHost Host { get; }
    public HttpClient Http { get; }
    public EmulatorClock Clock => Host.Clock;

    public static async Task<TestEmulator> StartAsync(EmulatorOptions? options = null, bool restricted = false)
    {
        var clock = EmulatorClock.Frozen(Start);
        var host = await EmulatorHost.StartAsync((options ?? new EmulatorOptions()) with { TimeProvider = clock }, CancellationToken.None);
        var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.CreateSession(restricted));
        return new TestEmulator(host, http);
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            string json = body is JsonNode node ? node.ToJsonString() : body as string ?? System.Text.Json.JsonSerializer.Serialize(body);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        configure?.Invoke(request);
        var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonNode? parsed = null;
        if (text.Length > 0 && (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) ?? false))
        {
            parsed = JsonNode.Parse(text);
        }
        return (response.StatusCode, parsed, response);
    }

    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, path, null, configure);

    public async Task<JsonObject> QueryAsync(string soql, bool all = false)
    {
        var (status, body, _) = await GetAsync($"{V}/{(all ? "queryAll" : "query")}?q={Uri.EscapeDataString(soql)}");
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        return body!.AsObject();
    }

    public async Task<string> CreateAsync(string sobject, object fields)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, $"{V}/sobjects/{sobject}", fields);
        Assert.True(status == HttpStatusCode.Created, body?.ToJsonString());
        return body!["id"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>Loads the real Salesforce fixtures and compares JSON shapes.</summary>
public static class Fixtures
{
    public static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "salesforce", name));

    public static JsonNode Json(string name) => JsonNode.Parse(Text(name))!;

    /// <summary>A query-result fixture with its records reduced to their attributes (the fixture's own fields are of another object).</summary>
    public static JsonNode RecordsWithoutFields(JsonNode page)
    {
        foreach (var record in page["records"]!.AsArray())
        {
            foreach (var key in record!.AsObject().Select(p => p.Key).Where(k => k != "attributes").ToList())
            {
                record.AsObject().Remove(key);
            }
        }
        return page;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> has every property of <paramref name="expected"/> with the same JSON kind
    /// (recursively; arrays compare their first elements). Nulls in the fixture accept any kind.
    /// </summary>
    public static void AssertSameShape(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        if (expected is null)
        {
            return;
        }
        Assert.True(actual is not null, $"{path}: expected {expected.GetValueKind()} but got null");
        switch (expected)
        {
            case JsonObject eo:
                var ao = Assert.IsType<JsonObject>(actual);
                foreach (var (key, value) in eo)
                {
                    Assert.True(ao.ContainsKey(key), $"{path}: missing property '{key}'");
                    AssertSameShape(value, ao[key], path + "." + key);
                }
                break;
            case JsonArray ea:
                var aa = Assert.IsType<JsonArray>(actual);
                if (ea.Count > 0 && aa.Count > 0)
                {
                    AssertSameShape(ea[0], aa[0], path + "[0]");
                }
                break;
            default:
                var ek = expected.GetValueKind();
                var ak = actual!.GetValueKind();
                bool boolMatch = ek is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
                                 && ak is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False;
                Assert.True(ek == ak || boolMatch, $"{path}: expected {ek} but got {ak}");
                break;
        }
    }
}
