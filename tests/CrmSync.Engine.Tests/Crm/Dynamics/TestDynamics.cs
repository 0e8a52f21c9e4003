using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

/// <summary>The recorded Dataverse and Entra responses (tests/fixtures/dynamics, sources in SOURCES.md).</summary>
internal static class DynamicsFixtures
{
    /// <summary>A fixture with Microsoft's <c>[Organization URI]</c> placeholder replaced by the test org.</summary>
    public static string Text(string name) =>
        File.ReadAllText(Path.Combine(Fixtures.DynamicsFolder, name), Encoding.UTF8)
            .Replace("[Organization Uri]", TestDynamics.Org, StringComparison.Ordinal)
            .Replace("[Organization URI]", TestDynamics.Org, StringComparison.Ordinal);

    /// <summary>CRLF line ends, as a real multipart body has them (the published examples use LF).</summary>
    public static string Crlf(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);

    /// <summary>A recorded .http batch response: its status line, and its body with the Content-Type a real answer carries.</summary>
    public static (HttpStatusCode Status, string ContentType, string Body) BatchResponse(string name, bool crlf = true)
    {
        var text = Text(name).Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = text[..split];
        var body = text[(split + 2)..];
        var status = (HttpStatusCode)int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var boundary = body.Split('\n')[0][2..];
        return (status, $"multipart/mixed; boundary={boundary}", crlf ? Crlf(body) : body);
    }

    public static HttpResponseMessage BatchHttpResponse(string name)
    {
        var (status, contentType, body) = BatchResponse(name);
        return Multipart(status, contentType, body);
    }

    public static HttpResponseMessage Multipart(HttpStatusCode status, string contentType, string body)
    {
        var r = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8) };
        r.Content.Headers.Remove("Content-Type");
        r.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return r;
    }

    /// <summary>A hand-written batch response in the shape of the recorded ones: one part per (status line, headers, body).</summary>
    public static HttpResponseMessage HandWrittenBatch(params (string StatusLine, string? Body)[] parts) => HandWrittenBatch(parts, null);

    /// <summary>As above; <paramref name="retryAfterOfLast"/> adds a Retry-After header to the last part.</summary>
    public static HttpResponseMessage HandWrittenBatch((string StatusLine, string? Body)[] parts, string? retryAfterOfLast)
    {
        const string boundary = "batchresponse_0c5b9a6e-3f1d-4a8e-9e7b-2d41c7a0f001";
        var b = new StringBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            var (statusLine, body) = parts[i];
            b.Append("--").Append(boundary).Append("\r\n")
                .Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
                .Append("HTTP/1.1 ").Append(statusLine).Append("\r\n");
            if (body is not null) b.Append("Content-Type: application/json; odata.metadata=minimal\r\n");
            if (retryAfterOfLast is not null && i == parts.Length - 1) b.Append("Retry-After: ").Append(retryAfterOfLast).Append("\r\n");
            b.Append("OData-Version: 4.0\r\n\r\n");
            if (body is not null) b.Append(body);
            b.Append("\r\n");
        }
        b.Append("--").Append(boundary).Append("--\r\n");
        return Multipart(HttpStatusCode.OK, "multipart/mixed; boundary=" + boundary, b.ToString());
    }

    private static readonly Regex PartRequestLine = new(@"^(GET|PATCH|POST|DELETE) (\S+) HTTP/1\.1\r$", RegexOptions.Multiline);

    /// <summary>The request lines inside a batch request body, in order.</summary>
    public static List<(string Method, string Target)> RequestLines(string batchBody) =>
        PartRequestLine.Matches(batchBody).Select(m => (m.Groups[1].Value, Uri.UnescapeDataString(m.Groups[2].Value))).ToList();

    /// <summary>The parts of a batch request body (each part's text after its MIME headers), split on the boundary of its Content-Type.</summary>
    public static List<string> RequestParts(RecordedHttpHandler.RecordedRequest request)
    {
        var contentType = request.Header("Content-Type")!;
        var boundary = Regex.Match(contentType, "boundary=\"?([^\";]+)\"?").Groups[1].Value;
        var body = request.BodyText;
        Assert.EndsWith("--" + boundary + "--\r\n", body);
        return body[..^("--" + boundary + "--\r\n").Length].Split("--" + boundary + "\r\n", StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}

/// <summary>A Dataverse client over a recorded-response handler and a fake clock.</summary>
internal sealed class TestDynamics : IDisposable
{
    public const string Org = "https://contoso.crm.dynamics.com";
    public const string Api = Org + "/api/data/v9.2/";
    public const string TokenUrl = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token";
    public const string UserId = "8f1f6a4e-6f2b-ee11-9965-000d3a5b7c01";
    public const string OrganizationId = "a1b2c3d4-0000-4000-8000-00000000beef";

    /// <summary>The token in entra-ropc-token-success.json.</summary>
    public const string FixtureToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik5HVEZ2ZEstZnl0aEV1Q...";

    public RecordedHttpHandler Http { get; } = new();
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
    public RecordingProgress<CrmClientEvent> Events { get; } = new();
    public RecordingProgress<CrmApiUsage> Usage { get; } = new();
    public DataverseClient Client { get; }

    public TestDynamics(Func<CrmConnectionSettings, CrmConnectionSettings>? configure = null, CrmResilienceOptions? resilience = null)
    {
        var settings = new CrmConnectionSettings
        {
            Kind = CrmKind.Dynamics,
            AuthMethod = CrmAuthMethod.OAuthPassword,
            OrganizationUrl = new Uri(Org),
            Username = "sync@contoso.onmicrosoft.com",
            Password = SecretValue.Copy("pa&ss wörd"),
            ClientId = "0c1d2e3f-aaaa-bbbb-cccc-123456789abc",
        };
        if (configure is not null) settings = configure(settings);
        Client = new DataverseClient(settings, new CrmClientOptions
        {
            PrimaryHandler = Http,
            TimeProvider = Time,
            Events = Events,
            ApiUsage = Usage,
            Resilience = resilience ?? new CrmResilienceOptions { MaxRetryAttempts = 0 },
        });
    }

    /// <summary>WhoAmI as Dataverse answers it (hand-written in the documented shape: UserId, BusinessUnitId, OrganizationId).</summary>
    public static string WhoAmIBody =>
        "{\"@odata.context\":\"" + Api + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse\",\"BusinessUnitId\":\"0e3f5d2a-1111-ee11-9965-000d3a5b7c01\","
        + "\"UserId\":\"" + UserId + "\",\"OrganizationId\":\"" + OrganizationId + "\"}";

    /// <summary>Scripts the token (recorded success) and WhoAmI.</summary>
    public TestDynamics ExpectLogin(string tokenUrl = TokenUrl, Action<HttpResponseMessage>? whoAmI = null)
    {
        Http.Expect(HttpMethod.Post, tokenUrl, HttpStatusCode.OK, DynamicsFixtures.Text("entra-ropc-token-success.json"));
        Http.Expect(HttpMethod.Get, Api + "WhoAmI", HttpStatusCode.OK, WhoAmIBody, configure: whoAmI);
        return this;
    }

    /// <summary>Every request after the token request is a Web API call with the bearer token and the OData headers.</summary>
    public void AssertWebApiHeadersOnEveryCall(string token = FixtureToken)
    {
        Assert.Equal(TokenUrl, Http.Requests[0].Uri.AbsoluteUri);
        foreach (var r in Http.Requests.Skip(1))
        {
            Assert.StartsWith(Api, r.Uri.AbsoluteUri);
            Assert.Equal("Bearer " + token, r.Header("Authorization"));
            Assert.Equal("4.0", r.Header("OData-Version"));
            Assert.Equal("4.0", r.Header("OData-MaxVersion"));
            Assert.NotNull(r.Header("Accept"));
        }
    }

    public static Dictionary<string, string> Form(string body) =>
        body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));

    public void Dispose()
    {
        Client.Dispose();
        Http.Dispose();
    }
}

