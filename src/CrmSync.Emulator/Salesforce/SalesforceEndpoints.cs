using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Rest;
using CrmSync.Emulator.Salesforce.Soap;

namespace CrmSync.Emulator.Salesforce;

/// <summary>Maps the Salesforce surface (REST, SOAP, OAuth) onto ASP.NET Core, with fault injection, auth and API usage.</summary>
internal static class SalesforceEndpoints
{
    public static void Map(WebApplication app, SalesforceOrg org)
    {
        var api = new SalesforceRestApi(org);
        var soap = new SoapEndpoint(org);
        var oauth = new OAuthEndpoint(org);

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (!path.StartsWith("/services/", StringComparison.OrdinalIgnoreCase) && !path.StartsWith("/id/", StringComparison.OrdinalIgnoreCase))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            foreach (var decision in org.Faults.ForRequest(context.Request.Method, path))
            {
                var rule = decision.Rule;
                switch (rule.Kind)
                {
                    case FaultKind.Latency:
                        await Task.Delay(rule.Delay, context.RequestAborted).ConfigureAwait(false);
                        break;
                    case FaultKind.DropConnection:
                        context.Abort();
                        return;
                    case FaultKind.RequestLimitExceeded:
                        await WriteApi(context, ApiResponse.Error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), org).ConfigureAwait(false);
                        return;
                    case FaultKind.HttpStatus:
                        var (code, message) = rule.StatusCode switch
                        {
                            503 => ("SERVER_UNAVAILABLE", "Server unavailable. Please try again later."),
                            429 => ("REQUEST_LIMIT_EXCEEDED", "Too many requests. Please retry later."),
                            502 => ("BAD_GATEWAY", "Bad gateway."),
                            _ => ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1409586478-12345 (-1436516488)"),
                        };
                        var response = ApiResponse.Error(rule.StatusCode, code, rule.Message ?? message);
                        if (rule.RetryAfterSeconds is { } seconds)
                        {
                            response.Headers["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        }
                        await WriteApi(context, response, org).ConfigureAwait(false);
                        return;
                }
            }
            await next(context).ConfigureAwait(false);
        });

        string[] methods = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"];
        // Trailing slashes (simple-salesforce: .../sobjects/, .../query/?q=, .../limits/) are accepted everywhere: routing
        // ignores a trailing slash and the REST dispatcher drops empty segments.
        app.MapMethods("/services/data", methods, (HttpContext context) => context.Request.Method is "GET" or "HEAD"
            ? WriteApi(context, ApiResponse.Ok(SalesforceRestApi.Versions()), org)
            : WriteApi(context, MethodNotAllowed(context.Request.Method, "GET"), org));
        app.MapMethods("/services/data/v{version}", methods, (HttpContext context, string version) => HandleRest(context, api, org, version, ""));
        app.MapMethods("/services/data/v{version}/{**rest}", methods, (HttpContext context, string version, string? rest) => HandleRest(context, api, org, version, rest ?? ""));
        // Anything else below /services/data (e.g. /services/data/foo) is Salesforce's JSON 404, not an empty one.
        app.MapMethods("/services/data/{**rest}", methods, (HttpContext context) => WriteApi(context, ApiResponse.NotFound(), org)).WithOrder(1000);

