using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Clients;

/// <summary>
/// simple-salesforce always builds <c>https://{instance}/services/data/vNN.0/</c>, so the emulator serves TLS on loopback with
/// its own self-signed certificate. These tests trust exactly that certificate (pinned by its raw bytes), never any.
/// </summary>
public sealed class HttpsLoopbackTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crmsync-tls-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static HttpClient PinnedClient(X509Certificate2 pinned, string baseUrl)
    {
        byte[] expected = pinned.RawData;
        var handler = new HttpClientHandler
        {
            // Test-only trust: accept the emulator's certificate and nothing else (no blanket accept-all).
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.RawData.AsSpan().SequenceEqual(expected),
        };
        return new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
    }

    [Fact]
    public async Task Https_emulator_logs_in_over_soap_and_oauth_with_https_instance_urls_and_answers_queries()
    {
        string pem = Path.Combine(_folder, "out", "emulator-ca.pem");
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Url = "https://127.0.0.1:0",
            CertificatePath = Path.Combine(_folder, "tls.pfx"),
            CertificateOutPath = pem,
            Seed = CrmSync.Emulator.Salesforce.Seeding.SeedPlan.Parse("lead=3"),
            TimeProvider = EmulatorClock.Frozen(TestEmulator.Start),
        });
        Assert.StartsWith("https://127.0.0.1:", host.BaseUrl, StringComparison.Ordinal);
        var certificate = Assert.IsType<X509Certificate2>(host.Certificate);
        // --cert-out: the PEM is the served certificate, public part only.
        string pemText = await File.ReadAllTextAsync(pem);
        Assert.DoesNotContain("PRIVATE KEY", pemText, StringComparison.Ordinal);
        using (var fromPem = X509Certificate2.CreateFromPem(pemText))
        {
            Assert.Equal(certificate.RawData, fromPem.RawData);
        }

        using var http = PinnedClient(certificate, host.BaseUrl);
        var c = host.Credentials;
        // SOAP login exactly as simple-salesforce sends it; it keeps the host:port of serverUrl and prefixes https://.
        string envelope = Fixtures.Text("soap-login-request.xml").Replace("{client_id}", "RestForce").Replace("{username}", c.Username)
            .Replace("{password}{security_token}", c.Password + c.SecurityToken);
        using var soap = new StringContent(envelope, Encoding.UTF8, "text/xml");
        soap.Headers.Add("SOAPAction", "login");
        var soapResponse = await http.PostAsync("/services/Soap/u/59.0", soap);
        Assert.Equal(HttpStatusCode.OK, soapResponse.StatusCode);
        var xml = XDocument.Parse(await soapResponse.Content.ReadAsStringAsync());
        XNamespace p = "urn:partner.soap.sforce.com";
        string serverUrl = xml.Descendants(p + "serverUrl").Single().Value;
        Assert.StartsWith(host.BaseUrl + "/services/Soap/u/59.0/", serverUrl, StringComparison.Ordinal);
        string instance = serverUrl.Replace("https://", "", StringComparison.Ordinal).Split('/')[0].Replace("-api", "", StringComparison.Ordinal);
        string sessionId = xml.Descendants(p + "sessionId").Single().Value;

        using var query = new HttpRequestMessage(HttpMethod.Get, $"https://{instance}/services/data/v59.0/query/?q=SELECT+Id%2C+Name+FROM+Lead");
        query.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sessionId);
        var queryResponse = await http.SendAsync(query);
        Assert.Equal(HttpStatusCode.OK, queryResponse.StatusCode);
        var page = JsonNode.Parse(await queryResponse.Content.ReadAsStringAsync())!;
        Assert.Equal(3, page["totalSize"]!.GetValue<int>());

        // OAuth: instance_url and the identity URL carry the https scheme and port the client used.
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = c.ClientId, ["client_secret"] = c.ClientSecret,
            ["username"] = c.Username, ["password"] = c.Password + c.SecurityToken,
        });
        var token = JsonNode.Parse(await (await http.PostAsync("/services/oauth2/token", form)).Content.ReadAsStringAsync())!;
        Assert.Equal(host.BaseUrl, token["instance_url"]!.GetValue<string>());
        Assert.StartsWith(host.BaseUrl + "/id/", token["id"]!.GetValue<string>(), StringComparison.Ordinal);
        using var identity = new HttpRequestMessage(HttpMethod.Get, token["id"]!.GetValue<string>());
        identity.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token["access_token"]!.GetValue<string>());
        var identityBody = JsonNode.Parse(await (await http.SendAsync(identity)).Content.ReadAsStringAsync())!;
        Assert.StartsWith(host.BaseUrl + "/services/data/v", identityBody["urls"]!["rest"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused_by_tls_validation()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Url = "https://127.0.0.1:0",
            CertificatePath = Path.Combine(_folder, "tls.pfx"),
        });
        using var untrusting = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/services/data/"));
        // A pin on another certificate is refused too.
        using var other = LoopbackCertificate.Create(DateTimeOffset.UtcNow);
        using var wrongPin = PinnedClient(other, host.BaseUrl);
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongPin.GetAsync("/services/data/"));
    }

    [Fact]
    public void The_certificate_is_created_once_cached_and_covers_localhost_and_both_loopback_addresses()
    {
        string path = Path.Combine(_folder, "cache", "tls.pfx");
        var now = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        using var first = LoopbackCertificate.LoadOrCreate(path, new FixedTime(now));
        using var second = LoopbackCertificate.LoadOrCreate(path, new FixedTime(now.AddMonths(6)));
        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
        Assert.Equal(2048, first.GetRSAPublicKey()!.KeySize);
        Assert.Equal(now.AddYears(1).UtcDateTime, first.NotAfter.ToUniversalTime());
        var san = first.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        var addresses = san.EnumerateIPAddresses().ToList();
        Assert.Contains(IPAddress.Loopback, addresses);
        Assert.Contains(IPAddress.IPv6Loopback, addresses);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        // Within a week of expiry it is replaced.
        using var renewed = LoopbackCertificate.LoadOrCreate(path, new FixedTime(now.AddYears(1).AddDays(-3)));
        Assert.NotEqual(first.Thumbprint, renewed.Thumbprint);
        Assert.Equal(Path.GetFullPath(Path.Combine(_folder, "x.db")) + ".tls.pfx", LoopbackCertificate.DefaultPath(Path.Combine(_folder, "x.db")));
    }

    [Fact]
    public async Task Http_and_https_side_by_side_each_answer_with_their_own_scheme()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Url = "http://127.0.0.1:0;https://127.0.0.1:0",
            CertificatePath = Path.Combine(_folder, "tls.pfx"),
        });
        Assert.StartsWith("http://127.0.0.1:", host.BaseUrl, StringComparison.Ordinal);
        string https = Assert.Single(host.Addresses, a => a.StartsWith("https://", StringComparison.Ordinal));
        using var http = PinnedClient(host.Certificate!, https);
        var c = host.Credentials;
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = c.ClientId, ["client_secret"] = c.ClientSecret,
        });
        var token = JsonNode.Parse(await (await http.PostAsync("/services/oauth2/token", form)).Content.ReadAsStringAsync())!;
        Assert.Equal(https, token["instance_url"]!.GetValue<string>());
    }

    [Fact]
    public void Command_line_takes_cert_options()
    {
        var options = EmulatorOptions.Parse(["--urls", "https://127.0.0.1:5443", "--cert-out", "ca.pem", "--cert", "cache.pfx"]);
        Assert.True(options.UsesHttps);
        Assert.Equal("ca.pem", options.CertificateOutPath);
        Assert.Equal("cache.pfx", options.CertificatePath);
        Assert.False(EmulatorOptions.Parse(["--urls", "http://127.0.0.1:0"]).UsesHttps);
        var both = EmulatorOptions.Parse(["--urls", "http://127.0.0.1:5080;https://127.0.0.1:5443"]);
        Assert.True(both.UsesHttps);
        Assert.Equal(["http://127.0.0.1:5080", "https://127.0.0.1:5443"], both.ListenUrls);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
