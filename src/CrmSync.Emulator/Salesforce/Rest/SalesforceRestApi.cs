using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;
using CrmSync.Emulator.Salesforce.Soql;

namespace CrmSync.Emulator.Salesforce.Rest;

/// <summary>
/// The Salesforce REST API below <c>/services/data/vNN.0/</c>: describe, sObject rows, upsert, updated/deleted,
/// query/queryAll with cursors, limits, composite, sObject collections and Bulk API 2.0 query jobs.
/// </summary>
public sealed partial class SalesforceRestApi
{
    private readonly SalesforceOrg _org;

    /// <summary>Creates the API over an org.</summary>
    public SalesforceRestApi(SalesforceOrg org) => _org = org;

    private SalesforceStore Store => _org.Store;

    /// <summary>Serves one call (already authenticated and counted).</summary>
    public ApiResponse Dispatch(ApiRequest request)
    {
        if (request.BodyError is not null)
        {
            return ApiResponse.Error(400, "JSON_PARSER_ERROR", request.BodyError);
        }
        var s = request.Segments;
        if (s.Count == 0)
        {
            return request.Method == "GET" ? Resources(request) : MethodNotAllowed(request);
        }
        switch (s[0].ToLowerInvariant())
        {
            case "sobjects":
                return SObjects(request);
            case "query":
            case "queryall":
                return request.Method == "GET" ? Query(request, includeDeleted: s[0].Equals("queryAll", StringComparison.OrdinalIgnoreCase)) : MethodNotAllowed(request);
            case "limits":
                return request.Method == "GET" ? Limits() : MethodNotAllowed(request);
            case "composite":
                return Composite(request);
            case "jobs":
                return s.Count >= 2 && s[1].Equals("query", StringComparison.OrdinalIgnoreCase) ? BulkQuery(request) : ApiResponse.NotFound();
            default:
                return ApiResponse.NotFound();
        }
    }

    /// <summary>405 as Salesforce words it, naming the methods the resource allows (comma-separated, e.g. <c>GET,PATCH,DELETE</c>).</summary>
    private static ApiResponse MethodNotAllowed(ApiRequest request, string allowed = "GET")
    {
        var response = ApiResponse.Error(405, "METHOD_NOT_ALLOWED", $"HTTP Method '{request.Method}' not allowed. Allowed are {allowed}");
        response.Headers["Allow"] = allowed;
        return response;
    }

    /// <summary>The resource map (<c>GET /services/data/vNN.0/</c>); restforce's <c>user_info</c> follows its <c>identity</c> URL.</summary>
    private ApiResponse Resources(ApiRequest request)
    {
        string b = $"/services/data/v{request.Version}";
        return ApiResponse.Ok(new JsonObject
        {
            ["identity"] = $"{request.BaseUrl}/id/{Store.OrganizationId}/{request.Session.User.Id}",
            ["sobjects"] = b + "/sobjects",
            ["query"] = b + "/query",
            ["queryAll"] = b + "/queryAll",
            ["limits"] = b + "/limits",
            ["composite"] = b + "/composite",
            ["jobs"] = b + "/jobs",
        });
    }

    /// <summary>The versions list for <c>GET /services/data/</c>.</summary>
    public static JsonArray Versions()
    {
        var list = new JsonArray();
        string[] seasons = ["Winter", "Spring", "Summer"];
        for (int v = SalesforceOrg.MinApiVersion; v <= SalesforceOrg.MaxApiVersion; v++)
        {
            int index = v - 20;
            int year = 11 + index / 3;
            list.Add(new JsonObject
            {
                ["label"] = $"{seasons[index % 3]} '{year:00}",
                ["url"] = $"/services/data/v{v}.0",
                ["version"] = $"{v}.0",
            });
        }
        return list;
    }

    // ---- limits -------------------------------------------------------------------------------------------

    private ApiResponse Limits()
    {
        static JsonObject Pair(int max, int remaining) => new() { ["Max"] = max, ["Remaining"] = remaining };
        int max = _org.Usage.DailyLimit;
        int used = _org.Usage.Used;
        var bulkRemaining = Math.Max(0, 10000 - _org.BulkJobs.JobsCreatedToday);
        return ApiResponse.Ok(new JsonObject
        {
            ["ConcurrentAsyncGetReportInstances"] = Pair(200, 200),
            ["ConcurrentSyncReportRuns"] = Pair(20, 20),
            ["DailyApiRequests"] = Pair(max, Math.Max(0, max - used)),
            ["DailyAsyncApexExecutions"] = Pair(250000, 250000),
            ["DailyBulkApiBatches"] = Pair(15000, 15000),
            ["DailyBulkApiRequests"] = Pair(10000, bulkRemaining),
            ["DailyBulkV2QueryFileStorageMB"] = Pair(976562, 976562),
            ["DailyBulkV2QueryJobs"] = Pair(10000, bulkRemaining),
            ["DailyDurableGenericStreamingApiEvents"] = Pair(10000, 10000),
            ["DailyDurableStreamingApiEvents"] = Pair(10000, 10000),
            ["DailyGenericStreamingApiEvents"] = Pair(10000, 10000),
            ["DailyStreamingApiEvents"] = Pair(10000, 10000),
            ["DailyWorkflowEmails"] = Pair(390, 390),
            ["DataStorageMB"] = Pair(5, 5),
            ["DurableStreamingApiConcurrentClients"] = Pair(20, 20),
            ["FileStorageMB"] = Pair(20, 20),
            ["HourlyAsyncReportRuns"] = Pair(1200, 1200),
            ["HourlyDashboardRefreshes"] = Pair(200, 200),
            ["HourlyDashboardResults"] = Pair(5000, 5000),
            ["HourlyDashboardStatuses"] = Pair(999999999, 999999999),
            ["HourlyODataCallout"] = Pair(10000, 10000),
            ["HourlySyncReportRuns"] = Pair(500, 500),
            ["HourlyTimeBasedWorkflow"] = Pair(50, 50),
            ["MassEmail"] = Pair(10, 10),
            ["SingleEmail"] = Pair(15, 15),
            ["StreamingApiConcurrentClients"] = Pair(20, 20),
        });
    }

