using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Connections;

/// <summary>
/// The non-secret sign-in details Connect-CrmSync records in the profile's <c>SettingsJson</c> under <c>"connection"</c>:
/// the org and user the profile belongs to, the sign-in method, the client id and, for Dynamics, the tenant and token authority. Other keys of the
/// settings object are kept as they are.
/// </summary>
internal sealed record ProfileConnectorSettings
{
    private const string Section = "connection";

    public string? OrganizationId { get; init; }
    public string? UserId { get; init; }
    public CrmAuthMethod AuthMethod { get; init; } = CrmAuthMethod.Password;
    public string? ClientId { get; init; }
    public string? TenantId { get; init; }
    public string? AuthorityUrl { get; init; }

    /// <summary>Reads the section (defaults when the profile was never connected by Connect-CrmSync).</summary>
    public static ProfileConnectorSettings Read(string settingsJson)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(string.IsNullOrWhiteSpace(settingsJson) ? "{}" : settingsJson);
        }
        catch (JsonException)
        {
            return new ProfileConnectorSettings();
        }
        if (root is not JsonObject obj || obj[Section] is not JsonObject section)
            return new ProfileConnectorSettings();
        return new ProfileConnectorSettings
        {
            OrganizationId = Text(section, "organizationId"),
            UserId = Text(section, "userId"),
            AuthMethod = Enum.TryParse<CrmAuthMethod>(Text(section, "authMethod"), ignoreCase: true, out var method) ? method : CrmAuthMethod.Password,
            ClientId = Text(section, "clientId"),
            TenantId = Text(section, "tenantId"),
            AuthorityUrl = Text(section, "authorityUrl"),
        };
    }

    /// <summary>Returns <paramref name="settingsJson"/> with this section written into it.</summary>
    public string WriteInto(string settingsJson)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(string.IsNullOrWhiteSpace(settingsJson) ? "{}" : settingsJson) as JsonObject ?? new JsonObject();
        }
        catch (JsonException)
        {
            root = new JsonObject();
        }
        var section = new JsonObject();
        Put(section, "organizationId", OrganizationId);
        Put(section, "userId", UserId);
        Put(section, "authMethod", AuthMethod.ToString());
        Put(section, "clientId", ClientId);
        Put(section, "tenantId", TenantId);
        Put(section, "authorityUrl", AuthorityUrl);
        root[Section] = section;
        return root.ToJsonString();
    }

    private static void Put(JsonObject section, string name, string? value)
    {
        if (value is not null)
            section[name] = value;
    }

    private static string? Text(JsonObject section, string name) =>
        section[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
