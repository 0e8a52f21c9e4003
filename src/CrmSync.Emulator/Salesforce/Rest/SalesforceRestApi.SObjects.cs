using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Rest;

public sealed partial class SalesforceRestApi
{
    private ApiResponse SObjects(ApiRequest request)
    {
        var s = request.Segments;
        bool restricted = request.Session.User.Restricted;
        if (s.Count == 1)
        {
            if (request.Method != "GET")
            {
                return MethodNotAllowed(request);
            }
            return ApiResponse.Ok(new JsonObject
            {
                ["encoding"] = "UTF-8",
                ["maxBatchSize"] = 200,
                ["sobjects"] = new JsonArray(Store.Definitions.OrderBy(d => d.Name, StringComparer.Ordinal)
                    .Select(d => (JsonNode?)DescribeWriter.GlobalEntry(d, request.Version)).ToArray()),
            });
        }
        var sobject = Store.Definition(s[1]);
        if (sobject is null)
        {
            return ApiResponse.NotFound();
        }
        if (s.Count == 2)
        {
            return request.Method switch
            {
                "GET" => BasicInfo(request, sobject),
                "POST" => CreateOne(request, sobject),
                _ => MethodNotAllowed(request, "GET,POST"),
            };
        }
        if (s.Count == 3)
        {
            string third = s[2];
            if (request.Method != "GET" && third.ToLowerInvariant() is "describe" or "updated" or "deleted")
            {
                return MethodNotAllowed(request);
            }
            if (request.Method == "GET" && third.Equals("describe", StringComparison.OrdinalIgnoreCase))
            {
                return ApiResponse.Ok(DescribeWriter.Describe(Store, sobject, request.Version, restricted));
            }
            if (request.Method == "GET" && third.Equals("updated", StringComparison.OrdinalIgnoreCase))
            {
                return Updated(request, sobject);
            }
            if (request.Method == "GET" && third.Equals("deleted", StringComparison.OrdinalIgnoreCase))
            {
                return Deleted(request, sobject);
            }
            if (!SalesforceId.TryNormalize(third, out var id))
            {
                return ApiResponse.Error(400, "MALFORMED_ID", $"{sobject.Label} ID: id value of incorrect type: {third}");
            }
            if (Store.DefinitionForId(id) != sobject)
            {
                return ApiResponse.Error(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + third);
            }
            return request.Method switch
            {
                "GET" => GetOne(request, sobject, id),
                "PATCH" => UpdateOne(request, sobject, id),
                "DELETE" => DeleteOne(request, sobject, id),
                _ => MethodNotAllowed(request, "GET,PATCH,DELETE"),
            };
        }
        if (s.Count == 4)
        {
            return ByExternalId(request, sobject, s[2], s[3]);
        }
        return ApiResponse.NotFound();
    }

    private ApiResponse BasicInfo(ApiRequest request, SObjectDefinition sobject)
    {
        var recent = Store.Snapshot(sobject).AsEnumerable().Reverse().Where(r => !SalesforceStore.IsDeleted(sobject, r)).Take(10)
            .Select(r => Store.View(sobject, r))
            .Select(v => (JsonNode?)new JsonObject
            {
                ["attributes"] = new JsonObject { ["type"] = sobject.Name, ["url"] = $"/services/data/v{request.Version}/sobjects/{sobject.Name}/{v.Id}" },
                ["Id"] = v.Id,
                ["Name"] = JsonValues.ToNode(v.ValueOf("Name")),
            }).ToArray();
        return ApiResponse.Ok(new JsonObject
        {
            ["objectDescribe"] = DescribeWriter.GlobalEntry(sobject, request.Version),
            ["recentItems"] = new JsonArray(recent),
        });
    }

    private ApiResponse GetOne(ApiRequest request, SObjectDefinition sobject, string id)
    {
        var record = Store.Find(sobject, id);
        if (record is null)
        {
            return ApiResponse.NotFound();
        }
        if (SalesforceStore.IsDeleted(sobject, record))
        {
            return ApiResponse.Error(404, "ENTITY_IS_DELETED", "entity is deleted", []);
        }
        request.Query.TryGetValue("fields", out var fieldList);
        var fields = SelectFields(sobject, fieldList, request.Session.User.Restricted, out var unknown);
        if (fields is null)
        {
            return ApiResponse.Error(400, "INVALID_FIELD", $"No such column '{unknown}' on entity '{sobject.Name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.");
        }
        var view = Store.View(sobject, record);
        return ApiResponse.FromWriter(w => WriteRecord(w, view, request.Version, fields));
    }

