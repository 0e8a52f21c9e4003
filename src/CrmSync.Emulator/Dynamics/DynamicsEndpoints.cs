using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Web;
using CrmSync.Emulator.Faults;

namespace CrmSync.Emulator.Dynamics;

/// <summary>
/// Maps the Dataverse surface onto ASP.NET Core: the Entra ID endpoints (token, OpenID configuration, instance
/// discovery), the unauthenticated Organization.svc probe, and the Web API (<c>/api/data/v9.0</c>–<c>v9.2</c>) behind
/// bearer-token auth, fault injection and service protection limits.
/// </summary>
internal static class DynamicsEndpoints
{
    public static string OrgUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";

    private static string Challenge(DynamicsOrg org, string orgUrl) =>
        $"Bearer authorization_uri={orgUrl}/{org.Credentials.TenantId}/oauth2/authorize, resource_id={orgUrl}/";

    public static void Map(WebApplication app, DynamicsOrg org)
    {
        var api = new DataverseApi(org);
        var batch = new BatchProcessor(api, org.Store);

        // ---- Entra ID ------------------------------------------------------------------------------------------------
        app.MapPost("/{tenant}/oauth2/v2.0/token", async (HttpContext context, string tenant) =>
        {
            var form = await ReadForm(context).ConfigureAwait(false);
            var (status, body) = org.Tokens.Token(tenant, form, OrgUrl(context));
            await Json(context, status, body);
        });
        app.MapPost("/{tenant}/oauth2/token", async (HttpContext context, string tenant) =>
        {
            // v1 endpoint: resource=https://org/ instead of scope.
            var form = await ReadForm(context).ConfigureAwait(false);
            if (form.TryGetValue("resource", out var resource) && !form.ContainsKey("scope"))
            {
                form["scope"] = resource.TrimEnd('/') + "/.default";
            }
            var (status, body) = org.Tokens.Token(tenant, form, OrgUrl(context));
            await Json(context, status, body);
        });
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (HttpContext context, string tenant) =>
        {
            string b = OrgUrl(context);
            if (!org.Tokens.IsTenant(tenant))
            {
                return Json(context, 400, org.Tokens.ErrorBody(new Auth.EntraError(400, "invalid_tenant", 90002, $"Tenant '{tenant}' not found.")));
            }
            string tid = org.Credentials.TenantId;
            return Json(context, 200, new JsonObject
            {
                ["token_endpoint"] = $"{b}/{tenant}/oauth2/v2.0/token",
                ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
                ["jwks_uri"] = $"{b}/{tenant}/discovery/v2.0/keys",
                ["response_modes_supported"] = new JsonArray("query", "fragment", "form_post"),
                ["subject_types_supported"] = new JsonArray("pairwise"),
                ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token", "id_token token"),
                ["scopes_supported"] = new JsonArray("openid", "profile", "email", "offline_access"),
                ["issuer"] = $"{b}/{tid}/v2.0",
                ["request_uri_parameter_supported"] = false,
                ["userinfo_endpoint"] = $"{b}/oidc/userinfo",
                ["authorization_endpoint"] = $"{b}/{tenant}/oauth2/v2.0/authorize",
                ["device_authorization_endpoint"] = $"{b}/{tenant}/oauth2/v2.0/devicecode",
                ["http_logout_supported"] = true,
                ["frontchannel_logout_supported"] = true,
                ["end_session_endpoint"] = $"{b}/{tenant}/oauth2/v2.0/logout",
                ["claims_supported"] = new JsonArray("sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"),
                ["kerberos_endpoint"] = $"{b}/{tenant}/kerberos",
                ["tenant_region_scope"] = "NA",
                ["cloud_instance_name"] = "microsoftonline.com",
                ["cloud_graph_host_name"] = "graph.windows.net",
                ["msgraph_host"] = "graph.microsoft.com",
                ["rbac_url"] = "https://pas.windows.net",
            });
        });
        app.MapGet("/{tenant}/discovery/v2.0/keys", () => Results.Json(new { keys = Array.Empty<object>() }));
        app.MapGet("/common/discovery/instance", (HttpContext context) =>
        {
            string b = OrgUrl(context);
            string host = context.Request.Host.Value ?? "";
            return Json(context, 200, new JsonObject
            {
                ["tenant_discovery_endpoint"] = $"{b}/{org.Credentials.TenantId}/v2.0/.well-known/openid-configuration",
                ["api-version"] = "1.1",
                ["metadata"] = new JsonArray(new JsonObject
                {
                    ["preferred_network"] = host,
                    ["preferred_cache"] = host,
                    ["aliases"] = new JsonArray(host),
                }),
            });
        });

