using System.Globalization;
using System.Text.Json;
using CsvHelper;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>Parsers of Salesforce REST and Bulk API 2.0 bodies into the neutral model.</summary>
internal static class SalesforceJson
{
    /// <summary>Per-record error codes that may succeed when retried later.</summary>
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "UNABLE_TO_LOCK_ROW",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "SERVER_UNAVAILABLE",
        "REQUEST_RUNNING_TOO_LONG",
        "QUERY_TIMEOUT",
        "TXN_SECURITY_NO_ACCESS_TEMPORARY",
    };

    public static bool IsTransientCode(string code) => TransientCodes.Contains(code);

    // ---- errors ----

    /// <summary>Parses a REST error body: an array of {errorCode|statusCode, message, fields}, or one such object. Empty when not an error body.</summary>
    public static IReadOnlyList<SalesforceError> ParseErrors(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return [];
        try
        {
            using var doc = JsonDocument.Parse(body);
            return ParseErrors(doc.RootElement);
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static IReadOnlyList<SalesforceError> ParseErrors(JsonElement root)
    {
        var list = new List<SalesforceError>();
        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in root.EnumerateArray())
                if (ParseError(e) is { } err) list.Add(err);
        }
        else if (ParseError(root) is { } single)
        {
            list.Add(single);
        }
        return list;
    }

    private static SalesforceError? ParseError(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        var code = GetString(e, "errorCode") ?? GetString(e, "statusCode");
        var message = GetString(e, "message");
        if (code is null && message is null) return null;
        var fields = new List<string>();
        if (e.TryGetProperty("fields", out var f) && f.ValueKind == JsonValueKind.Array)
            foreach (var x in f.EnumerateArray())
                if (x.ValueKind == JsonValueKind.String) fields.Add(x.GetString()!);
        return new SalesforceError(code ?? "UNKNOWN_ERROR", message ?? "", fields);
    }

    // ---- metadata ----

    public static IReadOnlyList<string> ParseVersions(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array) throw new JsonException("The versions list is not an array.");
        var list = new List<string>();
        foreach (var v in root.EnumerateArray())
            if (GetString(v, "version") is { } s) list.Add(s);
        return list;
    }

    public static IReadOnlyList<CrmObjectSummary> ParseDescribeGlobal(JsonElement root)
    {
        if (!root.TryGetProperty("sobjects", out var sobjects) || sobjects.ValueKind != JsonValueKind.Array)
            throw new JsonException("The describeGlobal body has no 'sobjects' array.");
        return sobjects.EnumerateArray().Select(ParseObjectSummary).ToList();
    }

    public static CrmObjectSummary ParseObjectSummary(JsonElement o) => new(
        RequireString(o, "name"),
        GetString(o, "label") ?? RequireString(o, "name"),
        GetBool(o, "custom"),
        GetBool(o, "createable"),
        GetBool(o, "updateable"),
        GetBool(o, "deletable"),
        GetBool(o, "queryable"),
        GetBool(o, "replicateable"));

    public static CrmObjectSchema ParseDescribe(JsonElement o)
    {
        var name = RequireString(o, "name");
        if (!o.TryGetProperty("fields", out var fieldsElement) || fieldsElement.ValueKind != JsonValueKind.Array)
            throw new JsonException($"The describe of {name} has no 'fields' array.");
        var fields = fieldsElement.EnumerateArray().Select(ParseField).ToList();
        return SalesforceFieldRoles.Apply(new CrmObjectSchema(name, GetString(o, "label") ?? name, GetBool(o, "custom"), GetBool(o, "createable"),
            GetBool(o, "updateable"), GetBool(o, "deletable"), GetBool(o, "queryable"), fields)
        {
            SupportsChangeTracking = GetBool(o, "replicateable"),
        });
    }

    public static CrmFieldSchema ParseField(JsonElement f)
    {
        var native = RequireString(f, "type");
        var refs = new List<string>();
        if (f.TryGetProperty("referenceTo", out var r) && r.ValueKind == JsonValueKind.Array)
            foreach (var x in r.EnumerateArray())
                if (x.ValueKind == JsonValueKind.String) refs.Add(x.GetString()!);
        var picks = new List<CrmPicklistValue>();
        if (f.TryGetProperty("picklistValues", out var p) && p.ValueKind == JsonValueKind.Array)
            foreach (var x in p.EnumerateArray())
                picks.Add(new CrmPicklistValue(RequireString(x, "value"), GetString(x, "label"), GetBool(x, "active"), GetBool(x, "defaultValue")));
        return new CrmFieldSchema(
            RequireString(f, "name"),
            GetString(f, "label") ?? RequireString(f, "name"),
            MapFieldType(native),
            native,
            GetInt(f, "length"),
            GetInt(f, "precision"),
            GetInt(f, "scale"),
            GetBool(f, "createable"),
            GetBool(f, "updateable"),
            GetBool(f, "nillable"),
            GetBool(f, "custom"),
            GetBool(f, "calculated"),
            GetBool(f, "externalId"),
            GetBool(f, "unique"),
            refs,
            picks);
    }

    /// <summary>Maps a describe "type" to the neutral type.</summary>
    public static CrmFieldType MapFieldType(string native) => native.ToLowerInvariant() switch
    {
        "id" => CrmFieldType.Id,
        "string" or "combobox" or "encryptedstring" => CrmFieldType.String,
        "textarea" => CrmFieldType.TextArea,
        "email" => CrmFieldType.Email,
        "phone" => CrmFieldType.Phone,
        "url" => CrmFieldType.Url,
        "picklist" => CrmFieldType.Picklist,
        "multipicklist" => CrmFieldType.MultiPicklist,
        "boolean" => CrmFieldType.Boolean,
        "int" => CrmFieldType.Integer,
        "long" => CrmFieldType.Long,
        "double" => CrmFieldType.Double,
        "currency" => CrmFieldType.Currency,
        "percent" => CrmFieldType.Percent,
        "date" => CrmFieldType.Date,
        "datetime" => CrmFieldType.DateTime,
        "time" => CrmFieldType.Time,
        "reference" => CrmFieldType.Reference,
        _ => CrmFieldType.Other,
    };

    // ---- records ----

    public static SalesforceQueryResult ParseQueryResult(JsonElement root, CrmObjectSchema? schema, string objectName)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
            throw new JsonException("The query result has no 'records' array.");
        var list = new List<CrmRecord>(records.GetArrayLength());
        foreach (var r in records.EnumerateArray())
            list.Add(ParseRecord(r, schema, objectName));
        return new SalesforceQueryResult(
            root.TryGetProperty("totalSize", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt64() : list.Count,
            !root.TryGetProperty("done", out var d) || d.ValueKind != JsonValueKind.False,
            GetString(root, "nextRecordsUrl"),
            list);
    }

    public static CrmRecord ParseRecord(JsonElement r, CrmObjectSchema? schema, string objectName)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        string? type = null, url = null;
        foreach (var prop in r.EnumerateObject())
        {
            if (prop.NameEquals("attributes"))
            {
                type = GetString(prop.Value, "type");
                url = GetString(prop.Value, "url");
                continue;
            }
            var field = schema?.FindField(prop.Name);
            values[field?.Name ?? prop.Name] = CrmValueConverter.FromJson(prop.Value, field?.Type);
        }
        return BuildRecord(schema, type ?? schema?.Name ?? objectName, values, url);
    }

    private static CrmRecord BuildRecord(CrmObjectSchema? schema, string objectName, Dictionary<string, object?> values, string? url)
    {
        var id = values.GetValueOrDefault("Id") as string;
        if (id is null && url is not null) id = url[(url.LastIndexOf('/') + 1)..];
        var stampField = schema?.ModificationStampField ?? "SystemModstamp";
        var stamp = values.GetValueOrDefault(stampField) switch
        {
            DateTimeOffset d => d,
            string s when s.Length > 0 => CrmValueConverter.ParseDateTime(s),
            _ => (DateTimeOffset?)null,
        };
        var deleted = values.GetValueOrDefault("IsDeleted") is true;
        var merged = deleted ? values.GetValueOrDefault("MasterRecordId") as string : null;
        return new CrmRecord(objectName, id ?? "", stamp, deleted, merged, values)
        {
            ConvertedIntoId = ConvertedInto(values.GetValueOrDefault("IsConverted"), values.GetValueOrDefault("ConvertedContactId")),
        };
    }

    /// <summary>The contact a lead was converted into: ConvertedContactId when IsConverted is true and it is not empty.</summary>
    internal static string? ConvertedInto(object? isConverted, object? convertedContactId) =>
        isConverted is true && convertedContactId is string contact && contact.Length > 0 ? contact : null;

    /// <summary>Reads Bulk API 2.0 CSV results (UTF-8, header row, quoted values, comma separated; an empty cell is null).</summary>
    public static IReadOnlyList<CrmRecord> ParseBulkCsv(byte[] utf8, CrmObjectSchema? schema, string objectName)
    {
        var options = new CsvReaderOptions
        {
            Separator = ',',
            HasHeader = true,
            IncludeValuesInExceptions = false,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        using var csv = CsvReader.Create(utf8, options);
        var list = new List<CrmRecord>();
        (string Name, CrmFieldType? Type)[]? columns = null;
        while (csv.Read())
        {
            columns ??= csv.Headers.Select(h => (schema?.FindField(h)?.Name ?? h, schema?.FindField(h)?.Type)).ToArray();
            var values = new Dictionary<string, object?>(columns.Length, StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < columns.Length; i++)
                values[columns[i].Name] = CrmValueConverter.FromText(i < csv.FieldCount ? csv.GetString(i) : null, columns[i].Type ?? CrmFieldType.String);
            list.Add(BuildRecord(schema, schema?.Name ?? objectName, values, null));
        }
        return list;
    }

    public static SalesforceUpdatedIds ParseUpdated(JsonElement root)
    {
        var ids = new List<string>();
        if (root.TryGetProperty("ids", out var a) && a.ValueKind == JsonValueKind.Array)
            foreach (var x in a.EnumerateArray()) ids.Add(x.GetString()!);
        else throw new JsonException("The updated body has no 'ids' array.");
        return new SalesforceUpdatedIds(ids, GetDate(root, "latestDateCovered"));
    }

    public static CrmDeletionResult ParseDeleted(JsonElement root, string objectName, DateTimeOffset requestedStart)
    {
        if (!root.TryGetProperty("deletedRecords", out var a) || a.ValueKind != JsonValueKind.Array)
            throw new JsonException("The deleted body has no 'deletedRecords' array.");
        var list = a.EnumerateArray()
            .Select(x => new CrmDeletedRecord(RequireString(x, "id"), CrmValueConverter.ParseDateTime(RequireString(x, "deletedDate"))))
            .ToList();
        return new CrmDeletionResult(objectName, list, GetDate(root, "earliestDateAvailable"), GetDate(root, "latestDateCovered"), requestedStart);
    }

    public static IReadOnlyList<SalesforceLimit> ParseLimits(JsonElement root)
    {
        var list = new List<SalesforceLimit>();
        foreach (var p in root.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("Max", out var max) && p.Value.TryGetProperty("Remaining", out var rem))
                list.Add(new SalesforceLimit(p.Name, max.GetInt64(), rem.GetInt64()));
        return list;
    }

    public static SalesforceBulkJob ParseBulkJob(JsonElement o) => new(
        RequireString(o, "id"),
        GetString(o, "operation") ?? "query",
        GetString(o, "object"),
        RequireString(o, "state"),
        GetString(o, "errorMessage"),
        o.TryGetProperty("numberRecordsProcessed", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : null,
        o.TryGetProperty("apiVersion", out var v) ? v.ValueKind == JsonValueKind.Number ? v.GetDecimal().ToString("0.0", CultureInfo.InvariantCulture) : v.GetString() : null);

    /// <summary>Parses an sObject Collections response: one save result per record, in request order.</summary>
    public static IReadOnlyList<CrmWriteResult> ParseSaveResults(JsonElement root, int indexOffset = 0)
    {
        if (root.ValueKind != JsonValueKind.Array) throw new JsonException("The save results are not an array.");
        var list = new List<CrmWriteResult>();
        var i = 0;
        foreach (var r in root.EnumerateArray())
        {
            list.Add(ParseSaveResult(r, indexOffset + i));
            i++;
        }
        return list;
    }

    public static CrmWriteResult ParseSaveResult(JsonElement r, int index)
    {
        var errors = new List<CrmWriteError>();
        if (r.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array)
            foreach (var err in ParseErrors(e))
                errors.Add(ToWriteError(err));
        bool? created = r.TryGetProperty("created", out var c) && c.ValueKind is JsonValueKind.True or JsonValueKind.False ? c.GetBoolean() : null;
        return new CrmWriteResult(index, GetString(r, "id"), GetBool(r, "success"), created, errors);
    }

    public static CrmWriteError ToWriteError(SalesforceError e) => new(e.Code, e.Message, e.Fields, IsTransientCode(e.Code));

    // ---- small readers ----

    public static string? GetString(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string RequireString(JsonElement o, string name) =>
        GetString(o, name) ?? throw new JsonException($"The property '{name}' is missing.");

    private static bool GetBool(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static int GetInt(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;

    private static DateTimeOffset? GetDate(JsonElement o, string name) =>
        GetString(o, name) is { Length: > 0 } s ? CrmValueConverter.ParseDateTime(s) : null;
}