    private static ApiResponse? RequireObjectBody(ApiRequest request, out JsonObject body)
    {
        body = request.Body as JsonObject ?? new JsonObject();
        if (request.Body is null && request.Method == "PATCH")
        {
            return null;
        }
        if (request.Body is not JsonObject)
        {
            return ApiResponse.Error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.");
        }
        return null;
    }

    private ApiResponse? InjectedRecordFault(ApiRequest request, string? id)
    {
        if (_org.Faults.ForRecord(request.Method, request.Path, id) is { } fault)
        {
            return ApiResponse.Error(400, fault.Code, fault.Message, []);
        }
        return null;
    }

    private ApiResponse CreateOne(ApiRequest request, SObjectDefinition sobject)
    {
        if (RequireObjectBody(request, out var body) is { } bad)
        {
            return bad;
        }
        if (InjectedRecordFault(request, null) is { } fault)
        {
            return fault;
        }
        var outcome = Store.Create(sobject, JsonValues.ToInput(body), request.WriteContext);
        if (!outcome.Success)
        {
            return ApiResponse.Errors(400, outcome.Errors);
        }
        return ApiResponse.Ok(new JsonObject { ["id"] = outcome.Id, ["success"] = true, ["errors"] = new JsonArray() }, 201);
    }

    private static int StatusFor(IReadOnlyList<SaveError> errors) =>
        errors.Any(e => e.StatusCode is "ENTITY_IS_DELETED" or "NOT_FOUND") ? 404 : 400;

    private ApiResponse UpdateOne(ApiRequest request, SObjectDefinition sobject, string id)
    {
        if (RequireObjectBody(request, out var body) is { } bad)
        {
            return bad;
        }
        if (Store.Find(sobject, id) is null)
        {
            return ApiResponse.NotFound();
        }
        if (InjectedRecordFault(request, id) is { } fault)
        {
            return fault;
        }
        var outcome = Store.Update(sobject, id, JsonValues.ToInput(body), request.WriteContext);
        return outcome.Success ? ApiResponse.NoContent() : ApiResponse.Errors(StatusFor(outcome.Errors), outcome.Errors);
    }

    private ApiResponse DeleteOne(ApiRequest request, SObjectDefinition sobject, string id)
    {
        if (Store.Find(sobject, id) is null)
        {
            return ApiResponse.NotFound();
        }
        if (InjectedRecordFault(request, id) is { } fault)
        {
            return fault;
        }
        var outcome = Store.Delete(sobject, id, request.WriteContext);
        return outcome.Success ? ApiResponse.NoContent() : ApiResponse.Errors(StatusFor(outcome.Errors), outcome.Errors);
    }

    private FieldDefinition? ExternalKeyField(SObjectDefinition sobject, string name, bool restricted)
    {
        var field = sobject.Field(name);
        if (field is null || !SalesforceStore.IsVisible(field, restricted) || !(field.ExternalId || field.Type == FieldType.Id))
        {
            return null;
        }
        return field;
    }

    private ApiResponse ByExternalId(ApiRequest request, SObjectDefinition sobject, string fieldName, string value)
    {
        var field = ExternalKeyField(sobject, fieldName, request.Session.User.Restricted);
        if (field is null)
        {
            return ApiResponse.Error(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + fieldName);
        }
        if (request.Method == "PATCH")
        {
            if (RequireObjectBody(request, out var body) is { } bad)
            {
                return bad;
            }
            var matchesBefore = field.Type == FieldType.Id ? [] : Store.FindByExternalId(sobject, field, value);
            if (InjectedRecordFault(request, matchesBefore.Count == 1 ? matchesBefore[0] : null) is { } fault)
            {
                return fault;
            }
            var outcome = Store.Upsert(sobject, field, value, JsonValues.ToInput(body), request.WriteContext);
            if (outcome.Matches is { } matches)
            {
                return ApiResponse.Ok(new JsonArray(matches.Select(m => (JsonNode?)JsonValue.Create($"/services/data/v{request.Version}/sobjects/{sobject.Name}/{m}")).ToArray()), 300);
            }
            if (!outcome.Success)
            {
                return ApiResponse.Errors(StatusFor(outcome.Errors), outcome.Errors);
            }
            if (outcome.Created == true)
            {
                return ApiResponse.Ok(new JsonObject { ["id"] = outcome.Id, ["success"] = true, ["errors"] = new JsonArray(), ["created"] = true }, 201);
            }
            return ApiVersionNumber(request) >= 46
                ? ApiResponse.Ok(new JsonObject { ["id"] = outcome.Id, ["success"] = true, ["errors"] = new JsonArray(), ["created"] = false }, 200)
                : ApiResponse.NoContent();
        }
        IReadOnlyList<string> ids;
        if (field.Type == FieldType.Id)
        {
            ids = SalesforceId.TryNormalize(value, out var id) && Store.Find(sobject, id) is { } r && !SalesforceStore.IsDeleted(sobject, r) ? [id] : [];
        }
        else
        {
            ids = Store.FindByExternalId(sobject, field, value);
        }
        if (ids.Count == 0)
        {
            return ApiResponse.NotFound();
        }
        if (ids.Count > 1)
        {
            return ApiResponse.Ok(new JsonArray(ids.Select(m => (JsonNode?)JsonValue.Create($"/services/data/v{request.Version}/sobjects/{sobject.Name}/{m}")).ToArray()), 300);
        }
        return request.Method switch
        {
            "GET" => GetOne(request, sobject, ids[0]),
            "DELETE" => DeleteOne(request, sobject, ids[0]),
            _ => MethodNotAllowed(request, "GET,PATCH,DELETE"),
        };
    }

