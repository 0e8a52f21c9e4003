using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Auth;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Emulator.Tests.Dynamics;

/// <summary>
/// What Test-CrmSyncConnection and Connect-CrmSync need from the org (issue 13): a table the sync user cannot read, a table
/// without change tracking, N:1 relationship metadata, and Microsoft's public sample client for the password grant.
/// </summary>
public sealed class DynamicsValidationKnobTests
{
    [Fact]
    public async Task A_read_denied_table_answers_Dataverse_missing_privilege_error_to_the_sync_user_only()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { EnableAdmin = true }, asApplication: false);
        var (settings, body, _) = await emu.SendAsync(HttpMethod.Put, "/_emulator/dynamics/settings", new JsonObject { ["readDenied"] = new JsonArray("account") });
        Assert.Equal(HttpStatusCode.OK, settings);
        Assert.Equal("account", body!["readDenied"]![0]!.GetValue<string>());

        var (status, error, _) = await emu.GetAsync("accounts?$select=accountid&$top=1");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("0x80040220", error!["error"]!["code"]!.GetValue<string>());
        Assert.Contains("is missing prvReadAccount privilege", error["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("contacts?$select=contactid&$top=1")).Status);
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("EntityDefinitions(LogicalName='account')?$select=LogicalName")).Status);

        var second = await emu.UserTokenAsync(emu.Org.Credentials.SecondUserUpn);
        var (asSecond, _, _) = await emu.GetAsync("accounts?$select=accountid&$top=1",
            r => r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", second));
        Assert.Equal(HttpStatusCode.OK, asSecond); // the second user (the CRM admin) keeps its privileges
    }

    [Fact]
    public async Task Change_tracking_can_be_off_for_a_table()
    {
        await using var emu = await DataverseTestEmulator.StartAsync(new EmulatorOptions { EnableAdmin = true });
        var (put, _, _) = await emu.SendAsync(HttpMethod.Put, "/_emulator/dynamics/schema/account", new JsonObject { ["changeTrackingEnabled"] = false });
        Assert.Equal(HttpStatusCode.NoContent, put);

        var (_, definition, _) = await emu.GetAsync("EntityDefinitions(LogicalName='account')?$select=ChangeTrackingEnabled");
        Assert.False(definition!["ChangeTrackingEnabled"]!.GetValue<bool>());
        var (status, error, _) = await emu.GetAsync("accounts?$select=name", DataverseTestEmulator.Prefer("odata.track-changes"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Change tracking is not enabled", error!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entity_definitions_expand_their_many_to_one_relationships_with_navigation_properties()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (status, body, _) = await emu.GetAsync(
            "EntityDefinitions(LogicalName='contact')?$select=LogicalName&$expand=ManyToOneRelationships($select=ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName)");
        Assert.Equal(HttpStatusCode.OK, status);
        var relationships = body!["ManyToOneRelationships"]!.AsArray().Select(r => (
            r!["ReferencingAttribute"]!.GetValue<string>(), r["ReferencedEntity"]!.GetValue<string>(), r["ReferencingEntityNavigationPropertyName"]!.GetValue<string>())).ToList();
        Assert.Contains(("parentcustomerid", "account", "parentcustomerid_account"), relationships);
        Assert.Contains(("parentcustomerid", "contact", "parentcustomerid_contact"), relationships);
        Assert.Null(body["ManyToOneRelationships"]![0]!["SchemaName"]);
    }

    [Fact]
    public async Task Microsofts_public_sample_client_signs_users_in_with_the_password_grant_and_never_with_a_secret()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = EntraTokenService.MicrosoftSampleClientId, ["username"] = emu.Org.Credentials.SyncUserUpn,
            ["password"] = emu.Org.Credentials.Password, ["scope"] = emu.OrgUrl + "/.default",
        };
        var (ok, token) = await emu.TokenRequestAsync(form, "organizations");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.NotNull(token["access_token"]);

        form["client_secret"] = "anything";
        var (refused, error) = await emu.TokenRequestAsync(form);
        Assert.Equal(HttpStatusCode.Unauthorized, refused);
        Assert.StartsWith("AADSTS700025:", error["error_description"]!.GetValue<string>(), StringComparison.Ordinal);

        var (app, appError) = await emu.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = EntraTokenService.MicrosoftSampleClientId, ["client_secret"] = "x", ["scope"] = emu.OrgUrl + "/.default",
        });
        Assert.Equal(HttpStatusCode.BadRequest, app);
        Assert.Equal("unauthorized_client", appError["error"]!.GetValue<string>());
    }
}
