using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Data;

namespace CrmSync.Emulator.Dynamics.Web;

/// <summary>A Web API request (from HTTP or from a $batch part), path relative to <c>/api/data/v9.2/</c>.</summary>
public sealed class DvRequest
{
    public required string Method { get; init; }
    /// <summary>Decoded path after the version segment, e.g. <c>leads(…)</c>.</summary>
    public required string Path { get; init; }
    /// <summary>Query options (decoded), e.g. <c>$select</c>.</summary>
    public Dictionary<string, string> Query { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, string> Headers { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    public string? Body { get; init; }
    /// <summary>The org URL (scheme://host:port), no trailing slash.</summary>
    public required string OrgUrl { get; init; }
    public required Guid Caller { get; init; }
    /// <summary>Resolves <c>$n</c> Content-ID references inside a change set.</summary>
    public Func<string, string?>? ResolveReference { get; init; }

    public string Header(string name) => Headers.GetValueOrDefault(name) ?? "";

    public string ApiRoot => OrgUrl + "/api/data/v9.2/";
}

/// <summary>A Web API answer.</summary>
public sealed class DvResponse
{
    public int Status { get; init; }
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public string? Body { get; init; }
    public string ContentType { get; init; } = "application/json; odata.metadata=minimal";

    /// <summary>Dataverse writes JSON without HTML-safe escaping (<c>"W/\"123\""</c>, apostrophes as is).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static DvResponse Json(int status, JsonNode body) => new() { Status = status, Body = body.ToJsonString(Relaxed) };

    public static DvResponse NoContent() => new() { Status = 204 };

    /// <summary>Dataverse's error body <c>{"error":{"code","message"}}</c>.</summary>
    public static DvResponse Error(int status, string code, string message) =>
        Json(status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    public static DvResponse From(DataverseException ex)
    {
        var response = Error(ex.Status, ex.Code, ex.Message);
        if (ex.RetryAfter is { } seconds)
        {
            response.Headers["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return response;
    }
}
