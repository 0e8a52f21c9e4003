using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Tests.Crm;
using CrmSync.Engine.Tests.Support;

namespace CrmSync.Engine.Tests.Connect;

/// <summary>
/// One test's CrmSync data folder (a temp CRMSYNC_HOME passed explicitly), its own Process registry, a fake clock, and a
/// recorded-response handler serving the real Salesforce fixtures adapted to a loopback emulator-style login URL.
/// </summary>
internal sealed class ConnectFixture : IDisposable
{
    public const string LoginUrl = "http://127.0.0.1:5123";
    public const string UserName = "you@yourdomain.com";
    public const string Password = "Pa55-w0rd!Secret";
    public const string SecurityToken = "TOKENxyz987abc";
    public const string ClientSecret = "CS-secret-4242";
    public const string OrganizationId = "00Di0000000icUBEAY";
    public const string UserId = "005i0000002MUqLAAW";

    public TempDirectory Home { get; } = new("crmsync-connect");
    public FakeTimeProvider Time { get; } = new();
    public CrmConnectionRegistry Registry { get; } = new();
    public RecordedHttpHandler Http { get; } = new();
    public CrmSyncPaths Paths { get; }
    public ProfileConnector Connector { get; }

    public ConnectFixture()
    {
        Paths = new CrmSyncPaths(Home.Path);
        Connector = new ProfileConnector(Paths, registry: Registry, timeProvider: Time);
    }

    /// <summary>A connector for "another process": same data folder, an empty registry.</summary>
    public ProfileConnector AnotherProcess() => new(Paths, registry: new CrmConnectionRegistry(), timeProvider: Time);

    public CrmClientOptions ClientOptions(HttpMessageHandler? handler = null, IProgress<CrmApiUsage>? usage = null) => new()
    {
        PrimaryHandler = handler ?? Http,
        ApiUsage = usage,
        Resilience = new CrmResilienceOptions { MaxRetryAttempts = 0 },
    };

    public static ConnectionRequest Request(ConnectionScope scope = ConnectionScope.CurrentUser, string profile = "default",
        string? loginUrl = LoginUrl, string password = Password, string token = SecurityToken) => new()
    {
        Crm = CrmKind.Salesforce,
        Profile = profile,
        Scope = scope,
        Username = UserName,
        Password = SecretValue.Copy(password),
        SecurityToken = SecretValue.Copy(token),
        LoginUrl = loginUrl is null ? null : new Uri(loginUrl),
    };

    /// <summary>soap-login-response.xml in the partner namespace, its server URLs moved to the loopback login host.</summary>
    public static string SoapLoginResponse(string organizationId = OrganizationId) =>
        Fixtures.Text("soap-login-response.xml")
            .Replace("xmlns=\"urn:enterprise.soap.sforce.com\"", "xmlns=\"urn:partner.soap.sforce.com\"", StringComparison.Ordinal)
            .Replace("https://na15.salesforce.com", LoginUrl, StringComparison.Ordinal)
            .Replace(OrganizationId, organizationId, StringComparison.Ordinal);

    /// <summary>versions-list.json plus the versions CrmSync speaks (the recorded list has only 20.0 and 100).</summary>
    public static string VersionsList()
    {
        var list = JsonNode.Parse(Fixtures.Text("versions-list.json"))!.AsArray();
        list.Add(new JsonObject { ["version"] = "59.0", ["url"] = "/services/data/v59.0", ["label"] = "Winter '24" });
        list.Add(new JsonObject { ["version"] = "62.0", ["url"] = "/services/data/v62.0", ["label"] = "Winter '25" });
        return list.ToJsonString();
    }

    /// <summary>Scripts a successful connect: SOAP login (default version) and the version discovery.</summary>
    public ConnectFixture ExpectConnect(string organizationId = OrganizationId, RecordedHttpHandler? handler = null)
    {
        (handler ?? Http)
            .Expect(HttpMethod.Post, LoginUrl + "/services/Soap/u/59.0", HttpStatusCode.OK, SoapLoginResponse(organizationId), "text/xml")
            .Expect(HttpMethod.Get, LoginUrl + "/services/data/", HttpStatusCode.OK, VersionsList());
        return this;
    }

    public string DatabasePath(string profile = "default") => Paths.DefaultDatabasePath(profile);

    public string SecretFilePath(string profile = "default") => Path.Combine(Paths.SecretsDirectory, profile + ".json");

    /// <summary>Every file under the data folder.</summary>
    public IReadOnlyList<string> AllFiles() =>
        Directory.EnumerateFiles(Home.Path, "*", SearchOption.AllDirectories).ToList();

    public void Dispose()
    {
        Http.Dispose();
        Home.Dispose();
    }
}
