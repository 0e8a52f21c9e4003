using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class AuthTests
{
    private static string LoginEnvelope(string user, string password) =>
        Fixtures.Text("soap-login-request.xml").Replace("{client_id}", "test").Replace("{username}", user).Replace("{password}{security_token}", password);

    private static async Task<HttpResponseMessage> SoapLogin(TestEmulator emu, string user, string password, string kind = "u")
    {
        using var client = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        var content = new StringContent(LoginEnvelope(user, password), Encoding.UTF8, "text/xml");
        content.Headers.Add("SOAPAction", "login");
        return await client.PostAsync($"/services/Soap/{kind}/59.0", content);
    }

    [Fact]
    public async Task Soap_login_returns_partner_result_with_emulator_server_url_and_a_working_session()
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        var response = await SoapLogin(emu, c.Username, c.Password + c.SecurityToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace p = "urn:partner.soap.sforce.com";
        var result = xml.Descendants(p + "result").Single();
        Assert.Equal($"{emu.Host.BaseUrl}/services/Soap/u/59.0/{emu.Host.OrganizationId[..15]}", result.Element(p + "serverUrl")!.Value);
        Assert.Equal(emu.Host.SyncUserId, result.Element(p + "userId")!.Value);
        Assert.Equal("7200", result.Element(p + "userInfo")!.Element(p + "sessionSecondsValid")!.Value);
        // Every element of the real (enterprise) fixture's result exists in ours.
        var fixture = XDocument.Parse(Fixtures.Text("soap-login-response.xml"));
        XNamespace e = "urn:enterprise.soap.sforce.com";
        foreach (var element in fixture.Descendants(e + "result").Single().Descendants())
        {
            Assert.True(result.Descendants(p + element.Name.LocalName).Any(), "missing " + element.Name.LocalName);
        }
        string session = result.Element(p + "sessionId")!.Value;
        using var api = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(TestEmulator.V + "/limits")).StatusCode);
    }

    [Fact]
    public async Task Soap_login_with_a_bad_password_is_the_exact_INVALID_LOGIN_fault_with_500()
    {
        await using var emu = await TestEmulator.StartAsync();
        var response = await SoapLogin(emu, emu.Host.Credentials.Username, "wrong");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(Fixtures.Text("soap-login-fault-invalid-login.xml").Trim(), (await response.Content.ReadAsStringAsync()).Trim());
        var missingToken = await SoapLogin(emu, emu.Host.Credentials.Username, emu.Host.Credentials.Password);
        Assert.Equal(HttpStatusCode.InternalServerError, missingToken.StatusCode);
    }

    private static async Task<(HttpStatusCode, JsonObject)> Token(TestEmulator emu, Dictionary<string, string> form)
    {
        using var client = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        var response = await client.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task OAuth_password_grant_matches_the_fixture_shape()
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        var (status, body) = await Token(emu, new()
        {
            ["grant_type"] = "password", ["client_id"] = c.ClientId, ["client_secret"] = c.ClientSecret,
            ["username"] = c.Username, ["password"] = c.Password + c.SecurityToken,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(Fixtures.Json("oauth-token-success.json"), body);
        Fixtures.AssertSameShape(Fixtures.Json("oauth-token-success-simple-salesforce.json"), body);
        Assert.Equal(emu.Host.BaseUrl, body["instance_url"]!.GetValue<string>());
        Assert.Equal($"{emu.Host.BaseUrl}/id/{emu.Host.OrganizationId}/{emu.Host.SyncUserId}", body["id"]!.GetValue<string>());
        Assert.Equal(TestEmulator.Start.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), body["issued_at"]!.GetValue<string>());
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task OAuth_client_credentials_grant_logs_in_the_sync_user()
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        var (status, body) = await Token(emu, new() { ["grant_type"] = "client_credentials", ["client_id"] = c.ClientId, ["client_secret"] = c.ClientSecret });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith("/" + emu.Host.SyncUserId, body["id"]!.GetValue<string>());
        var (badStatus, bad) = await Token(emu, new() { ["grant_type"] = "client_credentials", ["client_id"] = c.ClientId, ["client_secret"] = "nope" });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("invalid_client", bad["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("password", "wrong-client", null, "invalid_client_id", "client identifier invalid")]
    [InlineData("password", null, "badpass", "invalid_grant", "authentication failure")]
    [InlineData("authorization_code", null, null, "unsupported_grant_type", "grant type not supported")]
    public async Task OAuth_errors_are_400_with_salesforce_error_names(string grant, string? clientId, string? password, string error, string description)
    {
        await using var emu = await TestEmulator.StartAsync();
        var c = emu.Host.Credentials;
        var (status, body) = await Token(emu, new()
        {
            ["grant_type"] = grant, ["client_id"] = clientId ?? c.ClientId, ["client_secret"] = c.ClientSecret,
            ["username"] = c.Username, ["password"] = password ?? c.Password + c.SecurityToken,
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Fixtures.AssertSameShape(Fixtures.Json("oauth-token-error-invalid-grant.json"), body);
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Equal(description, body["error_description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sessions_expire_after_inactivity_and_when_expired_by_the_fault_api()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { SessionTimeout = TimeSpan.FromMinutes(30) });
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(TestEmulator.V + "/limits")).Status);
        emu.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(TestEmulator.V + "/limits")).Status);
        emu.Clock.Advance(TimeSpan.FromMinutes(31));
        var (status, body, _) = await emu.GetAsync(TestEmulator.V + "/limits");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("""[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]""", body!.ToJsonString());

        emu.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", emu.Host.CreateSession());
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync(TestEmulator.V + "/limits")).Status);
        Assert.Equal(1, emu.Host.ExpireAllSessions());
        Assert.Equal(HttpStatusCode.Unauthorized, (await emu.GetAsync(TestEmulator.V + "/limits")).Status);
    }

    [Fact]
    public async Task Restricted_user_cannot_see_or_write_fields_hidden_by_field_level_security()
    {
        await using var emu = await TestEmulator.StartAsync(restricted: true);
        var (_, describe, _) = await emu.GetAsync(TestEmulator.V + "/sobjects/Lead/describe");
        var names = describe!["fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain("AnnualRevenue", names);
        Assert.DoesNotContain("MobilePhone", names);
        Assert.Contains("Email", names);

        var (status, body, _) = await emu.GetAsync(TestEmulator.V + "/query?q=" + Uri.EscapeDataString("SELECT Id, AnnualRevenue FROM Lead"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_FIELD", body![0]!["errorCode"]!.GetValue<string>());

        var (writeStatus, writeBody, _) = await emu.SendAsync(HttpMethod.Post, TestEmulator.V + "/sobjects/Lead", new { LastName = "X", Company = "Y", AnnualRevenue = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, writeStatus);
        Assert.Equal("No such column 'AnnualRevenue' on sobject of type Lead", writeBody![0]!["message"]!.GetValue<string>());

        string id = emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Rich", ["Company"] = "Co", ["AnnualRevenue"] = 1000m });
        var (_, record, _) = await emu.GetAsync($"{TestEmulator.V}/sobjects/Lead/{id}");
        Assert.False(record!.AsObject().ContainsKey("AnnualRevenue"));
        Assert.Equal("Rich", record["LastName"]!.GetValue<string>());
    }
}
