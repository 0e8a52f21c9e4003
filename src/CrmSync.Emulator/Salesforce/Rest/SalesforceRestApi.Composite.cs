using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Rest;

public sealed partial class SalesforceRestApi
{
    /// <summary>Most records one sObject Collections call accepts.</summary>
    public const int MaxCollectionRecords = 200;

    /// <summary>Most subrequests one composite call accepts.</summary>
    public const int MaxCompositeSubrequests = 25;

    private static readonly SaveError RolledBack = new("ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header");

    private ApiResponse Composite(ApiRequest request)
    {
        var s = request.Segments;
        if (s.Count == 1)
        {
            return request.Method == "POST" ? CompositeBatch(request) : MethodNotAllowed(request, "POST");
        }
        if (s.Count == 2 && s[1].Equals("batch", StringComparison.OrdinalIgnoreCase))
        {
            return request.Method == "POST" ? BatchOfSubrequests(request) : MethodNotAllowed(request, "POST");
        }
        if (s[1].Equals("tree", StringComparison.OrdinalIgnoreCase))
        {
            if (s.Count != 3 || Store.Definition(s[2]) is not { } root)
            {
                return ApiResponse.NotFound();
            }
            return request.Method == "POST" ? SObjectTree(request, root) : MethodNotAllowed(request, "POST");
        }
        if (!s[1].Equals("sobjects", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResponse.NotFound();
        }
        if (s.Count == 2)
        {
            return request.Method switch
            {
                "POST" => CollectionSave(request, update: false),
                "PATCH" => CollectionSave(request, update: true),
                "DELETE" => CollectionDelete(request),
                _ => MethodNotAllowed(request, "POST,PATCH,DELETE"),
            };
        }
        var sobject = Store.Definition(s[2]);
        if (sobject is null)
        {
            return ApiResponse.NotFound();
        }
        if (s.Count == 3)
        {
            return request.Method is "GET" or "POST" ? CollectionRetrieve(request, sobject) : MethodNotAllowed(request, "GET,POST");
        }
        if (s.Count == 4 && request.Method == "PATCH")
        {
            return CollectionUpsert(request, sobject, s[3]);
        }
        return ApiResponse.NotFound();
    }

    private static bool AllOrNone(ApiRequest request, JsonObject? body)
    {
        if (body?["allOrNone"] is JsonValue v && v.TryGetValue<bool>(out var flag))
        {
            return flag;
        }
        return request.Query.TryGetValue("allOrNone", out var text) && bool.TryParse(text, out var q) && q;
    }

    private bool TryRecords(ApiRequest request, out JsonArray records, out ApiResponse? error)
    {
        records = [];
        error = null;
        if (request.Body is not JsonObject body || body["records"] is not JsonArray list)
        {
            error = ApiResponse.Error(400, "INVALID_FIELD", "Json Deserialization failed on token 'null' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the next row");
            return false;
        }
        if (list.Count > MaxCollectionRecords)
        {
            error = ApiResponse.Error(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
            return false;
        }
        records = list;
        return true;
    }

    /// <summary>Runs per-record writes; with allOrNone, undoes all of them when any fails.</summary>
    private JsonArray RunCollection(int count, bool allOrNone, Func<int, (string? Id, IReadOnlyList<SaveError> Errors, bool? Created)> write, Func<int, string?> knownId)
    {
        var outcomes = new (string? Id, IReadOnlyList<SaveError> Errors, bool? Created)[count];
        Store.RunAtomically(() =>
        {
            for (int i = 0; i < count; i++)
            {
                outcomes[i] = write(i);
            }
            bool failed = outcomes.Any(o => o.Errors.Count > 0);
            if (failed && allOrNone)
            {
                for (int i = 0; i < count; i++)
                {
                    if (outcomes[i].Errors.Count == 0)
                    {
                        outcomes[i] = (knownId(i), [RolledBack], null);
                    }
                }
                return false;
            }
            return true;
        });
        return new JsonArray(outcomes.Select(o => (JsonNode?)SaveResult(o.Id, o.Errors, o.Errors.Count == 0 ? o.Created : null)).ToArray());
    }

    private (string? Id, IReadOnlyList<SaveError> Errors, bool? Created) Fail(string? id, string code, string message) =>
        (id, [new SaveError(code, message)], null);

    /// <summary>
    /// The common part of the collection writes (create, update, upsert): reads the request's records, runs
    /// <paramref name="write"/> on each with its values (without "attributes") and its attributes.type, and answers with
    /// the save results; <paramref name="knownId"/> names the record a rolled-back write would have changed.
    /// </summary>
    private ApiResponse WriteRecords(ApiRequest request,
        Func<Dictionary<string, object?>, string?, (string? Id, IReadOnlyList<SaveError> Errors, bool? Created)> write, Func<JsonObject, string?> knownId)
    {
        if (!TryRecords(request, out var records, out var error))
        {
            return error!;
        }
        bool allOrNone = AllOrNone(request, request.Body as JsonObject);
        var results = RunCollection(records.Count, allOrNone, i =>
        {
            if (records[i] is not JsonObject record)
            {
                return Fail(null, "INVALID_FIELD", "Each record must be a JSON object");
            }
            var input = JsonValues.ToInput(record);
            string? typeName = (record["attributes"] as JsonObject)?["type"]?.GetValue<string>();
            input.Remove("attributes");
            return write(input, typeName);
        }, i => records[i] is JsonObject record ? knownId(record) : null);
        return ApiResponse.Ok(results);
    }

    private ApiResponse CollectionSave(ApiRequest request, bool update) =>
        WriteRecords(request, (input, typeName) =>
        {
            if (typeName is null || Store.Definition(typeName) is not { } sobject)
            {
                return Fail(null, "INVALID_TYPE", typeName is null ? "Must specify a type in attributes" : $"sObject type '{typeName}' is not supported.");
            }
            if (!update)
            {
                if (input.Keys.Any(k => k.Equals("Id", StringComparison.OrdinalIgnoreCase)))
                {
                    return Fail(null, "INVALID_FIELD", "cannot specify Id in an insert call");
                }
                if (_org.Faults.ForRecord(request.Method, request.Path, null) is { } fault)
                {
                    return Fail(null, fault.Code, fault.Message);
                }
                var created = Store.Create(sobject, input, request.WriteContext);
                return (created.Id, created.Errors, null);
            }
            var idKey = input.Keys.FirstOrDefault(k => k.Equals("Id", StringComparison.OrdinalIgnoreCase));
            string? rawId = idKey is null ? null : ValueCoercion.Unwrap(input[idKey]) as string;
            if (rawId is null)
            {
                return Fail(null, "MISSING_ARGUMENT", "Id not specified in an update call");
            }
            input.Remove(idKey!);
            if (!SalesforceId.TryNormalize(rawId, out var id))
            {
                return Fail(null, "MALFORMED_ID", "malformed id " + rawId);
            }
            if (Store.DefinitionForId(id) != sobject)
            {
                return Fail(id, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
            }
            if (_org.Faults.ForRecord(request.Method, request.Path, id) is { } lockFault)
            {
                return Fail(id, lockFault.Code, lockFault.Message);
            }
            var updated = Store.Update(sobject, id, input, request.WriteContext);
            return (id, updated.Errors, null);
        }, record => update ? IdOf(record) : null);

    private static string? IdOf(JsonObject record)
    {
        foreach (var (key, node) in record)
        {
            if (key.Equals("Id", StringComparison.OrdinalIgnoreCase) && node is JsonValue v && v.TryGetValue<string>(out var id)
                && SalesforceId.TryNormalize(id, out var normalized))
            {
                return normalized;
            }
        }
        return null;
    }

    private ApiResponse CollectionDelete(ApiRequest request)
    {
        request.Query.TryGetValue("ids", out var idList);
        var ids = (idList ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length == 0)
        {
            return new ApiResponse { Status = 400, Json = new JsonArray(new JsonObject { ["message"] = "At least 1 Id is required.", ["errorCode"] = "REQUIRED_FIELD_MISSING" }) };
        }
        if (ids.Length > MaxCollectionRecords)
        {
            return ApiResponse.Error(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
        }
        bool allOrNone = AllOrNone(request, null);
        var results = RunCollection(ids.Length, allOrNone, i =>
        {
            if (!SalesforceId.TryNormalize(ids[i], out var id) || Store.DefinitionForId(id) is not { } sobject)
            {
                return Fail(null, "MALFORMED_ID", "malformed id " + ids[i]);
            }
            if (_org.Faults.ForRecord(request.Method, request.Path, id) is { } fault)
            {
                return Fail(id, fault.Code, fault.Message);
            }
            var outcome = Store.Delete(sobject, id, request.WriteContext);
            return (id, outcome.Errors, null);
        }, i => SalesforceId.TryNormalize(ids[i], out var id) ? id : null);
        return ApiResponse.Ok(results);
    }

    private ApiResponse CollectionUpsert(ApiRequest request, SObjectDefinition sobject, string fieldName)
    {
        var field = ExternalKeyField(sobject, fieldName, request.Session.User.Restricted);
        if (field is null)
        {
            return ApiResponse.Error(400, "INVALID_FIELD", $"Field name provided, {fieldName} is not an External ID or indexed field for {sobject.Name}");
        }
        return WriteRecords(request, (input, typeName) =>
        {
            if (typeName is not null && !typeName.Equals(sobject.Name, StringComparison.OrdinalIgnoreCase))
            {
                return Fail(null, "INVALID_TYPE", $"The sObject type {typeName} does not match the type {sobject.Name} of this request");
            }
            var key = input.Keys.FirstOrDefault(k => k.Equals(field.Name, StringComparison.OrdinalIgnoreCase));
            var value = key is null ? null : ValueCoercion.Unwrap(input[key]);
            string? text = value switch { string str => str, decimal or long or double => SalesforceFormat.Number(value), _ => null };
            if (string.IsNullOrEmpty(text))
            {
                return Fail(null, "MISSING_ARGUMENT", $"{field.Name} not specified");
            }
            var existing = field.Type == FieldType.Id ? [] : Store.FindByExternalId(sobject, field, text);
            if (_org.Faults.ForRecord(request.Method, request.Path, existing.Count == 1 ? existing[0] : null) is { } fault)
            {
                return Fail(existing.Count == 1 ? existing[0] : null, fault.Code, fault.Message);
            }
            var outcome = Store.Upsert(sobject, field, text, input, request.WriteContext);
            if (outcome.Matches is { } matches)
            {
                return Fail(null, "DUPLICATE_EXTERNAL_ID", $"{field.Name}: more than one record found for external id field: [{string.Join(", ", matches)}]");
            }
            return (outcome.Id, outcome.Errors, outcome.Created);
        }, _ => null);
    }

    private ApiResponse CollectionRetrieve(ApiRequest request, SObjectDefinition sobject)
    {
        string[] ids;
        string? fieldList;
        if (request.Method == "POST")
        {
            var body = request.Body as JsonObject;
            ids = (body?["ids"] as JsonArray)?.Select(n => n?.GetValue<string>() ?? "").ToArray() ?? [];
            fieldList = (body?["fields"] as JsonArray) is { } arr ? string.Join(',', arr.Select(n => n?.GetValue<string>())) : null;
        }
        else
        {
            request.Query.TryGetValue("ids", out var idText);
            request.Query.TryGetValue("fields", out fieldList);
            ids = (idText ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        if (ids.Length == 0 || string.IsNullOrWhiteSpace(fieldList))
        {
            return ApiResponse.Error(400, "MISSING_ARGUMENT", ids.Length == 0 ? "At least 1 Id is required." : "fields parameter not specified");
        }
        if (ids.Length > 2000)
        {
            return ApiResponse.Error(400, "EXCEEDED_ID_LIMIT", "Number of ids exceeds the maximum of 2000");
        }
        var fields = SelectFields(sobject, fieldList, request.Session.User.Restricted, out var unknown);
        if (fields is null)
        {
            return ApiResponse.Error(400, "INVALID_FIELD", $"No such column '{unknown}' on entity '{sobject.Name}'.");
        }
        var list = new JsonArray();
        foreach (var raw in ids)
        {
            if (SalesforceId.TryNormalize(raw, out var id) && Store.Find(sobject, id) is { } record && !SalesforceStore.IsDeleted(sobject, record))
            {
                list.Add(RecordNode(Store.View(sobject, record), request.Version, fields));
            }
            else
            {
                list.Add(null);
            }
        }
        return ApiResponse.Ok(list);
    }

    // ---- composite ------------------------------------------------------------------------------------------

    private static readonly Regex ReferencePattern = new(@"@\{([A-Za-z0-9_]+)\.([^}]+)\}", RegexOptions.Compiled);

    private ApiResponse CompositeBatch(ApiRequest request)
    {
        if (request.Body is not JsonObject body || body["compositeRequest"] is not JsonArray subrequests)
        {
            return ApiResponse.Error(400, "JSON_PARSER_ERROR", "compositeRequest is required");
        }
        if (subrequests.Count > MaxCompositeSubrequests)
        {
            return ApiResponse.Error(400, "INVALID_BATCH_REQUEST", "Composite request must contain at most 25 subrequests");
        }
        bool allOrNone = AllOrNone(request, body);
        var responses = new JsonArray();
        var bodies = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        Store.RunAtomically(() =>
        {
            bool halted = false;
            foreach (var node in subrequests)
            {
                var sub = node as JsonObject;
                string referenceId = sub?["referenceId"]?.GetValue<string>() ?? "";
                if (halted)
                {
                    responses.Add(Halted(referenceId, "The transaction was rolled back since another operation in the same transaction failed."));
                    continue;
                }
                var response = RunSubrequest(request, sub, bodies, out var unresolved);
                if (unresolved is not null)
                {
                    responses.Add(Halted(referenceId, $"Invalid reference specified. No value for {unresolved} found in {referenceId}. Provided referenceId ensure that the reference exists."));
                    halted = allOrNone;
                    continue;
                }
                var result = response.BodyAsNode();
                bodies[referenceId] = result;
                var headers = new JsonObject();
                foreach (var (k, v) in response.Headers)
                {
                    headers[k] = v;
                }
                responses.Add(new JsonObject
                {
                    ["body"] = result,
                    ["httpHeaders"] = headers,
                    ["httpStatusCode"] = response.Status,
                    ["referenceId"] = referenceId,
                });
                if (response.Status >= 400 && allOrNone)
                {
                    halted = true;
                }
            }
            if (halted)
            {
                // Earlier successful subrequests are rolled back too.
                for (int i = 0; i < responses.Count; i++)
                {
                    if (responses[i] is JsonObject r && r["httpStatusCode"]?.GetValue<int>() is < 400)
                    {
                        responses[i] = Halted(r["referenceId"]?.GetValue<string>() ?? "", "The transaction was rolled back since another operation in the same transaction failed.");
                    }
                }
            }
            return !halted;
        });
        return ApiResponse.Ok(new JsonObject { ["compositeResponse"] = responses });
    }

    /// <summary>
    /// <c>POST /composite/batch</c>: up to 25 independent subrequests (<c>batchRequests[{method, url, richInput}]</c>, url relative
    /// to <c>/services/data</c>, e.g. <c>v59.0/sobjects/Lead/00Q…</c>); each runs on its own (no rollback), <c>haltOnError</c> stops
    /// the rest with 412 <c>BATCH_PROCESSING_HALTED</c>. Answers <c>{hasErrors, results[{statusCode, result}]}</c>.
    /// </summary>
    private ApiResponse BatchOfSubrequests(ApiRequest request)
    {
        if (request.Body is not JsonObject body || body["batchRequests"] is not JsonArray subrequests)
        {
            return ApiResponse.Error(400, "JSON_PARSER_ERROR", "batchRequests is required");
        }
        if (subrequests.Count > MaxCompositeSubrequests)
        {
            return ApiResponse.Error(400, "INVALID_BATCH_REQUEST", "A batch request must contain at most 25 subrequests");
        }
        bool haltOnError = body["haltOnError"] is JsonValue h && h.TryGetValue<bool>(out var halt) && halt;
        var results = new JsonArray();
        bool hasErrors = false;
        bool halted = false;
        foreach (var node in subrequests)
        {
            if (halted)
            {
                results.Add(new JsonObject
                {
                    ["result"] = new JsonArray(new JsonObject { ["errorCode"] = "BATCH_PROCESSING_HALTED", ["message"] = "Batch processing halted per request" }),
                    ["statusCode"] = 412,
                });
                continue;
            }
            var item = node as JsonObject;
            string? url = item?["url"] is JsonValue u && u.TryGetValue<string>(out var text) ? text : null;
            var sub = new JsonObject
            {
                ["method"] = item?["method"]?.DeepClone(),
                ["url"] = url is null ? null : BatchUrl(url),
            };
            if (item?["richInput"] is { } richInput)
            {
                sub["body"] = richInput.DeepClone();
            }
            var response = RunSubrequest(request, sub, new Dictionary<string, JsonNode?>(StringComparer.Ordinal), out var unresolved);
            if (unresolved is not null)
            {
                response = ApiResponse.Error(400, "INVALID_BATCH_REQUEST", $"Invalid reference {unresolved}: references are not supported in a batch request");
            }
            results.Add(new JsonObject { ["result"] = response.BodyAsNode(), ["statusCode"] = response.Status });
            if (response.Status >= 400)
            {
                hasErrors = true;
                halted = haltOnError;
            }
        }
        return ApiResponse.Ok(new JsonObject { ["hasErrors"] = hasErrors, ["results"] = results });
    }

    /// <summary>A batch subrequest url (<c>v59.0/sobjects/…</c>, <c>/v59.0/…</c> or <c>/services/data/v59.0/…</c>) as an instance path.</summary>
    private static string BatchUrl(string url)
    {
        string trimmed = url.TrimStart('/');
        return trimmed.StartsWith("services/data/", StringComparison.OrdinalIgnoreCase) ? "/" + trimmed : "/services/data/" + trimmed;
    }

    private static JsonObject Halted(string referenceId, string message) => new()
    {
        ["body"] = new JsonArray(new JsonObject { ["errorCode"] = "PROCESSING_HALTED", ["message"] = message }),
        ["httpHeaders"] = new JsonObject(),
        ["httpStatusCode"] = 400,
        ["referenceId"] = referenceId,
    };

    private ApiResponse RunSubrequest(ApiRequest parent, JsonObject? sub, Dictionary<string, JsonNode?> bodies, out string? unresolved)
    {
        unresolved = null;
        string method = sub?["method"]?.GetValue<string>()?.ToUpperInvariant() ?? "";
        string? url = sub?["url"]?.GetValue<string>();
        if (url is null || method.Length == 0)
        {
            return ApiResponse.Error(400, "INVALID_BATCH_REQUEST", "Each subrequest needs a method and a url");
        }
        string? missing = null;
        string Resolve(string text, bool encode) => ReferencePattern.Replace(text, m =>
        {
            var value = Reference(bodies, m.Groups[1].Value, m.Groups[2].Value);
            if (value is null)
            {
                missing ??= m.Value;
                return m.Value;
            }
            return encode ? Uri.EscapeDataString(value) : JsonEncodedText.Encode(value).ToString();
        });
        url = Resolve(url, encode: false);
        JsonNode? subBody = null;
        if (sub!["body"] is { } rawBody)
        {
            subBody = JsonNode.Parse(Resolve(rawBody.ToJsonString(), encode: false));
        }
        if (missing is not null)
        {
            unresolved = missing;
            return ApiResponse.NotFound();
        }
        string pathPart = url;
        string queryPart = "";
        int q = url.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            pathPart = url[..q];
            queryPart = url[(q + 1)..];
        }
        var segments = pathPart.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToList();
        if (segments.Count < 3 || segments[0] != "services" || segments[1] != "data" || !segments[2].StartsWith('v') || !SalesforceOrg.IsSupportedVersion(segments[2][1..]))
        {
            return ApiResponse.NotFound();
        }
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in queryPart.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            query[Uri.UnescapeDataString(kv[0].Replace('+', ' '))] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : "";
        }
        var subHeaders = sub["httpHeaders"] as JsonObject;
        var request = new ApiRequest
        {
            Method = method,
            Version = segments[2][1..],
            Segments = segments.Skip(3).ToList(),
            Query = query,
            Header = name => subHeaders?[name]?.GetValue<string>() ?? parent.Header(name),
            Body = subBody,
            Session = parent.Session,
            Path = pathPart,
            BaseUrl = parent.BaseUrl,
        };
        if (request.Segments.Count > 0 && request.Segments[0].Equals("composite", StringComparison.OrdinalIgnoreCase)
            && (request.Segments.Count == 1 || request.Segments[1].Equals("batch", StringComparison.OrdinalIgnoreCase)))
        {
            return ApiResponse.Error(400, "INVALID_BATCH_REQUEST", "Composite requests cannot be nested");
        }
        return Dispatch(request);
    }

    private static string? Reference(Dictionary<string, JsonNode?> bodies, string referenceId, string path)
    {
        if (!bodies.TryGetValue(referenceId, out var node))
        {
            return null;
        }
        foreach (Match part in Regex.Matches(path, @"([A-Za-z0-9_]+)|\[(\d+)\]"))
        {
            if (part.Groups[2].Success)
            {
                node = node is JsonArray array && int.Parse(part.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) is var index && index < array.Count ? array[index] : null;
            }
            else
            {
                node = node is JsonObject obj ? obj.FirstOrDefault(p => p.Key.Equals(part.Groups[1].Value, StringComparison.OrdinalIgnoreCase)).Value : null;
            }
            if (node is null)
            {
                return null;
            }
        }
        return node is JsonValue value ? (value.TryGetValue<string>(out var s) ? s : value.ToJsonString()) : node?.ToJsonString();
    }
}