        // ---- unauthenticated authority probe (ServiceClient / CrmServiceClient) -----------------------------------------
        app.MapMethods("/XRMServices/2011/Organization.svc/{**rest}", ["GET", "POST"], (HttpContext context) =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = Challenge(org, OrgUrl(context));
            return Task.CompletedTask;
        });
        app.MapMethods("/XRMServices/2011/Organization.svc", ["GET", "POST"], (HttpContext context) =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = Challenge(org, OrgUrl(context));
            return Task.CompletedTask;
        });

        // ---- Web API -----------------------------------------------------------------------------------------------------
        string[] methods = ["GET", "POST", "PATCH", "PUT", "DELETE"];
        app.MapMethods("/api/data/{version}/{**rest}", methods, (HttpContext context, string version, string? rest) => HandleApi(context, org, api, batch, version, rest ?? ""));
        app.MapMethods("/api/data/{version}", methods, (HttpContext context, string version) => HandleApi(context, org, api, batch, version, ""));
    }

    private static async Task<Dictionary<string, string>> ReadForm(HttpContext context)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            foreach (var (k, v) in form)
            {
                values[k] = v.ToString();
            }
        }
        // client_secret_basic
        if (context.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..].Trim()));
                int colon = decoded.IndexOf(':');
                if (colon > 0)
                {
                    values.TryAdd("client_id", Uri.UnescapeDataString(decoded[..colon]));
                    values.TryAdd("client_secret", Uri.UnescapeDataString(decoded[(colon + 1)..]));
                }
            }
            catch (FormatException)
            {
                // ignored: Entra answers invalid_client below
            }
        }
        return values;
    }

    private static Task Json(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store, no-cache";
        return context.Response.WriteAsync(body.ToJsonString(DvResponse.Relaxed), context.RequestAborted);
    }

    private static async Task HandleApi(HttpContext context, DynamicsOrg org, DataverseApi api, BatchProcessor batch, string version, string rest)
    {
        string orgUrl = OrgUrl(context);
        var path = context.Request.Path.Value ?? "";
        // Infrastructure faults answer before authentication; latency is served as slow processing (in flight, and
        // charged to the caller's execution time).
        var latency = TimeSpan.Zero;
        foreach (var decision in org.Faults.ForRequest(context.Request.Method, path))
        {
            var rule = decision.Rule;
            switch (rule.Kind)
            {
                case FaultKind.Latency:
                    latency += rule.Delay;
                    break;
                case FaultKind.DropConnection:
                    context.Abort();
                    return;
                case FaultKind.RequestLimitExceeded:
                    await Write(context, DvResponse.From(new DataverseException(429, "0x80072322",
                        rule.Message ?? $"Number of requests exceeded the limit of {org.Settings.RequestLimit} over time window of {(int)org.Settings.Window.TotalSeconds} seconds.")
                    { RetryAfter = rule.RetryAfterSeconds ?? 5 }), null, org).ConfigureAwait(false);
                    return;
                case FaultKind.HttpStatus:
                    var (code, message) = rule.StatusCode switch
                    {
                        429 => ("0x80072322", $"Number of requests exceeded the limit of {org.Settings.RequestLimit} over time window of {(int)org.Settings.Window.TotalSeconds} seconds."),
                        503 => ("0x80040216", "The service is temporarily unavailable. Please try again later."),
                        502 => ("", "Bad Gateway"),
                        _ => ("0x80040216", "An unexpected error occurred."),
                    };
                    await Write(context, DvResponse.From(new DataverseException(rule.StatusCode, code, rule.Message ?? message) { RetryAfter = rule.RetryAfterSeconds }), null, org).ConfigureAwait(false);
                    return;
            }
        }
        string auth = context.Request.Headers.Authorization.ToString();
        var principal = auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? org.Tokens.Validate(auth[7..].Trim(), orgUrl) : null;
        if (principal is null)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = Challenge(org, orgUrl);
            return;
        }
        if (version is not ("v9.0" or "v9.1" or "v9.2"))
        {
            await Write(context, DvResponse.Error(404, "0x8006088a", $"Resource not found for the segment '{version}'."), principal.UserId, org).ConfigureAwait(false);
            return;
        }
        if (org.Protection.Enter(principal.UserId) is { } throttle)
        {
            await Write(context, DvResponse.From(new DataverseException(429, throttle.Code, throttle.Message) { RetryAfter = throttle.RetryAfterSeconds }), principal.UserId, org).ConfigureAwait(false);
            return;
        }
        Stopwatch? watch = Stopwatch.StartNew();
        try
        {
            if (latency > TimeSpan.Zero)
            {
                await Task.Delay(latency, context.RequestAborted).ConfigureAwait(false);
            }
            string? body = null;
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                using var reader = new StreamReader(context.Request.Body);
                body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            }
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var caller = principal.UserId;
            DvResponse? response = null;
            try
            {
                caller = Impersonated(org, headers) ?? principal.UserId;
            }
            catch (DataverseException ex)
            {
                response = DvResponse.From(ex);
            }
            if (response is not null)
            {
                // impersonation of an unknown user
            }
            else if (rest == "$batch")
            {
                if (!HttpMethods.IsPost(context.Request.Method))
                {
                    response = DvResponse.Error(405, "0x80060888", "The $batch resource only accepts POST.");
                }
                else
                {
                    try
                    {
                        var prefer = DataverseApi.ParsePrefer(headers.GetValueOrDefault("Prefer") ?? "");
                        var (status, contentType, text) = batch.Execute(context.Request.ContentType ?? "", body ?? "", caller, orgUrl, prefer, headers);
                        response = new DvResponse { Status = status, Body = text, ContentType = contentType };
                        if (prefer.ContinueOnError)
                        {
                            response.Headers["Preference-Applied"] = "odata.continue-on-error";
                        }
                    }
                    catch (DataverseException ex)
                    {
                        response = DvResponse.From(ex);
                    }
                }
            }
            else
            {
                response = api.Handle(new DvRequest
                {
                    Method = context.Request.Method,
                    Path = Uri.UnescapeDataString(rest),
                    Query = DataverseApi.ParseQuery(context.Request.QueryString.Value),
                    Headers = headers,
                    Body = body,
                    OrgUrl = orgUrl,
                    Caller = caller,
                });
            }
            org.Protection.Exit(principal.UserId, watch.Elapsed.TotalMilliseconds);
            watch = null;
            await Write(context, response, principal.UserId, org).ConfigureAwait(false);
        }
        finally
        {
            if (watch is not null)
            {
                org.Protection.Exit(principal.UserId, watch.Elapsed.TotalMilliseconds);
            }
        }
    }

    /// <summary>MSCRMCallerID (systemuserid) or CallerObjectId (Entra object id) impersonation.</summary>
    private static Guid? Impersonated(DynamicsOrg org, Dictionary<string, string> headers)
    {
        if (headers.TryGetValue("MSCRMCallerID", out var callerId) && Guid.TryParse(callerId, out var id))
        {
            return org.Store.Find("systemuser", id) is not null ? id
                : throw new DataverseException(404, "0x80040217", $"systemuser With Id = {id} Does Not Exist");
        }
        if (headers.TryGetValue("CallerObjectId", out var objectId) && Guid.TryParse(objectId, out var oid))
        {
            return org.Store.Snapshot("systemuser").FirstOrDefault(u => DynamicsOrg.ObjectIdOf(u.Id) == oid)?.Id
                ?? throw new DataverseException(404, "0x80040217", $"A user with the Entra object id {oid} does not exist in the organization.");
        }
        return null;
    }

    private static async Task Write(HttpContext context, DvResponse response, Guid? user, DynamicsOrg org)
    {
        var h = context.Response.Headers;
        h["OData-Version"] = "4.0";
        h["REQ_ID"] = Guid.NewGuid().ToString();
        h["x-ms-service-request-id"] = h["REQ_ID"];
        if (user is { } u)
        {
            var (requests, time) = org.Protection.Remaining(u);
            h["x-ms-ratelimit-burst-remaining-xrm-requests"] = requests.ToString(CultureInfo.InvariantCulture);
            // Real orgs report the remaining combined execution time in seconds with a grouping separator: "1,200.00".
            h["x-ms-ratelimit-time-remaining-xrm-requests"] = (time / 1000.0).ToString("N2", CultureInfo.InvariantCulture);
            h["x-ms-dop-hint"] = "4";
        }
        foreach (var (name, value) in response.Headers)
        {
            h[name] = value;
        }
        context.Response.StatusCode = response.Status;
        if (response.Body is not null && response.Status != 204 && response.Status != 304)
        {
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
