using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Clients;

/// <summary>Salesforce REST/SOAP conventions any faithful client relies on: error shapes, auth variants, SOAP parsing, composite batch.</summary>
public sealed class RestConventionTests
{
    private const string V = TestEmulator.V;

    [Theory]
    [InlineData("/services/data/foo")]
    [InlineData("/services/data/v59.0/nothing/here")]
    [InlineData("/services/data/v10.0/limits")]
    [InlineData("/services/data/v999.0/limits")]
    [InlineData("/services/data/v999.0/")]
    public async Task Unknown_resources_and_unsupported_versions_are_the_json_404(string path)
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, response) = await emu.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("UTF-8", response.Content.Headers.ContentType!.CharSet);
        Assert.Equal("NOT_FOUND", body![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal("The requested resource does not exist", body[0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wrong_methods_are_405_naming_the_allowed_methods()
    {
        await using var emu = await TestEmulator.StartAsync();
        string id = await emu.CreateAsync("Lead", new { LastName = "Put", Company = "Method" });
        var put = await emu.SendAsync(HttpMethod.Put, $"{V}/sobjects/Lead/{id}", new { Title = "x" });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.Status);
        Assert.Equal("METHOD_NOT_ALLOWED", put.Body![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal("HTTP Method 'PUT' not allowed. Allowed are GET,PATCH,DELETE", put.Body[0]!["message"]!.GetValue<string>());
        var deleteQuery = await emu.SendAsync(HttpMethod.Delete, $"{V}/query?q=SELECT+Id+FROM+Lead");
        Assert.Equal("HTTP Method 'DELETE' not allowed. Allowed are GET", deleteQuery.Body![0]!["message"]!.GetValue<string>());
        var postDescribe = await emu.SendAsync(HttpMethod.Post, $"{V}/sobjects/Lead/describe", new { });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, postDescribe.Status);
        var putSobject = await emu.SendAsync(HttpMethod.Put, $"{V}/sobjects/Lead/", new { });
        Assert.Equal("HTTP Method 'PUT' not allowed. Allowed are GET,POST", putSobject.Body![0]!["message"]!.GetValue<string>());
        var postVersions = await emu.SendAsync(HttpMethod.Post, "/services/data/", new { });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, postVersions.Status);
        Assert.Equal("METHOD_NOT_ALLOWED", postVersions.Body![0]!["errorCode"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-session")]
    [InlineData("OAuth 00D000000000000!expired")]
    public async Task Missing_or_invalid_auth_on_data_routes_is_401_INVALID_SESSION_ID(string? authorization)
    {
        await using var emu = await TestEmulator.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, V + "/sobjects/");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("INVALID_SESSION_ID", body[0]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_endpoint_takes_client_credentials_from_http_basic_and_tolerates_format_json()
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        using var client = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/services/oauth2/token?format=json")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password", ["username"] = c.Username, ["password"] = c.Password + c.SecurityToken,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(c.ClientId)}:{Uri.EscapeDataString(c.ClientSecret)}")));
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("UTF-8", response.Content.Headers.ContentType!.CharSet);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]);

        // Parameters in the query string (as Postman collections send them) are read too.
        string inQuery = "/services/oauth2/token?grant_type=password&client_id=" + Uri.EscapeDataString(c.ClientId) + "&client_secret=" + Uri.EscapeDataString(c.ClientSecret)
            + "&username=" + Uri.EscapeDataString(c.Username) + "&password=" + Uri.EscapeDataString(c.Password + c.SecurityToken);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(inQuery, null)).StatusCode);

        using var wrongSecret = new HttpRequestMessage(HttpMethod.Post, "/services/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        wrongSecret.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.ClientId}:nope")));
        var refused = await client.SendAsync(wrongSecret);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_client", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    public static TheoryData<string, string?> LoginEnvelopes => new()
    {
        // No CallOptions header, default namespace, SOAPAction "".
        { """<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><login xmlns="urn:partner.soap.sforce.com"><username>{u}</username><password>{p}</password></login></soapenv:Body></soapenv:Envelope>""", "\"\"" },
        // ns1 prefix, SOAP envelope prefix "SOAP-ENV", no SOAPAction.
        { """<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:partner.soap.sforce.com"><SOAP-ENV:Header><ns1:CallOptions><ns1:client>zeep</ns1:client></ns1:CallOptions></SOAP-ENV:Header><SOAP-ENV:Body><ns1:login><ns1:username>{u}</ns1:username><ns1:password>{p}</ns1:password></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>""", null },
        // urn: prefix (simple-salesforce's IP-filtering template), SOAPAction: login.
        { """<?xml version="1.0" encoding="utf-8" ?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:CallOptions><urn:client>RestForce</urn:client><urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions></soapenv:Header><soapenv:Body><urn:login><urn:username>{u}</urn:username><urn:password>{p}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>""", "login" },
    };

    [Theory]
    [MemberData(nameof(LoginEnvelopes))]
    public async Task Soap_login_is_parsed_by_local_name_whatever_the_prefixes_and_soap_action(string template, string? soapAction)
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        using var client = new HttpClient();
        var content = new StringContent(template.Replace("{u}", c.Username).Replace("{p}", c.Password + c.SecurityToken), Encoding.UTF8, "text/xml");
        if (soapAction is not null)
        {
            content.Headers.Add("SOAPAction", soapAction);
        }
        var response = await client.PostAsync(emu.Host.BaseUrl + "/services/Soap/u/59.0", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        XNamespace p = "urn:partner.soap.sforce.com";
        Assert.Single(XDocument.Parse(await response.Content.ReadAsStringAsync()).Descendants(p + "sessionId"));
    }

    [Fact]
    public async Task Enterprise_endpoint_answers_in_the_enterprise_namespace_and_soap_calls_accept_a_bearer_session()
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        using var client = new HttpClient();
        string body = $"""<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:enterprise.soap.sforce.com"><soapenv:Body><urn:login><urn:username>{c.Username}</urn:username><urn:password>{c.Password}{c.SecurityToken}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>""";
        var response = await client.PostAsync(emu.Host.BaseUrl + "/services/Soap/c/59.0", new StringContent(body, Encoding.UTF8, "text/xml"));
        XNamespace e = "urn:enterprise.soap.sforce.com";
        var result = XDocument.Parse(await response.Content.ReadAsStringAsync()).Descendants(e + "result").Single();
        Assert.StartsWith(emu.Host.BaseUrl + "/services/Soap/c/59.0/", result.Element(e + "serverUrl")!.Value, StringComparison.Ordinal);
        string session = result.Element(e + "sessionId")!.Value;

        // No SessionHeader: the Authorization header carries the session.
        const string timestamp = """<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:enterprise.soap.sforce.com"><soapenv:Body><urn:getServerTimestamp/></soapenv:Body></soapenv:Envelope>""";
        using var withBearer = new HttpRequestMessage(HttpMethod.Post, emu.Host.BaseUrl + "/services/Soap/c/59.0") { Content = new StringContent(timestamp, Encoding.UTF8, "text/xml") };
        withBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session);
        var answered = await client.SendAsync(withBearer);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Single(XDocument.Parse(await answered.Content.ReadAsStringAsync()).Descendants(e + "timestamp"));
        var refused = await client.PostAsync(emu.Host.BaseUrl + "/services/Soap/c/59.0", new StringContent(timestamp, Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
        Assert.Contains("INVALID_SESSION_ID", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Composite_batch_runs_independent_subrequests_and_reports_has_errors()
    {
        await using var emu = await TestEmulator.StartAsync();
        string id = await emu.CreateAsync("Lead", new { LastName = "Batch", Company = "Co" });
        var batch = new JsonObject
        {
            ["batchRequests"] = new JsonArray(
                new JsonObject { ["method"] = "PATCH", ["url"] = $"v59.0/sobjects/Lead/{id}", ["richInput"] = new JsonObject { ["Title"] = "Batched" } },
                new JsonObject { ["method"] = "GET", ["url"] = $"v59.0/sobjects/Lead/{id}?fields=Title" },
                new JsonObject { ["method"] = "POST", ["url"] = "/services/data/v59.0/sobjects/Lead", ["richInput"] = new JsonObject { ["LastName"] = "Second", ["Company"] = "Co" } },
                new JsonObject { ["method"] = "GET", ["url"] = "v59.0/sobjects/NoSuch__c/describe" }),
        };
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/batch", batch);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body!["hasErrors"]!.GetValue<bool>());
        var results = body["results"]!.AsArray();
        Assert.Equal(204, results[0]!["statusCode"]!.GetValue<int>());
        Assert.Null(results[0]!["result"]);
        Assert.Equal("Batched", results[1]!["result"]!["Title"]!.GetValue<string>());
        Assert.Equal(201, results[2]!["statusCode"]!.GetValue<int>());
        Assert.Equal(404, results[3]!["statusCode"]!.GetValue<int>());
        Assert.Equal("NOT_FOUND", results[3]!["result"]![0]!["errorCode"]!.GetValue<string>());
        // Not transactional: the PATCH stays.
        Assert.Equal("Batched", (await emu.GetAsync($"{V}/sobjects/Lead/{id}")).Body!["Title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Composite_batch_halt_on_error_and_the_25_subrequest_limit()
    {
        await using var emu = await TestEmulator.StartAsync();
        var halting = new JsonObject
        {
            ["haltOnError"] = true,
            ["batchRequests"] = new JsonArray(
                new JsonObject { ["method"] = "GET", ["url"] = "v59.0/sobjects/Lead/00Q000000000000" },
                new JsonObject { ["method"] = "GET", ["url"] = "v59.0/limits" }),
        };
        var (_, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/batch", halting);
        Assert.True(body!["hasErrors"]!.GetValue<bool>());
        Assert.Equal(412, body["results"]![1]!["statusCode"]!.GetValue<int>());
        Assert.Equal("BATCH_PROCESSING_HALTED", body["results"]![1]!["result"]![0]!["errorCode"]!.GetValue<string>());

        var tooMany = new JsonObject { ["batchRequests"] = new JsonArray(Enumerable.Range(0, 26).Select(_ => (JsonNode?)new JsonObject { ["method"] = "GET", ["url"] = "v59.0/limits" }).ToArray()) };
        var refused = await emu.SendAsync(HttpMethod.Post, V + "/composite/batch", tooMany);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        var wrongMethod = await emu.GetAsync(V + "/composite/batch");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.Status);
    }

    [Fact]
    public async Task Composite_references_between_subrequests_with_collate_subrequests_and_instance_relative_urls()
    {
        await using var emu = await TestEmulator.StartAsync();
        var composite = new JsonObject
        {
            ["allOrNone"] = false,
            ["collateSubrequests"] = true,
            ["compositeRequest"] = new JsonArray(
                new JsonObject { ["method"] = "POST", ["url"] = "/services/data/v59.0/sobjects/Account/", ["referenceId"] = "acct", ["body"] = new JsonObject { ["Name"] = "Ref Co" } },
                new JsonObject { ["method"] = "POST", ["url"] = "/services/data/v59.0/sobjects/Contact", ["referenceId"] = "ct", ["body"] = new JsonObject { ["LastName"] = "Ref", ["AccountId"] = "@{acct.id}" } },
                new JsonObject { ["method"] = "GET", ["url"] = "/services/data/v59.0/sobjects/Contact/@{ct.id}?fields=AccountId", ["referenceId"] = "read" }),
        };
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite", composite);
        Assert.Equal(HttpStatusCode.OK, status);
        var responses = body!["compositeResponse"]!.AsArray();
        string accountId = responses[0]!["body"]!["id"]!.GetValue<string>();
        Assert.Equal(201, responses[1]!["httpStatusCode"]!.GetValue<int>());
        Assert.Equal(accountId, responses[2]!["body"]!["AccountId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sobject_tree_creates_nested_records_in_one_transaction()
    {
        await using var emu = await TestEmulator.StartAsync();
        // simple-salesforce: sf.composite.Account.tree_create(records) → POST .../composite/tree/Account
        var tree = JsonNode.Parse("""
            {"records":[
              {"attributes":{"type":"Account","referenceId":"acc1"},"Name":"Tree Co",
               "Contacts":{"records":[
                 {"attributes":{"type":"Contact","referenceId":"c1"},"LastName":"Leaf","Email":"leaf@tree.example"},
                 {"attributes":{"type":"Contact","referenceId":"c2"},"LastName":"Twig"}]}},
              {"attributes":{"type":"Account","referenceId":"acc2"},"Name":"Solo"}]}
            """)!;
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, V + "/composite/tree/Account", tree);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.False(body!["hasErrors"]!.GetValue<bool>());
        var results = body["results"]!.AsArray();
        Assert.Equal(["acc1", "c1", "c2", "acc2"], results.Select(r => r!["referenceId"]!.GetValue<string>()));
        string accountId = results[0]!["id"]!.GetValue<string>();
        var contacts = await emu.QueryAsync($"SELECT LastName FROM Contact WHERE AccountId = '{accountId}' ORDER BY LastName");
        Assert.Equal(2, contacts["totalSize"]!.GetValue<int>());

        // One bad record rolls back the whole request and is reported by its referenceId.
        var bad = JsonNode.Parse("""
            {"records":[{"attributes":{"type":"Account","referenceId":"ok"},"Name":"Rolled Back",
               "Contacts":{"records":[{"attributes":{"type":"Contact","referenceId":"broken"},"LastName":"X","NoSuchField__c":1}]}}]}
            """)!;
        var failed = await emu.SendAsync(HttpMethod.Post, V + "/composite/tree/Account", bad);
        Assert.Equal(HttpStatusCode.BadRequest, failed.Status);
        Assert.True(failed.Body!["hasErrors"]!.GetValue<bool>());
        Assert.Equal("broken", failed.Body["results"]![0]!["referenceId"]!.GetValue<string>());
        Assert.Equal("INVALID_FIELD", failed.Body["results"]![0]!["errors"]![0]!["statusCode"]!.GetValue<string>());
        Assert.Equal(0, (await emu.QueryAsync("SELECT COUNT() FROM Account WHERE Name = 'Rolled Back'"))["totalSize"]!.GetValue<int>());

        var wrongType = await emu.SendAsync(HttpMethod.Post, V + "/composite/tree/Account", JsonNode.Parse("""{"records":[{"attributes":{"type":"Lead","referenceId":"l"},"LastName":"L"}]}""")!);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
    }

    [Fact]
    public async Task Client_headers_are_accepted_and_json_is_salesforce_typed()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, response) = await emu.GetAsync(V + "/sobjects/Lead/describe", r =>
        {
            r.Headers.TryAddWithoutValidation("X-PrettyPrint", "1");
            r.Headers.TryAddWithoutValidation("Sforce-Call-Options", "client=SampleCaseSensitiveToken/100");
            r.Headers.TryAddWithoutValidation("Sforce-Query-Options", "batchSize=500");
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("UTF-8", response.Content.Headers.ContentType!.CharSet);
        Assert.Equal("Lead", body!["name"]!.GetValue<string>());
    }
}
