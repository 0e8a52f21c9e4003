using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Clients;

/// <summary>
/// The requests restforce (Ruby, Faraday) sends: OAuth password grant, then <c>Authorization: OAuth {token}</c> on
/// <c>/services/data/v26.0/...</c> (its default version), <c>user_info</c> via the resource map's <c>identity</c> URL, and
/// with <c>compress: true</c> <c>Accept-Encoding: gzip</c>; jsforce/restforce may gzip request bodies.
/// </summary>
public sealed class RestforceRequestTests
{
    private static async Task<(HttpClient Client, JsonNode Token)> OAuthLogin(TestEmulator emu)
    {
        var c = emu.Host.Credentials;
        var client = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = c.ClientId, ["client_secret"] = c.ClientSecret,
            ["username"] = c.Username, ["password"] = c.Password + c.SecurityToken,
        });
        var response = await client.PostAsync("/services/oauth2/token", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json;charset=UTF-8", response.Content.Headers.NonValidated["Content-Type"].ToString());
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("OAuth", token["access_token"]!.GetValue<string>());
        return (client, token);
    }

    [Fact]
    public async Task OAuth_header_on_v26_resource_map_then_user_info_through_the_identity_url()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (client, token) = await OAuthLogin(emu);
        using var _ = client;
        var map = JsonNode.Parse(await client.GetStringAsync("/services/data/v26.0/"))!;
        foreach (var key in new[] { "sobjects", "query", "queryAll", "limits", "composite", "jobs" })
        {
            Assert.Equal($"/services/data/v26.0/{key}", map[key]!.GetValue<string>());
        }
        string identityUrl = map["identity"]!.GetValue<string>();
        Assert.Equal(token["id"]!.GetValue<string>(), identityUrl);
        var identity = JsonNode.Parse(await client.GetStringAsync(identityUrl))!;
        Assert.Equal(emu.Host.SyncUserId, identity["user_id"]!.GetValue<string>());
        Assert.Equal(emu.Host.OrganizationId, identity["organization_id"]!.GetValue<string>());
        Assert.Equal(emu.Host.Credentials.Username, identity["username"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(identity["display_name"]!.GetValue<string>()));
        Assert.Equal(emu.Host.Credentials.Username, identity["email"]!.GetValue<string>());
        Assert.Contains("{version}", identity["urls"]!["rest"]!.GetValue<string>(), StringComparison.Ordinal);
        // ?version= fills the placeholder; jsforce adds ?format=json&oauth_token=... without a header.
        var versioned = JsonNode.Parse(await client.GetStringAsync(identityUrl + "?version=59.0"))!;
        Assert.Equal($"{emu.Host.BaseUrl}/services/data/v59.0/", versioned["urls"]!["rest"]!.GetValue<string>());
        using var bare = new HttpClient();
        var byQuery = await bare.GetAsync(identityUrl + "?format=json&oauth_token=" + Uri.EscapeDataString(token["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bare.GetAsync(identityUrl)).StatusCode);
        // Someone else's ids: 403 Bad_Id.
        var other = await client.GetAsync($"/id/{emu.Host.OrganizationId}/005000000000000AAA");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal("Bad_Id", await other.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Userinfo_answers_openid_claims_for_the_token()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (client, token) = await OAuthLogin(emu);
        using var _ = client;
        var response = await client.GetAsync("/services/oauth2/userinfo");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json;charset=UTF-8", response.Content.Headers.NonValidated["Content-Type"].ToString());
        var info = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(token["id"]!.GetValue<string>(), info["sub"]!.GetValue<string>());
        Assert.Equal(emu.Host.SyncUserId, info["user_id"]!.GetValue<string>());
        Assert.Equal(emu.Host.OrganizationId, info["organization_id"]!.GetValue<string>());
        Assert.Equal(emu.Host.Credentials.Username, info["preferred_username"]!.GetValue<string>());
        Assert.True(info["email_verified"]!.GetValue<bool>());
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(emu.Host.BaseUrl + "/services/oauth2/userinfo")).StatusCode);
    }

    [Fact]
    public async Task Gzip_answers_when_asked_and_gzip_request_bodies_are_accepted()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (client, _) = await OAuthLogin(emu);
        using var _c = client;
        byte[] json = Encoding.UTF8.GetBytes("""{"LastName":"Gzip","Company":"Deflate Inc"}""");
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }
        using var create = new HttpRequestMessage(HttpMethod.Post, "/services/data/v26.0/sobjects/Lead") { Content = new ByteArrayContent(compressed.ToArray()) };
        create.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        create.Content.Headers.ContentEncoding.Add("gzip");
        create.Headers.TryAddWithoutValidation("Sforce-Call-Options", "client=restforce");
        var created = await client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        using var get = new HttpRequestMessage(HttpMethod.Get, $"/services/data/v26.0/sobjects/Lead/{id}");
        get.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        var response = await client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gzip", response.Content.Headers.ContentEncoding.Single());
        Assert.Equal("application/json;charset=UTF-8", response.Content.Headers.NonValidated["Content-Type"].ToString());
        await using var body = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        var record = await JsonNode.ParseAsync(body);
        Assert.Equal("Gzip", record!["LastName"]!.GetValue<string>());
        Assert.True(response.Headers.Contains("Sforce-Limit-Info"));
    }

    [Fact]
    public async Task A_json_body_with_a_utf8_byte_order_mark_is_accepted()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (client, _) = await OAuthLogin(emu);
        using var _c = client;
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"LastName":"Bom","Company":"Preamble"}""")];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        var response = await client.PostAsync("/services/data/v26.0/sobjects/Lead/", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
