using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsAuthTests
{
    private static JsonObject Claims(string jwt)
    {
        string part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
        return JsonNode.Parse(Convert.FromBase64String(part))!.AsObject();
    }

    [Fact]
    public async Task Ropc_with_openid_scopes_has_the_shape_of_the_real_Entra_answer()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body) = await emu.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = emu.Org.Credentials.ClientId,
            ["username"] = emu.Org.Credentials.SyncUserUpn,
            ["password"] = emu.Org.Credentials.Password,
            ["scope"] = emu.OrgUrl + "/user_impersonation openid profile offline_access",
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(DynamicsFixtures.Json("entra-ropc-token-success.json"), body);
        Assert.Equal(3599, body["expires_in"]!.GetValue<int>());
        var claims = Claims(body["access_token"]!.GetValue<string>());
        Assert.Equal(emu.OrgUrl, claims["aud"]!.GetValue<string>());
        Assert.Equal(emu.TenantId, claims["tid"]!.GetValue<string>());
        Assert.Equal(emu.Org.Credentials.SyncUserUpn, claims["upn"]!.GetValue<string>());
        var id = Claims(body["id_token"]!.GetValue<string>());
        Assert.Equal(emu.Org.Credentials.SyncUserUpn, id["preferred_username"]!.GetValue<string>());
        Assert.Equal(emu.Org.Credentials.ClientId, id["aud"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refresh_token_is_redeemed_once_for_a_new_access_token()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var c = emu.Org.Credentials;
        var (_, first) = await emu.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = c.ClientId, ["username"] = c.SecondUserUpn, ["password"] = c.Password,
            ["scope"] = emu.OrgUrl + "/.default offline_access",
        });
        var refresh = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = c.ClientId, ["refresh_token"] = first["refresh_token"]!.GetValue<string>(),
            ["scope"] = emu.OrgUrl + "/.default offline_access",
        };
        emu.Clock.Advance(TimeSpan.FromMinutes(61));
        var (status, second) = await emu.TokenRequestAsync(refresh);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(c.SecondUserUpn, Claims(second["access_token"]!.GetValue<string>())["upn"]!.GetValue<string>());
        Assert.NotEqual(first["refresh_token"]!.GetValue<string>(), second["refresh_token"]!.GetValue<string>());
        emu.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", second["access_token"]!.GetValue<string>());
        Assert.Equal(emu.Org.SecondUser.Id.ToString(), (await emu.GetAsync("WhoAmI")).Body!["UserId"]!.GetValue<string>());
        (status, var reused) = await emu.TokenRequestAsync(refresh);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", reused["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Client_credentials_token_is_the_application_user_and_WhoAmI_says_so()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, who, response) = await emu.GetAsync("WhoAmI");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(emu.Org.ApplicationUser.Id, Guid.Parse(who!["UserId"]!.GetValue<string>()));
        Assert.Equal(emu.Org.Store.OrganizationId, Guid.Parse(who["OrganizationId"]!.GetValue<string>()));
        Assert.Equal(emu.Org.BusinessUnitId, Guid.Parse(who["BusinessUnitId"]!.GetValue<string>()));
        Assert.EndsWith("$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse", who["@odata.context"]!.GetValue<string>());
        Assert.Equal("4.0", response.Headers.GetValues("OData-Version").Single());
    }

    [Theory]
    [InlineData("password", "sync@crmsync.onmicrosoft.test", "wrong", null, 400, "invalid_grant", 50126)]
    [InlineData("password", "nobody@crmsync.onmicrosoft.test", "CrmSync-Emulator-1", null, 400, "invalid_grant", 50034)]
    [InlineData("password", "sync@crmsync.onmicrosoft.test", "CrmSync-Emulator-1", "bad-secret", 401, "invalid_client", 7000215)]
    [InlineData("client_credentials", null, null, "bad-secret", 401, "invalid_client", 7000215)]
    [InlineData("client_credentials", null, null, null, 401, "invalid_client", 7000218)]
    [InlineData("authorization_code", null, null, null, 400, "unsupported_grant_type", 70003)]
    public async Task Token_errors_carry_the_Entra_error_names_and_AADSTS_codes(string grant, string? user, string? password, string? secret, int statusCode, string error, int aadsts)
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var form = new Dictionary<string, string> { ["grant_type"] = grant, ["client_id"] = emu.Org.Credentials.ClientId, ["scope"] = emu.OrgUrl + "/.default" };
        if (user is not null)
        {
            form["username"] = user;
            form["password"] = password!;
        }
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        var (status, body) = await emu.TokenRequestAsync(form);
        Assert.Equal(statusCode, (int)status);
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.StartsWith($"AADSTS{aadsts}:", body["error_description"]!.GetValue<string>());
        Assert.Equal(aadsts, body["error_codes"]![0]!.GetValue<int>());
        Assert.NotNull(body["trace_id"]);
        Assert.NotNull(body["correlation_id"]);
        Assert.NotNull(body["timestamp"]);
    }

    [Fact]
    public async Task Unknown_app_is_unauthorized_client_and_a_foreign_resource_is_refused()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body) = await emu.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = Guid.NewGuid().ToString(), ["client_secret"] = "x", ["scope"] = emu.OrgUrl + "/.default",
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unauthorized_client", body["error"]!.GetValue<string>());
        Assert.Equal(700016, body["error_codes"]![0]!.GetValue<int>());
        (status, body) = await emu.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = emu.Org.Credentials.ClientId, ["client_secret"] = emu.Org.Credentials.ClientSecret,
            ["scope"] = "https://contoso.crm.dynamics.com/.default",
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(500011, body["error_codes"]![0]!.GetValue<int>());
        (status, body) = await emu.TokenRequestAsync(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, tenant: "not-a-tenant");
        Assert.Equal(90002, body["error_codes"]![0]!.GetValue<int>());
    }

    [Fact]
    public async Task Ropc_fails_with_AADSTS50076_when_MFA_is_required_but_client_credentials_still_work()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        emu.Org.Settings.MfaRequired = true;
        var (status, body) = await emu.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = emu.Org.Credentials.ClientId, ["username"] = emu.Org.Credentials.SyncUserUpn,
            ["password"] = emu.Org.Credentials.Password, ["scope"] = emu.OrgUrl + "/.default",
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
        Assert.Equal(50076, body["error_codes"]![0]!.GetValue<int>());
        Assert.NotEmpty(await emu.AppTokenAsync());
    }

    [Fact]
    public async Task Tokens_expire_after_the_configured_lifetime()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
        emu.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
        emu.Clock.Advance(TimeSpan.FromMinutes(2));
        var (status, _, response) = await emu.GetAsync("WhoAmI");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.StartsWith("Bearer authorization_uri=", response.Headers.WwwAuthenticate.ToString());
        emu.Org.Settings.TokenLifetime = TimeSpan.FromMinutes(5);
        emu.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await emu.AppTokenAsync());
        emu.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await emu.GetAsync("WhoAmI")).Status);
    }

    [Fact]
    public async Task A_tampered_token_is_refused()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        string token = await emu.AppTokenAsync();
        var parts = token.Split('.');
        var claims = Claims(token);
        claims["crmsync_userid"] = emu.Org.SyncUser.Id.ToString();
        string forged = parts[0] + "." + Convert.ToBase64String(Encoding.UTF8.GetBytes(claims.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + parts[2];
        emu.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        Assert.Equal(HttpStatusCode.Unauthorized, (await emu.GetAsync("WhoAmI")).Status);
    }

    [Fact]
    public async Task The_Organization_svc_probe_answers_401_with_the_authority()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        using var client = new HttpClient();
        using var response = await client.GetAsync(emu.OrgUrl + "/XRMServices/2011/Organization.svc/web?SDKClientVersion=9.2.49.3165");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"Bearer authorization_uri={emu.OrgUrl}/{emu.TenantId}/oauth2/authorize, resource_id={emu.OrgUrl}/", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task OpenID_configuration_and_instance_discovery_point_at_the_emulator()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        using var client = new HttpClient();
        var config = JsonNode.Parse(await client.GetStringAsync($"{emu.OrgUrl}/{emu.TenantId}/v2.0/.well-known/openid-configuration"))!;
        Assert.Equal($"{emu.OrgUrl}/{emu.TenantId}/oauth2/v2.0/token", config["token_endpoint"]!.GetValue<string>());
        Assert.Equal($"{emu.OrgUrl}/{emu.TenantId}/v2.0", config["issuer"]!.GetValue<string>());
        Assert.Equal($"{emu.OrgUrl}/{emu.TenantId}/oauth2/v2.0/authorize", config["authorization_endpoint"]!.GetValue<string>());
        var discovery = JsonNode.Parse(await client.GetStringAsync($"{emu.OrgUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=x"))!;
        Assert.Equal($"{emu.OrgUrl}/{emu.TenantId}/v2.0/.well-known/openid-configuration", discovery["tenant_discovery_endpoint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Salesforce_only_emulators_do_not_serve_Dynamics_and_both_serves_both()
    {
        await using (var sf = await EmulatorHost.StartAsync(new EmulatorOptions()))
        {
            Assert.Null(sf.Dynamics);
            using var client = new HttpClient();
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(sf.BaseUrl + "/api/data/v9.2/WhoAmI")).StatusCode);
        }
        await using var both = await DataverseTestEmulator.StartAsync(new EmulatorOptions { Crm = CrmKind.Both });
        Assert.Equal(HttpStatusCode.OK, (await both.GetAsync("WhoAmI")).Status);
        using var sfClient = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await sfClient.GetAsync(both.OrgUrl + "/services/data")).StatusCode);
        // Salesforce's /services/oauth2/token is not taken for an Entra tenant named "services".
        using var sfToken = await sfClient.PostAsync(both.OrgUrl + "/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = both.Host.Credentials.ClientId, ["client_secret"] = both.Host.Credentials.ClientSecret,
            ["username"] = both.Host.Credentials.Username, ["password"] = both.Host.Credentials.Password + both.Host.Credentials.SecurityToken,
        }));
        Assert.Equal(HttpStatusCode.OK, sfToken.StatusCode);
        Assert.NotNull(JsonNode.Parse(await sfToken.Content.ReadAsStringAsync())!["instance_url"]);
    }

    [Fact]
    public void Command_line_selects_the_CRM_and_parses_Dynamics_seed_kinds()
    {
        var dv = EmulatorOptions.Parse(["--seed", "lead=3,contact=2,account=1,opportunity=1,systemuser=2,list=1,listmember=2,custom=4", "--crm", "dynamics", "--dv-change-tracking-days", "30"]);
        Assert.Equal(CrmKind.Dynamics, dv.Crm);
        Assert.True(dv.ServesDynamics);
        Assert.False(dv.ServesSalesforce);
        Assert.Null(dv.Seed);
        Assert.Equal(2, dv.DynamicsSeed!.SystemUsers);
        Assert.Equal(2, dv.DynamicsSeed.ListMembers);
        Assert.Equal(4, dv.DynamicsSeed.Custom);
        Assert.Equal(30, dv.DynamicsSettings.ExpireChangeTrackingInDays);
        var both = EmulatorOptions.Parse(["--crm", "both", "--seed", "lead=5", "--dv-seed", "lead=7", "--db", "/tmp/x/crm.db"]);
        Assert.Equal(5, both.Seed!.Leads);
        Assert.Equal(7, both.DynamicsSeed!.Leads);
        Assert.Equal(Path.Combine("/tmp/x", "crm.dataverse.db"), both.DynamicsDatabasePath);
        Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(["--crm", "sap"]));
        Assert.Throws<FormatException>(() => EmulatorOptions.Parse(["--crm", "dynamics", "--seed", "campaign=1"]));
        Assert.Equal(CrmKind.Salesforce, EmulatorOptions.Parse([]).Crm);
    }
}
