using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CrmSync.Emulator.Dynamics.Auth;

/// <summary>Who a valid access token belongs to.</summary>
/// <param name="UserId">systemuserid in the org.</param>
/// <param name="Upn">User principal name (or the application user's name).</param>
/// <param name="IsApplication">Client-credentials token.</param>
/// <param name="ExpiresOn">Expiry.</param>
public sealed record TokenPrincipal(Guid UserId, string Upn, bool IsApplication, DateTimeOffset ExpiresOn);

/// <summary>An Entra ID token-endpoint error (<c>{"error","error_description","error_codes",…}</c>).</summary>
public sealed record EntraError(int Status, string Error, int AadstsCode, string Description);

/// <summary>
/// The emulated Entra ID v2.0 token endpoint: ROPC (<c>grant_type=password</c>, client secret optional as for an app
/// that allows public client flows), <c>refresh_token</c> (one use per refresh token, 90 days) and client credentials, scope <c>{org}/.default</c> (or <c>/user_impersonation</c>
/// for ROPC), with Entra's error names and AADSTS codes. Access tokens are JWTs (HS256 with a per-org key) carrying
/// <c>aud</c>, <c>tid</c>, <c>oid</c>, <c>upn</c>/<c>appid</c> and <c>exp</c>.
/// </summary>
public sealed class EntraTokenService
{
    private readonly DynamicsOrg _org;
    private readonly byte[] _key;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Guid UserId, string Upn, DateTimeOffset Expires)> _refreshTokens = new(StringComparer.Ordinal);

    private int _generation;

    /// <summary>Invalidates every access and refresh token issued so far (the next API call answers 401); returns how many refresh tokens were dropped.</summary>
    public int RevokeAll()
    {
        Interlocked.Increment(ref _generation);
        int count = _refreshTokens.Count;
        _refreshTokens.Clear();
        return count;
    }

    /// <summary>Refresh-token lifetime (Entra: 90 days, sliding).</summary>
    public static readonly TimeSpan RefreshTokenLifetime = TimeSpan.FromDays(90);

    public EntraTokenService(DynamicsOrg org, byte[] key)
    {
        _org = org;
        _key = key;
    }

    private EntraCredentials C => _org.Credentials;

    /// <summary>Entra's error body.</summary>
    public JsonObject ErrorBody(EntraError e)
    {
        var now = _org.Clock.GetUtcNow().UtcDateTime;
        return new JsonObject
        {
            ["error"] = e.Error,
            ["error_description"] = $"AADSTS{e.AadstsCode}: {e.Description} Trace ID: {Guid.NewGuid()} Correlation ID: {Guid.NewGuid()} Timestamp: {now:yyyy-MM-dd HH:mm:ss}Z",
            ["error_codes"] = new JsonArray(e.AadstsCode),
            ["timestamp"] = now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z",
            ["trace_id"] = Guid.NewGuid().ToString(),
            ["correlation_id"] = Guid.NewGuid().ToString(),
            ["error_uri"] = $"https://login.microsoftonline.com/error?code={e.AadstsCode}",
        };
    }

    /// <summary>Handles a token request; returns the JSON body and status.</summary>
    public (int Status, JsonObject Body) Token(string tenant, IReadOnlyDictionary<string, string> form, string orgUrl)
    {
        if (!IsTenant(tenant))
        {
            return Fail(new EntraError(400, "invalid_request", 90002, $"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
        }
        string grant = form.GetValueOrDefault("grant_type") ?? "";
        string clientId = form.GetValueOrDefault("client_id") ?? "";
        if (grant.Length == 0)
        {
            return Fail(new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."));
        }
        if (grant is not ("password" or "client_credentials" or "refresh_token"))
        {
            return Fail(new EntraError(400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{grant}'."));
        }
        if (clientId.Length == 0)
        {
            return Fail(new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."));
        }
        bool publicSample = grant == "password" && string.Equals(clientId, MicrosoftSampleClientId, StringComparison.OrdinalIgnoreCase);
        if (publicSample && form.ContainsKey("client_secret"))
        {
            return Fail(new EntraError(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."));
        }
        if (!publicSample && !string.Equals(clientId, C.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return Fail(new EntraError(400, "unauthorized_client", 700016,
                $"Application with identifier '{clientId}' was not found in the directory '{C.TenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."));
        }
        string? secret = form.GetValueOrDefault("client_secret");
        if (secret is not null && !FixedEquals(secret, C.ClientSecret))
        {
            return Fail(new EntraError(401, "invalid_client", 7000215,
                $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{C.ClientId}'."));
        }
        string scope = form.GetValueOrDefault("scope") ?? "";
        if (scope.Length == 0)
        {
            return Fail(new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."));
        }
        var scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? resourceScope = scopes.FirstOrDefault(s => !IsOidcScope(s));
        string org = orgUrl.TrimEnd('/');
        if (grant == "client_credentials")
        {
            if (secret is null)
            {
                return Fail(new EntraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."));
            }
            if (resourceScope is null || scopes.Length != 1 || !resourceScope.EndsWith("/.default", StringComparison.Ordinal))
            {
                return Fail(new EntraError(400, "invalid_scope", 1002012, $"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."));
            }
            if (!SameResource(resourceScope, org))
            {
                return Fail(NoResource(resourceScope));
            }
            var app = _org.ApplicationUser;
            return (200, Issue(app.Id, C.ApplicationUserName, isApp: true, org, resourceScope, includeId: false));
        }
        if (grant == "refresh_token")
        {
            string refresh = form.GetValueOrDefault("refresh_token") ?? "";
            if (refresh.Length == 0)
            {
                return Fail(new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'."));
            }
            if (!_refreshTokens.TryRemove(refresh, out var holder) || holder.Expires <= _org.Clock.GetUtcNow())
            {
                return Fail(new EntraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed."));
            }
            if (resourceScope is null || !SameResource(resourceScope, org))
            {
                return Fail(new EntraError(400, "invalid_scope", 70011, $"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."));
            }
            return (200, Issue(holder.UserId, holder.Upn, isApp: false, org,
                string.Join(' ', scopes.Where(s => !IsOidcScope(s) || s is "openid" or "profile" or "offline_access")), includeId: scopes.Contains("openid")));
        }
        string username = form.GetValueOrDefault("username") ?? "";
        string password = form.GetValueOrDefault("password") ?? "";
        if (username.Length == 0 || password.Length == 0)
        {
            return Fail(new EntraError(400, "invalid_request", 900144, $"The request body must contain the following parameter: '{(username.Length == 0 ? "username" : "password")}'."));
        }
        if (resourceScope is null || !(resourceScope.EndsWith("/.default", StringComparison.Ordinal) || resourceScope.EndsWith("/user_impersonation", StringComparison.Ordinal)))
        {
            return Fail(new EntraError(400, "invalid_scope", 70011, $"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."));
        }
        if (!SameResource(resourceScope, org))
        {
            return Fail(NoResource(resourceScope));
        }
        var user = _org.FindInteractiveUser(username);
        if (user is null)
        {
            return Fail(new EntraError(400, "invalid_grant", 50034, $"The user account {{EmailHidden}} does not exist in the {C.TenantDomain} directory. To sign into this application, the account must be added to the directory."));
        }
        if (!FixedEquals(password, C.Password))
        {
            return Fail(new EntraError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password."));
        }
        if (_org.Settings.MfaRequired)
        {
            return Fail(new EntraError(400, "invalid_grant", 50076,
                $"Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{org}'."));
        }
        bool openid = scopes.Contains("openid");
        var body = Issue(user.Value.Id, user.Value.Upn, isApp: false, org, string.Join(' ', scopes.Where(s => !IsOidcScope(s) || s is "openid" or "profile" or "offline_access")), includeId: openid);
        return (200, body);
    }

    private static EntraError NoResource(string scope) =>
        new(400, "invalid_resource", 500011,
            $"The resource principal named {scope[..scope.LastIndexOf('/')]} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.");

    private static bool IsOidcScope(string s) => s is "openid" or "profile" or "offline_access" or "email";

    private static bool SameResource(string scope, string org)
    {
        string resource = scope[..scope.LastIndexOf('/')].TrimEnd('/');
        return string.Equals(resource, org, StringComparison.OrdinalIgnoreCase)
               || (Uri.TryCreate(resource, UriKind.Absolute, out var r) && Uri.TryCreate(org, UriKind.Absolute, out var o)
                   && r.Port == o.Port && (r.IsLoopback || r.Host == "localhost") && o.IsLoopback);
    }

    /// <summary>
    /// Microsoft's multi-tenant public client for Dataverse samples (documented for development and testing): usable with the
    /// password grant in any tenant without registering an app, as clients that take no client id (CrmSync without -ClientId) use it.
    /// </summary>
    public const string MicrosoftSampleClientId = "51f81489-12ee-4a9e-aaae-a2591f45987d";

    public bool IsTenant(string tenant) =>
        string.Equals(tenant, C.TenantId, StringComparison.OrdinalIgnoreCase) || string.Equals(tenant, C.TenantDomain, StringComparison.OrdinalIgnoreCase)
        || tenant is "organizations" or "common";

    private (int, JsonObject) Fail(EntraError e) => (e.Status, ErrorBody(e));

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private JsonObject Issue(Guid userId, string upn, bool isApp, string org, string scope, bool includeId)
    {
        var now = _org.Clock.GetUtcNow();
        var exp = now + _org.Settings.TokenLifetime;
        var oid = DynamicsOrg.ObjectIdOf(userId);
        var claims = new JsonObject
        {
            ["aud"] = org,
            ["iss"] = $"https://sts.windows.net/{C.TenantId}/",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = exp.ToUnixTimeSeconds(),
            ["appid"] = C.ClientId,
            ["oid"] = oid.ToString(),
            ["sub"] = oid.ToString(),
            ["tid"] = C.TenantId,
            ["ver"] = "1.0",
            ["uti"] = Base64Url(RandomNumberGenerator.GetBytes(16)),
            ["crmsync_userid"] = userId.ToString(),
            ["crmsync_gen"] = Volatile.Read(ref _generation),
        };
        if (isApp)
        {
            claims["idtyp"] = "app";
            claims["roles"] = new JsonArray();
        }
        else
        {
            claims["upn"] = upn;
            claims["unique_name"] = upn;
            claims["scp"] = "user_impersonation";
            claims["name"] = _org.DisplayNameOf(userId);
        }
        int lifetime = (int)Math.Round((exp - now).TotalSeconds) - 1;
        var body = new JsonObject
        {
            ["token_type"] = "Bearer",
            ["scope"] = scope,
            ["expires_in"] = lifetime,
            ["ext_expires_in"] = lifetime,
            ["access_token"] = Sign(claims),
        };
        if (!isApp)
        {
            string refreshToken = Base64Url(RandomNumberGenerator.GetBytes(48));
            _refreshTokens[refreshToken] = (userId, upn, now + RefreshTokenLifetime);
            body["refresh_token"] = refreshToken;
            if (includeId)
            {
                var id = new JsonObject
                {
                    ["aud"] = C.ClientId,
                    ["iss"] = $"https://login.microsoftonline.com/{C.TenantId}/v2.0",
                    ["iat"] = now.ToUnixTimeSeconds(),
                    ["nbf"] = now.ToUnixTimeSeconds(),
                    ["exp"] = exp.ToUnixTimeSeconds(),
                    ["name"] = _org.DisplayNameOf(userId),
                    ["oid"] = oid.ToString(),
                    ["preferred_username"] = upn,
                    ["sub"] = oid.ToString(),
                    ["tid"] = C.TenantId,
                    ["ver"] = "2.0",
                };
                body["id_token"] = Base64Url(Encoding.UTF8.GetBytes("{\"typ\":\"JWT\",\"alg\":\"none\"}")) + "." + Base64Url(Encoding.UTF8.GetBytes(id.ToJsonString())) + ".";
                body["client_info"] = Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["uid"] = oid.ToString(), ["utid"] = C.TenantId }.ToJsonString()));
            }
        }
        return body;
    }

    private string Sign(JsonObject claims)
    {
        string header = Base64Url(Encoding.UTF8.GetBytes("{\"typ\":\"JWT\",\"alg\":\"HS256\"}"));
        string payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        string signature = Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    /// <summary>Validates a bearer token for the org (signature, expiry, audience); null when invalid.</summary>
    public TokenPrincipal? Validate(string token, string orgUrl)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        byte[] given;
        JsonObject claims;
        try
        {
            given = FromBase64Url(parts[2]);
            claims = JsonNode.Parse(FromBase64Url(parts[1]))!.AsObject();
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return null;
        }
        var exp = DateTimeOffset.FromUnixTimeSeconds(claims["exp"]!.GetValue<long>());
        if (exp <= _org.Clock.GetUtcNow() || claims["crmsync_gen"]?.GetValue<int>() != Volatile.Read(ref _generation))
        {
            return null;
        }
        string aud = claims["aud"]?.GetValue<string>() ?? "";
        if (!SameResource(aud + "/.default", orgUrl.TrimEnd('/')))
        {
            return null;
        }
        var userId = Guid.Parse(claims["crmsync_userid"]!.GetValue<string>());
        bool isApp = claims["idtyp"]?.GetValue<string>() == "app";
        return new TokenPrincipal(userId, claims["upn"]?.GetValue<string>() ?? C.ApplicationUserName, isApp, exp);
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        string s = text.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
        return Convert.FromBase64String(s);
    }
}
