using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CrmSync.Emulator.Salesforce.Auth;

/// <summary>The OAuth 2.0 token endpoint: username-password and client-credentials grants.</summary>
public sealed class OAuthEndpoint
{
    private readonly SalesforceOrg _org;

    /// <summary>Creates the endpoint.</summary>
    public OAuthEndpoint(SalesforceOrg org) => _org = org;

    /// <summary>Handles a token request; returns the HTTP status and JSON body.</summary>
    public (int Status, JsonObject Body) Token(string baseUrl, IReadOnlyDictionary<string, string> form)
    {
        form.TryGetValue("grant_type", out var grant);
        form.TryGetValue("client_id", out var clientId);
        form.TryGetValue("client_secret", out var clientSecret);
        var credentials = _org.Credentials;
        static (int, JsonObject) Error(string error, string description) =>
            (400, new JsonObject { ["error"] = error, ["error_description"] = description });
        if (grant is not ("password" or "client_credentials"))
        {
            return Error("unsupported_grant_type", "grant type not supported");
        }
        if (clientId is null || !Equal(clientId, credentials.ClientId))
        {
            return Error("invalid_client_id", "client identifier invalid");
        }
        EmulatorUser? user;
        if (grant == "client_credentials")
        {
            if (clientSecret is null || !Equal(clientSecret, credentials.ClientSecret))
            {
                return Error("invalid_client", "invalid client credentials");
            }
            user = _org.SyncUser;
        }
        else
        {
            if (clientSecret is not null && !Equal(clientSecret, credentials.ClientSecret))
            {
                return Error("invalid_client", "invalid client credentials");
            }
            form.TryGetValue("username", out var username);
            form.TryGetValue("password", out var password);
            user = _org.Authenticate(username, password);
            if (user is null)
            {
                return Error("invalid_grant", "authentication failure");
            }
        }
        var session = _org.Sessions.Open(user);
        string id = $"{baseUrl}/id/{_org.Store.OrganizationId}/{user.Id}";
        string issuedAt = _org.Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(credentials.ClientSecret), Encoding.UTF8.GetBytes(id + issuedAt)));
        return (200, new JsonObject
        {
            ["access_token"] = session.Token,
            ["instance_url"] = baseUrl,
            ["id"] = id,
            ["token_type"] = "Bearer",
            ["issued_at"] = issuedAt,
            ["signature"] = signature,
            ["scope"] = "api",
        });
    }

    private static bool Equal(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
