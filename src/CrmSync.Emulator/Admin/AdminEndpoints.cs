using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Rest;
using CrmSync.Emulator.Salesforce.Seeding;

namespace CrmSync.Emulator.Admin;

/// <summary>
/// The /_emulator admin API (only with --admin): fault injection, session expiry, API limits, the clock, bulk job
/// pacing, CRM-side data changes (as the CRM admin user), schema changes and seeding. Documented in the README.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(WebApplication app, SalesforceOrg org, EmulatorClock clock, EmulatorData data)
    {
        var admin = app.MapGroup("/_emulator");
        admin.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (EmulatorWriteException ex)
            {
                return Results.Json(new { errors = ex.Errors.Select(e => new { statusCode = e.StatusCode, message = e.Message, fields = e.Fields }) }, statusCode: 400);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException or JsonException)
            {
                return Results.Json(new { error = ex.Message }, statusCode: 400);
            }
        });

        admin.MapGet("/info", (HttpContext context) => Results.Json(new
        {
            baseUrl = SalesforceEndpoints.BaseUrl(context),
            organizationId = org.Store.OrganizationId,
            syncUser = new { id = org.SyncUser.Id, username = org.SyncUser.Username },
            restrictedUser = new { id = org.RestrictedUser.Id, username = org.RestrictedUser.Username },
            adminUser = new { id = org.AdminUser.Id, username = org.AdminUser.Username },
            now = SalesforceFormat.DateTime(SalesforceFormat.TruncateToMilliseconds(clock.GetUtcNow())),
            apiUsage = new { used = org.Usage.Used, max = org.Usage.DailyLimit },
            counts = org.Store.Definitions.ToDictionary(d => d.Name, d => org.Store.Count(d)),
        }));

        admin.MapPost("/faults", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var rule = ParseRule(body);
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

        admin.MapPost("/sessions/expire", () => Results.Json(new { expired = org.Sessions.ExpireAll() }));

        admin.MapPut("/limits", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            if (Int(body, "dailyApiLimit") is { } limit)
            {
                org.Usage.DailyLimit = limit;
            }
            if (Int(body, "used") is { } used)
            {
                org.Usage.SetUsed(used);
            }
            return Results.Json(new { used = org.Usage.Used, max = org.Usage.DailyLimit });
        });

        admin.MapPost("/clock/advance", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var by = body["by"]?.GetValue<string>() is { } text ? TimeSpan.Parse(text, CultureInfo.InvariantCulture)
                : TimeSpan.FromSeconds(body["seconds"]?.GetValue<double>() ?? 0);
            clock.Advance(by);
            return Results.Json(new { now = SalesforceFormat.DateTime(SalesforceFormat.TruncateToMilliseconds(clock.GetUtcNow())) });
        });

        admin.MapPut("/bulk", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            if (Int(body, "pollsToComplete") is { } polls)
            {
                org.BulkJobs.PollsToComplete = polls;
            }
            if (body["completionDelaySeconds"]?.GetValue<double>() is { } seconds)
            {
                org.BulkJobs.CompletionDelay = TimeSpan.FromSeconds(seconds);
            }
            return Results.Json(new { pollsToComplete = org.BulkJobs.PollsToComplete, completionDelaySeconds = org.BulkJobs.CompletionDelay.TotalSeconds });
        });

        admin.MapPost("/records/{sobject}", async (HttpContext context, string sobject) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            return Results.Json(new { id = data.Insert(sobject, JsonValues.ToInput(body)) }, statusCode: 201);
        });
        admin.MapGet("/records/{sobject}/{id}", (string sobject, string id) =>
        {
            var record = data.Get(sobject, id);
            return record is null ? Results.NotFound() : Results.Text(ToJson(record).ToJsonString(), "application/json");
        });
        admin.MapPatch("/records/{sobject}/{id}", async (HttpContext context, string sobject, string id) =>
        {
            data.Update(sobject, id, JsonValues.ToInput(await Body(context).ConfigureAwait(false)));
            return Results.NoContent();
        });
        admin.MapDelete("/records/{sobject}/{id}", (string sobject, string id) =>
        {
            data.Delete(sobject, id);
            return Results.NoContent();
        });
        admin.MapPost("/convert", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var request = new LeadConvertRequest
            {
                LeadId = body["leadId"]?.GetValue<string>() ?? throw new ArgumentException("leadId is required."),
                ConvertedStatus = body["convertedStatus"]?.GetValue<string>() ?? "Closed - Converted",
                AccountId = body["accountId"]?.GetValue<string>(),
                ContactId = body["contactId"]?.GetValue<string>(),
                DoNotCreateOpportunity = body["doNotCreateOpportunity"]?.GetValue<bool>() ?? false,
                OpportunityName = body["opportunityName"]?.GetValue<string>(),
            };
            var result = data.ConvertLead(request);
            return Results.Json(new { leadId = result.LeadId, accountId = result.AccountId, contactId = result.ContactId, opportunityId = result.OpportunityId });
        });
        admin.MapPost("/merge", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var result = data.Merge(
                body["sobject"]?.GetValue<string>() ?? throw new ArgumentException("sobject is required."),
                body["masterId"]?.GetValue<string>() ?? throw new ArgumentException("masterId is required."),
                (body["mergeIds"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToArray() ?? throw new ArgumentException("mergeIds is required."));
            return Results.Json(new { id = result.Id, mergedRecordIds = result.MergedRecordIds, updatedRelatedIds = result.UpdatedRelatedIds });
        });
        admin.MapPost("/schema/{sobject}/fields", async (HttpContext context, string sobject) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            data.AddField(sobject,
                body["name"]?.GetValue<string>() ?? throw new ArgumentException("name is required."),
                body["type"]?.GetValue<string>() ?? "string",
                body["label"]?.GetValue<string>(),
                Int(body, "length"),
                body["externalId"]?.GetValue<bool>() ?? false,
                body["unique"]?.GetValue<bool>() ?? false);
            return Results.StatusCode(201);
        });
        admin.MapDelete("/schema/{sobject}/fields/{name}", (string sobject, string name) =>
        {
            data.RemoveField(sobject, name);
            return Results.NoContent();
        });
        admin.MapPatch("/schema/{sobject}/fields/{name}", async (HttpContext context, string sobject, string name) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            if (body["type"]?.GetValue<string>() is { } type)
            {
                data.ChangeFieldType(sobject, name, type, Int(body, "length"));
            }
            if (body["newName"]?.GetValue<string>() is { } newName)
            {
                data.RenameField(sobject, name, newName, body["label"]?.GetValue<string>());
            }
            return Results.NoContent();
        });
        admin.MapPost("/seed", async (HttpContext context) =>
        {
            var body = await Body(context).ConfigureAwait(false);
            var plan = new SeedPlan
            {
                Leads = Int(body, "lead") ?? 0, Contacts = Int(body, "contact") ?? 0, Accounts = Int(body, "account") ?? 0,
                Opportunities = Int(body, "opportunity") ?? 0, Campaigns = Int(body, "campaign") ?? 0, Members = Int(body, "member") ?? 0,
                Tasks = Int(body, "task") ?? 0, Events = Int(body, "event") ?? 0, Custom = Int(body, "custom") ?? 0,
            };
            var summary = data.Seed(plan, body["seedValue"]?.GetValue<string>() ?? "crmsync");
            return Results.Json(summary.Created);
        });
    }

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
            StatusCode = Int(body, "statusCode") ?? 503,
            RetryAfterSeconds = Int(body, "retryAfterSeconds"),
            Delay = TimeSpan.FromMilliseconds(Int(body, "delayMs") ?? 0),
            Count = Int(body, "count"),
            Probability = body["probability"]?.GetValue<double>() ?? 1.0,
            Seed = Int(body, "seed") ?? 1,
            PathContains = body["pathContains"]?.GetValue<string>(),
            Method = body["method"]?.GetValue<string>(),
            RecordIds = (body["recordIds"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList(),
            ErrorCode = body["errorCode"]?.GetValue<string>() ?? "UNABLE_TO_LOCK_ROW",
            Message = body["message"]?.GetValue<string>(),
        };
    }

    private static int? Int(JsonObject body, string name) => body[name] is JsonValue v ? v.GetValue<int>() : null;

    private static async Task<JsonObject> Body(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        string text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException("The body must be a JSON object.");
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, object?> record)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in record)
        {
            obj[key] = JsonValues.ToNode(value);
        }
        return obj;
    }
}
