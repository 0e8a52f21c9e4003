using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Clients;

/// <summary>
/// The requests simple-salesforce (Python, requests) sends, byte for byte where it matters: its SOAP login template and
/// headers, <c>Bearer</c> + <c>X-PrettyPrint: 1</c> + <c>Content-Type: application/json</c> on every call, base URLs
/// ending in '/', <c>q</c> encoded form-style ('+' for spaces), replication dates encoded as <c>%3A</c>/<c>%2B</c>.
/// </summary>
public sealed class SimpleSalesforceRequestTests
{
    private static async Task<(TestEmulator Emu, HttpClient Sf, string SessionId, string BaseUrl)> LoginAsync()
    {
        var emu = await TestEmulator.StartAsync(new EmulatorOptions { Seed = SeedPlan.Parse("lead=5") });
        var c = emu.Host.Credentials;
        var sf = new HttpClient();
        string body = Fixtures.Text("soap-login-request.xml").Replace("{client_id}", "RestForce").Replace("{username}", c.Username)
            .Replace("{password}{security_token}", c.Password + c.SecurityToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, emu.Host.BaseUrl + "/services/Soap/u/59.0")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "text/xml");
        request.Headers.TryAddWithoutValidation("charset", "UTF-8");
        request.Headers.TryAddWithoutValidation("SOAPAction", "login");
        var response = await sf.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        string sessionId = xml.Descendants().Single(e => e.Name.LocalName == "sessionId").Value;
        string serverUrl = xml.Descendants().Single(e => e.Name.LocalName == "serverUrl").Value;
        string scheme = serverUrl.StartsWith("https://", StringComparison.Ordinal) ? "https" : "http";
        string instance = serverUrl.Replace("http://", "", StringComparison.Ordinal).Replace("https://", "", StringComparison.Ordinal).Split('/')[0].Replace("-api", "", StringComparison.Ordinal);
        sf.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sessionId);
        sf.DefaultRequestHeaders.Add("X-PrettyPrint", "1");
        sf.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate");
        return (emu, sf, sessionId, $"{scheme}://{instance}/services/data/v59.0/");
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> Call(HttpClient sf, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url);
        // requests sends the session's Content-Type header even without a body.
        request.Content = new StringContent(json ?? "", Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await sf.SendAsync(request);
        byte[] raw = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(raw), System.IO.Compression.CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain);
            raw = plain.ToArray();
        }
        string text = Encoding.UTF8.GetString(raw);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    [Fact]
    public async Task Sobject_crud_describe_and_metadata_use_trailing_slash_urls()
    {
        var (emu, sf, _, b) = await LoginAsync();
        await using var _emu = emu;
        using var _sf = sf;
        // describe() → GET base_url + "sobjects"; SFType(Lead).base_url = ".../sobjects/Lead/".
        var global = await Call(sf, HttpMethod.Get, b + "sobjects/");
        Assert.Equal(HttpStatusCode.OK, global.Status);
        Assert.Equal("application/json;charset=UTF-8", global.Response.Content.Headers.NonValidated["Content-Type"].ToString());
        string lead = b + "sobjects/Lead/";
        var metadata = await Call(sf, HttpMethod.Get, lead);
        Assert.Equal("00Q", metadata.Body!["objectDescribe"]!["keyPrefix"]!.GetValue<string>());
        var fixtureDescribe = Fixtures.Json("lead-basic-info-kore-docs.json")["objectDescribe"]!.AsObject();
        fixtureDescribe.Remove("urls");
        Fixtures.AssertSameShape(fixtureDescribe, metadata.Body!["objectDescribe"]);
        Assert.NotNull(metadata.Body!["recentItems"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await Call(sf, HttpMethod.Get, new Uri(new Uri(lead), "describe").ToString())).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(sf, HttpMethod.Get, lead + "describe/")).Status);

        var created = await Call(sf, HttpMethod.Post, lead, """{"LastName":"Lovelace","Company":"Analytical Engines","CrmSync_Key__c":"ss-1"}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        string id = created.Body!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await Call(sf, HttpMethod.Patch, new Uri(new Uri(lead), id).ToString(), """{"Title":"Countess"}""")).Status);
        var got = await Call(sf, HttpMethod.Get, new Uri(new Uri(lead), id).ToString());
        Assert.Equal("Countess", got.Body!["Title"]!.GetValue<string>());
        var byKey = await Call(sf, HttpMethod.Get, new Uri(new Uri(lead), "CrmSync_Key__c/ss-1").ToString());
        Assert.Equal(id, byKey.Body!["Id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await Call(sf, HttpMethod.Delete, new Uri(new Uri(lead), id).ToString())).Status);
    }

    [Fact]
    public async Task Query_encodes_spaces_as_plus_and_pages_with_next_records_url()
    {
        var (emu, sf, _, b) = await LoginAsync();
        await using var _emu = emu;
        using var _sf = sf;
        // requests: params={'q': query} → application/x-www-form-urlencoded encoding ('+' for spaces, %2C, %3D, %27).
        var page = await Call(sf, HttpMethod.Get, b + "query/?q=SELECT+Id%2C+Name+FROM+Lead+WHERE+IsDeleted+%3D+false+ORDER+BY+Name");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(5, page.Body!["totalSize"]!.GetValue<int>());
        var multiLine = await Call(sf, HttpMethod.Get, b + "query/?q=" + Uri.EscapeDataString("SELECT Id,\n\tName\r\nFROM Lead\nWHERE Name != null\n"));
        Assert.Equal(5, multiLine.Body!["totalSize"]!.GetValue<int>());
        var all = await Call(sf, HttpMethod.Get, b + "queryAll/?q=SELECT+COUNT%28%29+FROM+Lead");
        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.Equal(5, all.Body!["totalSize"]!.GetValue<int>());
        var limits = await Call(sf, HttpMethod.Get, b + "limits/");
        Assert.Equal(HttpStatusCode.OK, limits.Status);
        Assert.Matches(@"^api-usage=\d+/\d+$", limits.Response.Headers.GetValues("Sforce-Limit-Info").Single());
    }

    [Fact]
    public async Task Updated_and_deleted_accept_simple_salesforce_date_encoding()
    {
        var (emu, sf, _, b) = await LoginAsync();
        await using var _emu = emu;
        using var _sf = sf;
        string kept = (await Call(sf, HttpMethod.Post, b + "sobjects/Lead/", """{"LastName":"Lamarr","Company":"MGM"}""")).Body!["id"]!.GetValue<string>();
        string id = (await Call(sf, HttpMethod.Post, b + "sobjects/Lead/", """{"LastName":"Hopper","Company":"Navy"}""")).Body!["id"]!.GetValue<string>();
        await Call(sf, HttpMethod.Delete, b + "sobjects/Lead/" + id);
        emu.Clock.Advance(TimeSpan.FromMinutes(2));
        // date_to_iso8601: '2026-03-02T09:00:00+00:00' with ':' → %3A and '+' → %2B.
        string window = "?start=2026-03-02T09%3A00%3A00%2B00%3A00&end=2026-03-02T11%3A00%3A00%2B00%3A00";
        var updated = await Call(sf, HttpMethod.Get, b + "sobjects/Lead/updated/" + window);
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Contains(kept, updated.Body!["ids"]!.AsArray().Select(n => n!.GetValue<string>()));
        var deleted = await Call(sf, HttpMethod.Get, b + "sobjects/Lead/deleted/" + window);
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.Contains(id, deleted.Body!["deletedRecords"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()));
        // A hand-built URL with a raw '+' in the offset (decoded as a space) still works.
        var raw = await Call(sf, HttpMethod.Get, b + "sobjects/Lead/deleted/?start=2026-03-02T09:00:00+00:00&end=2026-03-02T11:00:00+00:00");
        Assert.Equal(HttpStatusCode.OK, raw.Status);
    }

    [Fact]
    public async Task Composite_batch_and_collections_answer_as_salesforce_with_gzip_when_asked()
    {
        var (emu, sf, _, b) = await LoginAsync();
        await using var _emu = emu;
        using var _sf = sf;
        var collection = await Call(sf, HttpMethod.Post, b + "composite/sobjects/",
            """{"allOrNone":false,"records":[{"attributes":{"type":"Lead"},"LastName":"A","Company":"X"},{"attributes":{"type":"Lead"},"LastName":"B","Company":"Y"}]}""");
        Assert.Equal(HttpStatusCode.OK, collection.Status);
        Assert.Equal("gzip", collection.Response.Content.Headers.ContentEncoding.Single());
        Assert.All(collection.Body!.AsArray(), r => Assert.True(r!["success"]!.GetValue<bool>()));
        var batch = await Call(sf, HttpMethod.Post, b + "composite/batch/",
            """{"batchRequests":[{"method":"GET","url":"v59.0/limits"},{"method":"GET","url":"v59.0/query/?q=SELECT+COUNT()+FROM+Lead"}]}""");
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        Assert.False(batch.Body!["hasErrors"]!.GetValue<bool>());
        Assert.Equal(7, batch.Body!["results"]![1]!["result"]!["totalSize"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("u", "urn:partner.soap.sforce.com")]
    [InlineData("c", "urn:enterprise.soap.sforce.com")]
    public async Task Login_fault_carries_sf_exceptionCode_in_the_endpoints_fault_namespace(string kind, string ns)
    {
        await using var emu = await TestEmulator.StartAsync();
        using var client = new HttpClient();
        string body = Fixtures.Text("soap-login-request.xml").Replace("{client_id}", "RestForce").Replace("{username}", "sync@crmsync.emulator")
            .Replace("{password}{security_token}", "wrong").Replace("urn:partner.soap.sforce.com", ns, StringComparison.Ordinal);
        var response = await client.PostAsync($"{emu.Host.BaseUrl}/services/Soap/{kind}/59.0", new StringContent(body, Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        string text = await response.Content.ReadAsStringAsync();
        // simple-salesforce reads the first 'sf:exceptionCode' / 'sf:exceptionMessage' element by qualified name.
        Assert.Contains("<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>", text, StringComparison.Ordinal);
        Assert.Contains("<sf:exceptionMessage>", text, StringComparison.Ordinal);
        XNamespace sfNs = ns.Replace("urn:", "urn:fault.", StringComparison.Ordinal);
        Assert.Equal("INVALID_LOGIN", XDocument.Parse(text).Descendants(sfNs + "exceptionCode").Single().Value);
    }
}