    private static int ApiVersionNumber(ApiRequest request) =>
        int.TryParse(request.Version.Split('.')[0], out int v) ? v : SalesforceOrg.MaxApiVersion;

    // ---- replication: updated / deleted -------------------------------------------------------------------

    private bool TryWindow(ApiRequest request, out DateTime start, out DateTime end, out ApiResponse? error)
    {
        start = end = default;
        error = null;
        if (!request.Query.TryGetValue("start", out var startText))
        {
            error = ApiResponse.Error(400, "MISSING_ARGUMENT", "start parameter not specified");
            return false;
        }
        if (!request.Query.TryGetValue("end", out var endText))
        {
            error = ApiResponse.Error(400, "MISSING_ARGUMENT", "end parameter not specified");
            return false;
        }
        // A hand-built URL with an unencoded '+' offset (?start=2024-01-01T00:00:00+00:00) arrives with a space there.
        static string OffsetPlus(string text) => text.Trim().Replace(' ', '+');
        if (!SalesforceFormat.TryParseDateTime(OffsetPlus(startText), out start) || !SalesforceFormat.TryParseDateTime(OffsetPlus(endText), out end))
        {
            error = ApiResponse.Error(400, "INVALID_REPLICATION_DATE", "Invalid date format for start or end");
            return false;
        }
        start = SalesforceFormat.TruncateToMinute(start);
        end = SalesforceFormat.TruncateToMinute(end);
        if (end < start)
        {
            error = ApiResponse.Error(400, "INVALID_REPLICATION_DATE", "EndDate before StartDate");
            return false;
        }
        var now = SalesforceFormat.TruncateToMinute(_org.Clock.GetUtcNow().UtcDateTime);
        if (end > now)
        {
            end = now;
        }
        return true;
    }

    private ApiResponse Updated(ApiRequest request, SObjectDefinition sobject)
    {
        if (!TryWindow(request, out var start, out var end, out var error))
        {
            return error!;
        }
        if (start < _org.Clock.GetUtcNow().UtcDateTime.AddDays(-30))
        {
            return ApiResponse.Error(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago");
        }
        var stampField = sobject.Field("SystemModstamp")!;
        var ids = Store.Snapshot(sobject)
            .Where(r => !SalesforceStore.IsDeleted(sobject, r) && r.Get(stampField) is DateTime stamp && stamp >= start && stamp < end)
            .Select(r => r.Id)
            .ToList();
        if (ids.Count > 600000)
        {
            return ApiResponse.Error(400, "EXCEEDED_ID_LIMIT", "The number of ids exceeds 600000. Use a narrower time window.");
        }
        return ApiResponse.Ok(new JsonObject
        {
            ["ids"] = new JsonArray(ids.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
            ["latestDateCovered"] = SalesforceFormat.DateTime(end),
        });
    }

    private ApiResponse Deleted(ApiRequest request, SObjectDefinition sobject)
    {
        if (!TryWindow(request, out var start, out var end, out var error))
        {
            return error!;
        }
        var earliest = Store.EarliestDeleteLogDate;
        var entries = Store.DeletedBetween(sobject, start, end).Where(e => e.DeletedDate < end).ToList();
        if (entries.Count > 600000)
        {
            return ApiResponse.Error(400, "EXCEEDED_ID_LIMIT", "The number of ids exceeds 600000. Use a narrower time window.");
        }
        return ApiResponse.Ok(new JsonObject
        {
            ["deletedRecords"] = new JsonArray(entries.Select(e => (JsonNode?)new JsonObject
            {
                ["id"] = e.Id,
                ["deletedDate"] = SalesforceFormat.DateTime(e.DeletedDate),
            }).ToArray()),
            ["earliestDateAvailable"] = SalesforceFormat.DateTime(earliest),
            ["latestDateCovered"] = SalesforceFormat.DateTime(end),
        });
    }
}
