using System.Text.Json;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>A Dataverse error: <c>{"error":{"code":"0x80044331","message":"…"}}</c>; the code is often empty.</summary>
internal sealed record DataverseError(string Code, string Message)
{
    public override string ToString() => Code.Length == 0 ? Message : $"{Code}: {Message}";
}

/// <summary>Small readers for Dataverse Web API JSON.</summary>
internal static class DataverseJson
{
    public static string? GetString(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool GetBool(JsonElement e, string name, bool fallback = false) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    public static int GetInt(JsonElement e, string name, int fallback = 0) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : fallback;

    /// <summary>A managed property such as <c>"IsCustomizable":{"Value":true}</c> or <c>"RequiredLevel":{"Value":"None"}</c>.</summary>
    public static JsonElement? GetValueProperty(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object && v.TryGetProperty("Value", out var inner)
            ? inner : null;

    /// <summary>The user's label of a <c>Label</c> complex value (<c>UserLocalizedLabel.Label</c>, else the first localized label).</summary>
    public static string? GetLabel(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var label) || label.ValueKind != JsonValueKind.Object) return null;
        if (label.TryGetProperty("UserLocalizedLabel", out var user) && GetString(user, "Label") is { } text) return text;
        if (label.TryGetProperty("LocalizedLabels", out var all) && all.ValueKind == JsonValueKind.Array)
            foreach (var l in all.EnumerateArray())
                if (GetString(l, "Label") is { } t) return t;
        return null;
    }

    /// <summary>Reads an error body; null when the text is not one.</summary>
    public static DataverseError? ParseError(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{') return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object) return null;
            return new DataverseError(GetString(error, "code") ?? "", GetString(error, "message") ?? "");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a JSON body or throws a protocol error naming <paramref name="target"/>.</summary>
    public static JsonDocument Parse(string text, string target)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw NotJson(target, ex);
        }
    }

    /// <summary>Awaits a JSON parse of a response body, turning a body that is not JSON into a protocol error naming <paramref name="target"/>.</summary>
    public static async Task<JsonDocument> ReadAsync(Func<Task<JsonDocument>> parse, string target)
    {
        try
        {
            return await parse().ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw NotJson(target, ex);
        }
    }

    private static CrmSyncException NotJson(string target, JsonException ex) =>
        new(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
            $"Dataverse returned a body that is not JSON for {target}.", "Retry; if it persists, report it to the CrmSync maintainers.", target, ex);

    /// <summary>Runs a parser over a response, turning shape surprises into a protocol error naming <paramref name="target"/>.</summary>
    public static T Read<T>(Func<T> parse, string target)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException or OverflowException)
        {
            throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                $"Dataverse returned an unexpected body for {target}: {ex.Message}", "Retry; if it persists, report it to the CrmSync maintainers.", target, ex);
        }
    }
}
