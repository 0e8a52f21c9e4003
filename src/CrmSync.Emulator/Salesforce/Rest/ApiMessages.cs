using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Data;

namespace CrmSync.Emulator.Salesforce.Rest;

/// <summary>A REST call below <c>/services/data/vNN.0/</c>, from HTTP or from a composite subrequest.</summary>
public sealed class ApiRequest
{
    /// <summary>HTTP method (upper case).</summary>
    public required string Method { get; init; }
    /// <summary>API version, e.g. <c>59.0</c>.</summary>
    public required string Version { get; init; }
    /// <summary>Decoded path segments after the version.</summary>
    public required IReadOnlyList<string> Segments { get; init; }
    /// <summary>Query string parameters.</summary>
    public required IReadOnlyDictionary<string, string> Query { get; init; }
    /// <summary>Request header lookup.</summary>
    public required Func<string, string?> Header { get; init; }
    /// <summary>Parsed JSON body, if any.</summary>
    public JsonNode? Body { get; init; }
    /// <summary>The body was present but not valid JSON.</summary>
    public string? BodyError { get; init; }
    /// <summary>The caller's session.</summary>
    public required Session Session { get; init; }
    /// <summary>The full request path (for fault matching).</summary>
    public required string Path { get; init; }
    /// <summary>The instance URL the client connected to (scheme, host and port, no trailing slash), e.g. <c>https://127.0.0.1:5443</c>.</summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>The write context of the caller.</summary>
    public WriteContext WriteContext => new(Session.User.Id, Session.User.Restricted);
}

/// <summary>A REST answer: a status, JSON (as a node or as bytes), extra headers, or a streamed body.</summary>
public sealed class ApiResponse
{
    /// <summary>Serializer options: Salesforce does not escape quotes, apostrophes or '+' in JSON strings.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writer options matching <see cref="JsonOptions"/>.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON content type as Salesforce sends it.</summary>
    public const string JsonContentType = "application/json;charset=UTF-8";

    /// <summary>HTTP status.</summary>
    public int Status { get; init; } = 200;
    /// <summary>JSON body as a node.</summary>
    public JsonNode? Json { get; init; }
    /// <summary>Pre-serialized body bytes.</summary>
    public byte[]? Bytes { get; init; }
    /// <summary>Content type for <see cref="Bytes"/> and <see cref="Stream"/>.</summary>
    public string ContentType { get; init; } = JsonContentType;
    /// <summary>Extra headers.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Streams the body (Bulk CSV).</summary>
    public Func<Stream, CancellationToken, Task>? Stream { get; init; }

    /// <summary>An answer with a JSON node.</summary>
    public static ApiResponse Ok(JsonNode? json, int status = 200) => new() { Status = status, Json = json };

    /// <summary>204 No Content.</summary>
    public static ApiResponse NoContent() => new() { Status = 204 };

    /// <summary>A Salesforce REST error array: <c>[{"message","errorCode","fields"?}]</c>.</summary>
    public static ApiResponse Error(int status, string errorCode, string message, IReadOnlyList<string>? fields = null)
    {
        var error = new JsonObject { ["message"] = message, ["errorCode"] = errorCode };
        if (fields is not null)
        {
            error["fields"] = new JsonArray(fields.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        }
        return new ApiResponse { Status = status, Json = new JsonArray(error) };
    }

    /// <summary>An error array from save errors.</summary>
    public static ApiResponse Errors(int status, IReadOnlyList<SaveError> errors) => new()
    {
        Status = status,
        Json = new JsonArray(errors.Select(e => (JsonNode?)new JsonObject
        {
            ["message"] = e.Message,
            ["errorCode"] = e.StatusCode,
            ["fields"] = new JsonArray(e.Fields.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
        }).ToArray()),
    };

    /// <summary>404 NOT_FOUND as Salesforce words it.</summary>
    public static ApiResponse NotFound() => Error(404, "NOT_FOUND", "The requested resource does not exist");

    /// <summary>The body as a JSON node (for composite subresponses).</summary>
    public JsonNode? BodyAsNode() => Json?.DeepClone() ?? (Bytes is { Length: > 0 } ? JsonNode.Parse(Bytes) : null);

    /// <summary>Writes JSON with a writer into bytes.</summary>
    public static ApiResponse FromWriter(Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }
        return new ApiResponse { Status = status, Bytes = buffer.ToArray() };
    }
}

/// <summary>Writes record values as Salesforce's REST API does.</summary>
public static class JsonValues
{
    /// <summary>A value as a JSON node.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        decimal d => JsonValue.Create(d),
        double d => JsonValue.Create(d),
        DateTime t => JsonValue.Create(SalesforceFormat.DateTime(t)),
        DateOnly d => JsonValue.Create(SalesforceFormat.Date(d)),
        _ => JsonValue.Create(value.ToString()),
    };

    /// <summary>Writes a value.</summary>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case decimal d: writer.WriteNumberValue(d); break;
            case double d: writer.WriteNumberValue(d); break;
            case DateTime t: writer.WriteStringValue(SalesforceFormat.DateTime(t)); break;
            case DateOnly d: writer.WriteStringValue(SalesforceFormat.Date(d)); break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }

    /// <summary>A JSON object's properties as an input dictionary for writes.</summary>
    public static Dictionary<string, object?> ToInput(JsonObject obj)
    {
        var input = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, node) in obj)
        {
            input[key] = node switch
            {
                null => null,
                JsonValue v => v.TryGetValue<JsonElement>(out var element) ? element : JsonSerializer.SerializeToElement(v),
                _ => node,
            };
        }
        return input;
    }
}
