using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrmSync.Cli.Output;

/// <summary>The JSON shape of <c>--json</c> output: camelCase names, enums by name, indented.</summary>
public static class JsonOutput
{
    /// <summary>The serializer options every <c>--json</c> document uses.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // the output goes to terminals and scripts, never into HTML: keep quotes and non-ASCII readable
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>One object as a JSON document; several as one JSON array.</summary>
    public static string Serialize(IReadOnlyList<object> values) =>
        values.Count == 1
            ? JsonSerializer.Serialize(values[0], values[0].GetType(), Options)
            : JsonSerializer.Serialize(values, Options);
}