/// <summary>Hand-built entity metadata for the reader and writer tests (the describe itself is tested on its own).</summary>
internal static class TestEntities
{
    public static CrmFieldSchema Field(string name, CrmFieldType type, string native, params string[] targets) =>
        new(name, name, type, native, 0, 0, 0, true, true, true, false, false, false, false, targets, []);

    public static DataverseEntityMetadata Entity(string logicalName, string setName, string primaryId, bool tracked, IEnumerable<CrmFieldSchema> fields,
        Dictionary<string, IReadOnlyList<DataverseLookupTarget>>? lookups = null)
    {
        var all = new List<CrmFieldSchema> { Field(primaryId, CrmFieldType.Id, "Uniqueidentifier") };
        all.AddRange(fields);
        var schema = new CrmObjectSchema(logicalName, logicalName, false, true, true, true, true, all)
        {
            SupportsChangeTracking = tracked,
            PrimaryIdField = primaryId,
            ModificationStampField = all.Any(f => f.Name == "modifiedon") ? "modifiedon" : null,
        };
        return new DataverseEntityMetadata(schema, setName, [], lookups ?? new Dictionary<string, IReadOnlyList<DataverseLookupTarget>>());
    }

    /// <summary>account as in the change-tracking fixtures (name, accountnumber, telephone1, fax).</summary>
    public static DataverseEntityMetadata Account(bool tracked = true) => Entity("account", "accounts", "accountid", tracked,
    [
        Field("name", CrmFieldType.String, "String"),
        Field("accountnumber", CrmFieldType.String, "String"),
        Field("telephone1", CrmFieldType.Phone, "String"),
        Field("fax", CrmFieldType.String, "String"),
    ]);

    /// <summary>contact as in the paging fixtures (fullname).</summary>
    public static DataverseEntityMetadata Contact() => Entity("contact", "contacts", "contactid", true, [Field("fullname", CrmFieldType.String, "String")]);

    /// <summary>lead with the column types the writer converts, a single-target and a polymorphic lookup, and CrmSync's key column.</summary>
    public static DataverseEntityMetadata Lead() => Entity("lead", "leads", "leadid", true,
        [
            Field("firstname", CrmFieldType.String, "String"),
            Field("lastname", CrmFieldType.String, "String"),
            Field("emailaddress1", CrmFieldType.Email, "String"),
            Field("numberofemployees", CrmFieldType.Integer, "Integer"),
            Field("revenue", CrmFieldType.Currency, "Money"),
            Field("donotemail", CrmFieldType.Boolean, "Boolean"),
            Field("leadsourcecode", CrmFieldType.Picklist, "Picklist"),
            Field("new_interests", CrmFieldType.MultiPicklist, "MultiSelectPicklistType"),
            Field("modifiedon", CrmFieldType.DateTime, "DateTime"),
            Field("parentaccountid", CrmFieldType.Reference, "Lookup", "account"),
            Field("customerid", CrmFieldType.Reference, "Customer", "account", "contact"),
            Field("crmsync_id", CrmFieldType.String, "String") with { ExternalId = true, Unique = true },
        ],
        new Dictionary<string, IReadOnlyList<DataverseLookupTarget>>
        {
            ["parentaccountid"] = [new("account", "parentaccountid")],
            ["customerid"] = [new("account", "customerid_account"), new("contact", "customerid_contact")],
        });

    public static readonly Dictionary<string, string> SetNames = new() { ["account"] = "accounts", ["contact"] = "contacts", ["lead"] = "leads", ["task"] = "tasks" };
}
