using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Schema;
using CrmSync.Emulator.Dynamics.Web;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Emulator.Dynamics;

/// <summary>
/// The Dynamics part of the admin API (only with --admin), under <c>/_emulator/dynamics</c>: CRM-side changes as another
/// user (records, QualifyLead, Merge, list members), schema edits (add, delete, rename a column; key index status),
/// settings (token lifetime, change-tracking retention, service protection limits), the clock, faults and seeding.
/// </summary>
internal static class DynamicsAdminEndpoints
{
    public static void Map(WebApplication app, DynamicsOrg org, EmulatorClock clock)
    {
        var admin = app.MapGroup("/_emulator/dynamics");
        admin.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (DataverseException ex)
            {
                return Results.Json(new { error = new { code = ex.Code, message = ex.Message } }, statusCode: ex.Status);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException or JsonException)
            {
                return Results.Json(new { error = ex.Message }, statusCode: 400);
            }
        });

        admin.MapGet("/info", (HttpContext context) => Results.Json(new
        {
            orgUrl = DynamicsEndpoints.OrgUrl(context),
            webApi = DynamicsEndpoints.OrgUrl(context) + "/api/data/v9.2/",
            organizationId = org.Store.OrganizationId,
            businessUnitId = org.BusinessUnitId,
            tenantId = org.Credentials.TenantId,
            tokenEndpoint = $"{DynamicsEndpoints.OrgUrl(context)}/{org.Credentials.TenantId}/oauth2/v2.0/token",
            clientId = org.Credentials.ClientId,
            syncUser = new { id = org.SyncUser.Id, upn = org.SyncUser.Upn },
            secondUser = new { id = org.SecondUser.Id, upn = org.SecondUser.Upn },
            applicationUser = new { id = org.ApplicationUser.Id, name = org.ApplicationUser.Upn },
            now = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            version = org.Store.CurrentVersion,
            counts = org.Store.Entities.ToDictionary(e => e.LogicalName, e => org.Store.Count(e.LogicalName)),
            settings = Settings(org.Settings),
        }));

        admin.MapPut("/settings", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var s = org.Settings;
            if (Dbl(body, "tokenLifetimeMinutes") is { } minutes)
            {
                s.TokenLifetime = TimeSpan.FromMinutes(minutes);
            }
            if (Int(body, "expireChangeTrackingInDays") is { } days)
            {
                s.ExpireChangeTrackingInDays = days is >= 0 and <= 365 ? days : throw new ArgumentException("expireChangeTrackingInDays is 0-365.");
            }
            if (Int(body, "requestLimit") is { } requests)
            {
                s.RequestLimit = requests;
            }
            if (Dbl(body, "executionTimeLimitMs") is { } ms)
            {
                s.ExecutionTimeLimitMs = (long)ms;
            }
            if (Int(body, "concurrencyLimit") is { } concurrency)
            {
                s.ConcurrencyLimit = concurrency;
            }
            if (Dbl(body, "windowSeconds") is { } window)
            {
                s.Window = TimeSpan.FromSeconds(window);
            }
            if (Dbl(body, "simulatedExecutionMs") is { } simulated)
            {
                s.SimulatedExecutionMs = simulated;
            }
            if (body["mfaRequired"] is JsonValue mfa)
            {
                s.MfaRequired = mfa.GetValue<bool>();
            }
            if (body["enforceApplicationRequired"] is JsonValue enforce)
            {
                s.EnforceApplicationRequired = enforce.GetValue<bool>();
            }
            if (body["readDenied"] is JsonArray denied)
            {
                var tables = denied.Select(t => Entity(org, t!.GetValue<string>()).LogicalName);
                s.ReadDeniedTables = new HashSet<string>(tables, StringComparer.OrdinalIgnoreCase);
            }
            return Results.Json(Settings(s));
        });
        admin.MapPost("/tokens/revoke", () => Results.Json(new { refreshTokensRevoked = org.Tokens.RevokeAll() }));
        admin.MapPost("/limits/reset", () =>
        {
            org.Protection.Reset();
            return Results.NoContent();
        });

        admin.MapPost("/clock/advance", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var by = body["by"]?.GetValue<string>() is { } text ? TimeSpan.Parse(text, CultureInfo.InvariantCulture)
                : TimeSpan.FromSeconds(Dbl(body, "seconds") ?? 0);
            clock.Advance(by);
            return Results.Json(new { now = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) });
        });

        admin.MapPost("/faults", async (HttpContext context) =>
        {
            var rule = ParseRule(await Body(context).ConfigureAwait(false));
            return Results.Json(new { id = org.Faults.Add(rule) }, statusCode: 201);
        });
        admin.MapGet("/faults", () => Results.Json(org.Faults.Rules.Select(r => new
        {
            id = r.Id, kind = r.Rule.Kind.ToString(), statusCode = r.Rule.StatusCode, count = r.Rule.Count, remaining = r.Remaining,
            probability = r.Rule.Probability, seed = r.Rule.Seed, pathContains = r.Rule.PathContains, method = r.Rule.Method,
            delayMs = (int)r.Rule.Delay.TotalMilliseconds, retryAfterSeconds = r.Rule.RetryAfterSeconds, recordIds = r.Rule.RecordIds,
            errorCode = r.Rule.ErrorCode, fired = r.Fired,
        })));
        admin.MapDelete("/faults", () =>
        {
            org.Faults.Clear();
            return Results.NoContent();
        });
        admin.MapDelete("/faults/{id}", (string id) => org.Faults.Remove(id) ? Results.NoContent() : Results.NotFound());

        admin.MapPost("/records/{entity}", async (HttpContext context, string entity) =>
        {
            var def = Entity(org, entity);
            var values = org.Writer.Parse(def, await Body(context).ConfigureAwait(false));
            var record = org.Writer.Create(def, values, org.ResolveUser(context.Request.Query["as"]), values.GetValueOrDefault(def.PrimaryIdAttribute) as Guid?);
            return Results.Json(new { id = record.Id }, statusCode: 201);
        });
        admin.MapGet("/records/{entity}/{id:guid}", (HttpContext context, string entity, Guid id) =>
        {
            var def = Entity(org, entity);
            var record = org.Store.Find(def.LogicalName, id);
            return record is null ? Results.NotFound() : Results.Text(RecordJson.Write(org.Store, def, record, null, _ => true).ToJsonString(), "application/json");
        });
        admin.MapPatch("/records/{entity}/{id:guid}", async (HttpContext context, string entity, Guid id) =>
        {
            var def = Entity(org, entity);
            org.Writer.Update(def, id, org.Writer.Parse(def, await Body(context).ConfigureAwait(false)), org.ResolveUser(context.Request.Query["as"]));
            return Results.NoContent();
        });
        admin.MapDelete("/records/{entity}/{id:guid}", (HttpContext context, string entity, Guid id) =>
        {
            org.Writer.Delete(Entity(org, entity), id, org.ResolveUser(context.Request.Query["as"]));
            return Results.NoContent();
        });
        admin.MapPost("/qualify", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var created = org.Writer.QualifyLead(
                Guid.Parse(body["leadId"]?.GetValue<string>() ?? throw new ArgumentException("leadId is required.")),
                body["createAccount"]?.GetValue<bool>() ?? false,
                body["createContact"]?.GetValue<bool>() ?? true,
                body["createOpportunity"]?.GetValue<bool>() ?? false,
                Int(body, "status") ?? 3,
                org.ResolveUser(body["as"]?.GetValue<string>()));
            return Results.Json(created.ToDictionary(c => c.Def.LogicalName + "id", c => c.Record.Id));
        });
        admin.MapPost("/merge", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var def = Entity(org, body["entity"]?.GetValue<string>() ?? throw new ArgumentException("entity is required."));
            var update = body["updateContent"] is JsonObject u ? org.Writer.Parse(def, u) : [];
            org.Writer.Merge(def,
                Guid.Parse(body["targetId"]?.GetValue<string>() ?? throw new ArgumentException("targetId is required.")),
                Guid.Parse(body["subordinateId"]?.GetValue<string>() ?? throw new ArgumentException("subordinateId is required.")),
                update, org.ResolveUser(body["as"]?.GetValue<string>()));
            return Results.NoContent();
        });
        admin.MapPost("/lists/{listId:guid}/members", async (HttpContext context, Guid listId) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var member = org.Writer.AddListMember(listId,
                new EntityRef(Guid.Parse(body["id"]?.GetValue<string>() ?? throw new ArgumentException("id is required.")),
                    body["entityType"]?.GetValue<string>() ?? throw new ArgumentException("entityType is required.")),
                org.ResolveUser(body["as"]?.GetValue<string>()));
            return Results.Json(new { listmemberid = member.Id }, statusCode: 201);
        });
        admin.MapDelete("/lists/{listId:guid}/members/{memberId:guid}", (HttpContext context, Guid listId, Guid memberId) =>
            org.Writer.RemoveListMember(listId, memberId, org.ResolveUser(context.Request.Query["as"])) ? Results.NoContent() : Results.NotFound());

        admin.MapPost("/schema/{entity}/attributes", async (HttpContext context, string entity) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            org.Store.AddAttribute(Entity(org, entity).LogicalName,
                body["name"]?.GetValue<string>() ?? throw new ArgumentException("name is required."),
                body["type"]?.GetValue<string>() ?? "String",
                body["label"]?.GetValue<string>(),
                Int(body, "maxLength"));
            return Results.StatusCode(201);
        });
        admin.MapDelete("/schema/{entity}/attributes/{name}", (string entity, string name) =>
        {
            org.Store.RemoveAttribute(Entity(org, entity).LogicalName, name);
            return Results.NoContent();
        });
        admin.MapPatch("/schema/{entity}/attributes/{name}", async (HttpContext context, string entity, string name) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            org.Store.RenameAttribute(Entity(org, entity).LogicalName, name,
                body["newName"]?.GetValue<string>() ?? throw new ArgumentException("newName is required."), body["label"]?.GetValue<string>());
            return Results.NoContent();
        });
        admin.MapPut("/schema/{entity}", async (HttpContext context, string entity) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            if (body["changeTrackingEnabled"] is not JsonValue tracking)
            {
                throw new ArgumentException("changeTrackingEnabled is required.");
            }
            org.Store.SetChangeTracking(Entity(org, entity).LogicalName, tracking.GetValue<bool>());
            return Results.NoContent();
        });
        admin.MapPut("/schema/{entity}/keys/{key}", async (HttpContext context, string entity, string key) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            org.Store.SetKeyStatus(Entity(org, entity).LogicalName, key, body["status"]?.GetValue<string>() ?? throw new ArgumentException("status is required."));
            return Results.NoContent();
        });
        admin.MapPost("/seed", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var plan = new DynamicsSeedPlan
            {
                Leads = Int(body, "lead") ?? 0, Contacts = Int(body, "contact") ?? 0, Accounts = Int(body, "account") ?? 0,
                Opportunities = Int(body, "opportunity") ?? 0, SystemUsers = Int(body, "systemuser") ?? 0, Lists = Int(body, "list") ?? 0,
                ListMembers = Int(body, "listmember") ?? 0, Custom = Int(body, "custom") ?? 0,
            };
            if (body.ContainsKey("filterYes") || body.ContainsKey("filterEmpty") || body.ContainsKey("filterNo"))
            {
                plan = plan with { SyncFilterYes = Int(body, "filterYes") ?? 0, SyncFilterEmpty = Int(body, "filterEmpty") ?? 0, SyncFilterNo = Int(body, "filterNo") ?? 0 };
            }
            return Results.Json(DynamicsSeeder.Seed(org, plan, body["seedValue"]?.GetValue<string>() ?? "crmsync-admin"));
        });
    }

    private static object Settings(DynamicsSettings s) => new
    {
        tokenLifetimeMinutes = s.TokenLifetime.TotalMinutes,
        expireChangeTrackingInDays = s.ExpireChangeTrackingInDays,
        requestLimit = s.RequestLimit,
        executionTimeLimitMs = s.ExecutionTimeLimitMs,
        concurrencyLimit = s.ConcurrencyLimit,
        windowSeconds = s.Window.TotalSeconds,
        simulatedExecutionMs = s.SimulatedExecutionMs,
        enforceApplicationRequired = s.EnforceApplicationRequired,
        mfaRequired = s.MfaRequired,
        readDenied = s.ReadDeniedTables.Order(StringComparer.Ordinal).ToArray(),
    };

    private static EntityDef Entity(DynamicsOrg org, string name) =>
        org.Store.Entity(name) ?? org.Store.EntityBySet(name) ?? throw new ArgumentException($"Unknown table '{name}'.");

    private static FaultRule ParseRule(JsonObject body)
    {
        string kindText = body["kind"]?.GetValue<string>() ?? throw new ArgumentException("kind is required.");
        if (!Enum.TryParse<FaultKind>(kindText, ignoreCase: true, out var kind))
        {
            throw new ArgumentException($"Unknown fault kind '{kindText}'. Use one of: {string.Join(", ", Enum.GetNames<FaultKind>())}.");
        }
        return new FaultRule
        {
            Kind = kind,
            StatusCode = Int(body, "statusCode") ?? (kind == FaultKind.RecordError ? 500 : 503),
            RetryAfterSeconds = Int(body, "retryAfterSeconds"),
            Delay = TimeSpan.FromMilliseconds(Int(body, "delayMs") ?? 0),
            Count = Int(body, "count"),
            Probability = Dbl(body, "probability") ?? 1.0,
            Seed = Int(body, "seed") ?? 1,
            PathContains = body["pathContains"]?.GetValue<string>(),
            Method = body["method"]?.GetValue<string>(),
            RecordIds = (body["recordIds"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList(),
            ErrorCode = body["errorCode"]?.GetValue<string>() ?? "0x80044150",
            Message = body["message"]?.GetValue<string>(),
        };
    }

    private static int? Int(JsonObject body, string name) => body[name] is JsonValue v ? v.GetValue<int>() : null;

    private static double? Dbl(JsonObject body, string name) => body[name] is JsonValue v ? v.GetValue<double>() : null;

    private static async Task<JsonObject> Body(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        string text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException("The body must be a JSON object.");
    }
}