        app.MapPost("/services/Soap/{kind}/{version}/{**rest}", (HttpContext context, string kind, string version) => HandleSoap(context, soap, kind, version));
        app.MapPost("/services/oauth2/token", async (HttpContext context) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
            var values = form?.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal) ?? new Dictionary<string, string>();
            // Salesforce also reads the grant's parameters from the query string (Postman-style); the form body wins.
            foreach (var (key, value) in context.Request.Query)
            {
                if (key != "format")
                {
                    values.TryAdd(key, value.ToString());
                }
            }
            // RFC 6749 2.3.1: a confidential client may authenticate with HTTP Basic (client_id:client_secret, each form-url-encoded).
            if (BasicClientCredentials(context) is { } basic)
            {
                values.TryAdd("client_id", basic.ClientId);
                values.TryAdd("client_secret", basic.ClientSecret);
            }
            var (status, body) = oauth.Token(BaseUrl(context), values);
            context.Response.StatusCode = status;
            context.Response.ContentType = ApiResponse.JsonContentType;
            context.Response.Headers.CacheControl = "no-cache,must-revalidate,max-age=0,no-store,private";
            await context.Response.WriteAsync(body.ToJsonString(ApiResponse.JsonOptions), context.RequestAborted).ConfigureAwait(false);
        });
        app.MapPost("/services/oauth2/revoke", async (HttpContext context) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
            string? token = form?["token"].ToString() is { Length: > 0 } fromForm ? fromForm : context.Request.Query["token"].ToString();
            org.Sessions.Revoke(token ?? "");
            context.Response.StatusCode = 200;
        });
        app.MapGet("/services/oauth2/userinfo", async (HttpContext context) =>
        {
            var session = org.Sessions.Validate(BearerToken(context) ?? QueryToken(context));
            if (session is null)
            {
                await BadOAuthToken(context).ConfigureAwait(false);
                return;
            }
            var user = org.FindUser(session.User.Username)!;
            var body = Identity(context, org, user);
            // OpenID Connect UserInfo claims, as Salesforce answers them (plus its identity fields).
            var userInfo = new JsonObject
            {
                ["sub"] = body["id"]!.GetValue<string>(),
                ["user_id"] = user.Id,
                ["organization_id"] = org.Store.OrganizationId,
                ["preferred_username"] = user.Username,
                ["nickname"] = body["nick_name"]!.GetValue<string>(),
                ["name"] = user.FullName,
                ["email"] = user.Username,
                ["email_verified"] = true,
                ["given_name"] = user.FullName.Split(' ')[0],
                ["family_name"] = user.FullName.Split(' ')[^1],
                ["zoneinfo"] = "America/Los_Angeles",
                ["profile"] = BaseUrl(context) + "/" + user.Id,
                ["address"] = new JsonObject(),
                ["urls"] = body["urls"]!.DeepClone(),
                ["active"] = true,
                ["user_type"] = "STANDARD",
                ["language"] = "en_US",
                ["locale"] = "en_US",
                ["utcOffset"] = -28800000,
                ["updated_at"] = body["last_modified_date"]!.GetValue<string>(),
            };
            context.Response.ContentType = ApiResponse.JsonContentType;
            await context.Response.WriteAsync(userInfo.ToJsonString(ApiResponse.JsonOptions), context.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/id/{orgId}/{userId}", async (HttpContext context, string orgId, string userId) =>
        {
            var session = org.Sessions.Validate(BearerToken(context) ?? QueryToken(context));
            if (session is null)
            {
                await BadOAuthToken(context).ConfigureAwait(false);
                return;
            }
            var user = org.FindUser(session.User.Username)!;
            if (!SameId(orgId, org.Store.OrganizationId) || !SameId(userId, user.Id))
            {
                // Salesforce answers 403 Bad_Id when the ids are not the token's org and user.
                context.Response.StatusCode = 403;
                context.Response.ContentType = "text/plain;charset=UTF-8";
                await context.Response.WriteAsync("Bad_Id", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            var body = Identity(context, org, user);
            context.Response.ContentType = ApiResponse.JsonContentType;
            await context.Response.WriteAsync(body.ToJsonString(ApiResponse.JsonOptions), context.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>The identity service answer for a user (<c>GET /id/{orgId}/{userId}</c>); <c>?version=</c> fills <c>{version}</c> in urls.</summary>
    private static JsonObject Identity(HttpContext context, SalesforceOrg org, EmulatorUser user)
    {
        string b = BaseUrl(context);
        string version = context.Request.Query["version"].ToString() is { Length: > 0 } v && SalesforceOrg.IsSupportedVersion(v.TrimStart('v')) ? v.TrimStart('v') : "{version}";
        return new JsonObject
            {
                ["id"] = $"{b}/id/{org.Store.OrganizationId}/{user.Id}",
                ["asserted_user"] = true,
                ["user_id"] = user.Id,
                ["organization_id"] = org.Store.OrganizationId,
                ["username"] = user.Username,
                ["nick_name"] = user.Username.Split('@')[0],
                ["display_name"] = user.FullName,
                ["email"] = user.Username,
                ["email_verified"] = true,
                ["active"] = true,
                ["user_type"] = "STANDARD",
                ["language"] = "en_US",
                ["locale"] = "en_US",
                ["utcOffset"] = -28800000,
                ["urls"] = new JsonObject
                {
                    ["enterprise"] = b + $"/services/Soap/c/{version}/" + org.Store.OrganizationId[..15],
                    ["partner"] = b + $"/services/Soap/u/{version}/" + org.Store.OrganizationId[..15],
                    ["rest"] = b + $"/services/data/v{version}/",
                    ["sobjects"] = b + $"/services/data/v{version}/sobjects/",
                    ["query"] = b + $"/services/data/v{version}/query/",
                    ["limits"] = b + $"/services/data/v{version}/limits/",
                    ["composite"] = b + $"/services/data/v{version}/composite/",
                },
                ["is_app_installed"] = true,
                ["last_modified_date"] = SalesforceFormat.DateTime(org.Store.OrgCreated),
            };
    }

    private static bool SameId(string given, string actual) =>
        given.Length == 15 ? actual.StartsWith(given, StringComparison.Ordinal) : string.Equals(given, actual, StringComparison.Ordinal);

    private static async Task BadOAuthToken(HttpContext context)
    {
        context.Response.StatusCode = 403;
        context.Response.ContentType = "text/plain;charset=UTF-8";
        await context.Response.WriteAsync("Bad_OAuth_Token", context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The identity URL and userinfo also accept the token as <c>?oauth_token=</c>.</summary>
    private static string? QueryToken(HttpContext context) =>
        context.Request.Query["oauth_token"].ToString() is { Length: > 0 } token ? token : null;

    private static ApiResponse MethodNotAllowed(string method, string allowed)
    {
        var response = ApiResponse.Error(405, "METHOD_NOT_ALLOWED", $"HTTP Method '{method}' not allowed. Allowed are {allowed}");
        response.Headers["Allow"] = allowed;
        return response;
    }

    /// <summary><c>Authorization: Basic base64(urlencode(client_id):urlencode(client_secret))</c>, or null.</summary>
    private static (string ClientId, string ClientSecret)? BasicClientCredentials(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return null;
        }
        static string Unescape(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
        return (Unescape(decoded[..colon]), Unescape(decoded[(colon + 1)..]));
    }

    internal static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";

    private static string? BearerToken(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (header is null)
        {
            return null;
        }
        foreach (var scheme in new[] { "Bearer ", "OAuth " })
        {
            if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return header[scheme.Length..].Trim();
            }
        }
        return null;
    }

    private static async Task HandleRest(HttpContext context, SalesforceRestApi api, SalesforceOrg org, string version, string rest)
    {
        if (!SalesforceOrg.IsSupportedVersion(version))
        {
            await WriteApi(context, ApiResponse.NotFound(), org).ConfigureAwait(false);
            return;
        }
        var session = org.Sessions.Validate(BearerToken(context));
        if (session is null)
        {
            await WriteApi(context, ApiResponse.Error(401, "INVALID_SESSION_ID", "Session expired or invalid"), org).ConfigureAwait(false);
            return;
        }
        if (!org.Usage.TryConsume())
        {
            await WriteApi(context, ApiResponse.Error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), org).ConfigureAwait(false);
            return;
        }
        JsonNode? body = null;
        string? bodyError = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            string text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(text))
            {
                try
                {
                    body = JsonNode.Parse(text);
                }
                catch (JsonException ex)
                {
                    bodyError = $"Unexpected character in JSON body at [line:{(ex.LineNumber ?? 0) + 1}, column:{(ex.BytePositionInLine ?? 0) + 1}]";
                }
            }
        }
        var request = new ApiRequest
        {
            Method = context.Request.Method.ToUpperInvariant() == "HEAD" ? "GET" : context.Request.Method.ToUpperInvariant(),
            Version = version,
            Segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToList(),
            Query = context.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Header = name => context.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null,
            Body = body,
            BodyError = bodyError,
            Session = session,
            Path = context.Request.Path.Value ?? "",
            BaseUrl = BaseUrl(context),
        };
        ApiResponse response;
        try
        {
            response = api.Dispatch(request);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("JsonValue", StringComparison.Ordinal) || ex.Message.Contains("JsonElement", StringComparison.Ordinal))
        {
            response = ApiResponse.Error(400, "JSON_PARSER_ERROR", "Unexpected value type in the JSON body: " + ex.Message);
        }
        catch (FormatException ex)
        {
            response = ApiResponse.Error(400, "JSON_PARSER_ERROR", ex.Message);
        }
        await WriteApi(context, response, org).ConfigureAwait(false);
    }

    private static async Task HandleSoap(HttpContext context, SoapEndpoint soap, string kind, string version)
    {
        XDocument document;
        try
        {
            document = await XDocument.LoadAsync(context.Request.Body, LoadOptions.None, context.RequestAborted).ConfigureAwait(false);
        }
        catch (XmlException)
        {
            context.Response.StatusCode = 500;
            context.Response.ContentType = "text/xml; charset=utf-8";
            await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>Unable to parse the request</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        var result = soap.Handle(BaseUrl(context), kind is "c" ? "c" : "u", version, document, BearerToken(context));
        context.Response.StatusCode = result.Status;
        context.Response.ContentType = "text/xml; charset=utf-8";
        await context.Response.WriteAsync(result.Xml, context.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task WriteApi(HttpContext context, ApiResponse response, SalesforceOrg org)
    {
        var http = context.Response;
        http.StatusCode = response.Status;
        http.Headers["Sforce-Limit-Info"] = $"api-usage={org.Usage.Used}/{org.Usage.DailyLimit}";
        foreach (var (key, value) in response.Headers)
        {
            http.Headers[key] = value;
        }
        if (response.Status == 204)
        {
            return;
        }
        if (response.Stream is not null)
        {
            http.ContentType = response.ContentType;
            await response.Stream(http.Body, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        byte[] bytes = response.Bytes ?? (response.Json is null ? [] : Encoding.UTF8.GetBytes(response.Json.ToJsonString(ApiResponse.JsonOptions)));
        if (bytes.Length > 0 || response.Json is not null)
        {
            http.ContentType = response.ContentType;
            http.ContentLength = bytes.Length;
            await http.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
