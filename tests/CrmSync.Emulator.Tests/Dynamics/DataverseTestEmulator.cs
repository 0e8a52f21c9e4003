using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Emulator.Tests.Dynamics;

/// <summary>An emulator started with --crm dynamics on a free port with a frozen clock, and a client holding a token.</summary>
public sealed class DataverseTestEmulator : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    public const string Api = "/api/data/v9.2/";

    private DataverseTestEmulator(EmulatorHost host, HttpClient http)
    {
        Host = host;
        Http = http;
    }

    public EmulatorHost Host { get; }
    public HttpClient Http { get; }
    public DynamicsOrg Org => Host.Dynamics!;
    public EmulatorClock Clock => Host.Clock;
    public string OrgUrl => Host.BaseUrl;
    public string TenantId => Org.Credentials.TenantId;

    public static async Task<DataverseTestEmulator> StartAsync(EmulatorOptions? options = null, bool asApplication = true, DynamicsSeedPlan? seed = null)
    {
        var clock = EmulatorClock.Frozen(Start);
        var host = await EmulatorHost.StartAsync((options ?? new EmulatorOptions()) with
        {
            TimeProvider = clock,
            Crm = options?.Crm is CrmKind.Both ? CrmKind.Both : CrmKind.Dynamics,
            DynamicsSeed = seed ?? options?.DynamicsSeed,
        }, CancellationToken.None);
        var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var emulator = new DataverseTestEmulator(host, http);
        string token = asApplication ? await emulator.AppTokenAsync() : await emulator.UserTokenAsync(host.Dynamics!.Credentials.SyncUserUpn);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("OData-MaxVersion", "4.0");
        http.DefaultRequestHeaders.Add("OData-Version", "4.0");
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return emulator;
    }

    /// <summary>POSTs a token request to the emulator's Entra endpoint with a fresh client (no bearer header).</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> TokenRequestAsync(IReadOnlyDictionary<string, string> form, string? tenant = null)
    {
        using var client = new HttpClient { BaseAddress = new Uri(OrgUrl) };
        using var response = await client.PostAsync($"/{tenant ?? TenantId}/oauth2/v2.0/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    public async Task<string> AppTokenAsync()
    {
        var (status, body) = await TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Org.Credentials.ClientId,
            ["client_secret"] = Org.Credentials.ClientSecret,
            ["scope"] = OrgUrl + "/.default",
        });
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body["access_token"]!.GetValue<string>();
    }

    public async Task<string> UserTokenAsync(string upn)
    {
        var (status, body) = await TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = Org.Credentials.ClientId,
            ["username"] = upn,
            ["password"] = Org.Credentials.Password,
            ["scope"] = OrgUrl + "/.default",
        });
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body["access_token"]!.GetValue<string>();
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path.StartsWith('/') ? path : Api + path);
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

    public static Action<HttpRequestMessage> Prefer(string value) => r => r.Headers.TryAddWithoutValidation("Prefer", value);

    /// <summary>Creates a row through the Web API; returns its id (from OData-EntityId).</summary>
    public async Task<Guid> CreateAsync(string set, object body)
    {
        var (status, json, response) = await SendAsync(HttpMethod.Post, set, body);
        Assert.True(status == HttpStatusCode.NoContent, json?.ToJsonString());
        string entityId = response.Headers.GetValues("OData-EntityId").Single();
        return Guid.Parse(entityId[(entityId.LastIndexOf('(') + 1)..^1]);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>The real Dataverse / Entra fixtures (tests/fixtures/dynamics, copied as Fixtures/dynamics).</summary>
public static class DynamicsFixtures
{
    public static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dynamics", name));

    public static JsonNode Json(string name) => JsonNode.Parse(Text(name))!;

    /// <summary>A fixture record reduced to its annotations and the given keys (its other columns belong to another table).</summary>
    public static JsonObject Only(JsonNode record, params string[] keep)
    {
        var o = record.AsObject();
        foreach (var key in o.Select(p => p.Key).Where(k => !k.StartsWith('@') && !keep.Contains(k)).ToList())
        {
            o.Remove(key);
        }
        return o;
    }
}