    // ---- query --------------------------------------------------------------------------------------------

    private ApiResponse Query(ApiRequest request, bool includeDeleted)
    {
        int batchSize = BatchSize(request);
        if (request.Segments.Count >= 2)
        {
            // Next page: /query/{cursorId}-{offset}
            string locator = request.Segments[1];
            int dash = locator.LastIndexOf('-');
            if (dash <= 0 || !int.TryParse(locator[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int start)
                || _org.Queries.FindCursor(locator[..dash]) is not { } cursor || start > cursor.RecordCount)
            {
                return ApiResponse.Error(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
            }
            return Page(request, cursor, locator[..dash], start, batchSize);
        }
        if (!request.Query.TryGetValue("q", out var soql) || string.IsNullOrWhiteSpace(soql))
        {
            return ApiResponse.Error(400, "MALFORMED_QUERY", "SOQL statement cannot be empty");
        }
        try
        {
            var plan = _org.Queries.Compile(soql, request.Session.User.Restricted);
            var execution = _org.Queries.Execute(plan, includeDeleted, request.Version);
            return Page(request, execution, null, 0, batchSize);
        }
        catch (SoqlException ex)
        {
            return ApiResponse.Error(400, ex.ErrorCode, ex.Message);
        }
    }

    private static int BatchSize(ApiRequest request)
    {
        var header = request.Header("Sforce-Query-Options");
        if (header is null)
        {
            return 2000;
        }
        foreach (var part in header.Split(',', ';'))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length == 2 && kv[0].Equals("batchSize", StringComparison.OrdinalIgnoreCase) && int.TryParse(kv[1], out int size))
            {
                return Math.Clamp(size, 200, 2000);
            }
        }
        return 2000;
    }

    private ApiResponse Page(ApiRequest request, Querying.QueryExecution execution, string? cursorId, int start, int batchSize)
    {
        int end = Math.Min(execution.RecordCount, start + batchSize);
        bool done = end >= execution.RecordCount;
        if (!done)
        {
            cursorId ??= _org.Queries.OpenCursor(execution);
        }
        return ApiResponse.FromWriter(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("totalSize", execution.TotalSize);
            writer.WriteBoolean("done", done);
            if (!done)
            {
                writer.WriteString("nextRecordsUrl", $"/services/data/v{request.Version}/query/{cursorId}-{end}");
            }
            writer.WriteStartArray("records");
            for (int i = start; i < end; i++)
            {
                execution.RecordAt(i).WriteJson(writer, request.Version);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    // ---- records as JSON ----------------------------------------------------------------------------------

    private static void WriteRecord(Utf8JsonWriter writer, RecordView view, string version, IReadOnlyList<FieldDefinition> fields)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("attributes");
        writer.WriteString("type", view.SObject.Name);
        writer.WriteString("url", $"/services/data/v{version}/sobjects/{view.SObject.Name}/{view.Id}");
        writer.WriteEndObject();
        foreach (var field in fields)
        {
            writer.WritePropertyName(field.Name);
            JsonValues.Write(writer, view.ValueOf(field));
        }
        writer.WriteEndObject();
    }

    private static JsonObject RecordNode(RecordView view, string version, IReadOnlyList<FieldDefinition> fields)
    {
        var obj = new JsonObject
        {
            ["attributes"] = new JsonObject { ["type"] = view.SObject.Name, ["url"] = $"/services/data/v{version}/sobjects/{view.SObject.Name}/{view.Id}" },
        };
        foreach (var field in fields)
        {
            obj[field.Name] = JsonValues.ToNode(view.ValueOf(field));
        }
        return obj;
    }

    private static JsonObject SaveResult(string? id, IReadOnlyList<SaveError> errors, bool? created = null)
    {
        var obj = new JsonObject();
        if (id is not null)
        {
            obj["id"] = id;
        }
        obj["success"] = errors.Count == 0;
        obj["errors"] = new JsonArray(errors.Select(e => (JsonNode?)new JsonObject
        {
            ["statusCode"] = e.StatusCode,
            ["message"] = e.Message,
            ["fields"] = new JsonArray(e.Fields.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
        }).ToArray());
        if (created is not null)
        {
            obj["created"] = created.Value;
        }
        return obj;
    }

    /// <summary>Resolves the fields a caller asked for (?fields=), or every visible field.</summary>
    private static IReadOnlyList<FieldDefinition>? SelectFields(SObjectDefinition o, string? fieldList, bool restricted, out string? unknown)
    {
        unknown = null;
        var visible = o.FieldSet.Fields.Where(f => SalesforceStore.IsVisible(f, restricted)).ToList();
        if (string.IsNullOrWhiteSpace(fieldList))
        {
            return visible;
        }
        var chosen = new List<FieldDefinition>();
        foreach (var name in fieldList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var field = o.Field(name);
            if (field is null || !SalesforceStore.IsVisible(field, restricted))
            {
                unknown = name;
                return null;
            }
            chosen.Add(field);
        }
        return chosen;
    }
}
