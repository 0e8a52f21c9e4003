using System.Text;
using System.Text.Json;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>
/// The reviewable JSON file of a profile's field mappings (Export-CrmFieldMapping -Path writes it, Set-CrmFieldMapping -Path
/// reads it). Stable: the same mappings always give the same bytes (UTF-8, two-space indent, '\n' line ends, mappings
/// ordered by object and field, no timestamps), so it diffs well under version control:
/// <code>
/// {
///   "schemaVersion": 1,
///   "profile": "default",
///   "crm": "Salesforce",
///   "mappings": [
///     { "object": "Account", "field": "Website", "crmType": "url", "table": "account", "column": "Website",
///       "rule": "TwoWay", "enabled": true, "direction": "TwoWay", "orphaned": false }
///   ]
/// }
/// </code>
/// On import, <c>object</c>, <c>field</c>, <c>table</c>, <c>column</c>, <c>rule</c> and <c>enabled</c> are required;
/// <c>crmType</c> and <c>direction</c> are checked when present (the direction follows from the rule); <c>orphaned</c>
/// and <c>profile</c> are informational (a file exported from another profile of the same CRM may be imported).
/// </summary>
public static class FieldMappingDocument
{
    /// <summary>The format version written and accepted.</summary>
    public const int SchemaVersion = 1;

    /// <summary>One mapping of a parsed document.</summary>
    internal sealed record Line(int Number, string ObjectName, string FieldName, string TableName, string? CrmType, MappingDirection? Direction, FieldMappingChange Change);

    /// <summary>A parsed document.</summary>
    internal sealed record Parsed(string? Profile, IReadOnlyList<Line> Lines);

    /// <summary>Writes the document for <paramref name="mappings"/> of <paramref name="profile"/>.</summary>
    public static string Write(ProfileInfo profile, IReadOnlyList<CrmFieldMapping> mappings)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(mappings);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", SchemaVersion);
            writer.WriteString("profile", profile.Name);
            writer.WriteString("crm", profile.Crm.ToString());
            writer.WriteStartArray("mappings");
            foreach (var m in mappings.OrderBy(m => m.ObjectName, StringComparer.Ordinal).ThenBy(m => m.FieldName, StringComparer.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("object", m.ObjectName);
                writer.WriteString("field", m.FieldName);
                writer.WriteString("crmType", m.CrmType);
                writer.WriteString("table", m.TableName);
                writer.WriteString("column", m.ColumnName);
                writer.WriteString("rule", m.Rule.ToString());
                writer.WriteBoolean("enabled", m.Enabled);
                writer.WriteString("direction", m.Direction.ToString());
                writer.WriteBoolean("orphaned", m.IsOrphaned);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>Parses a document; any structural problem is a <see cref="ErrorIds.MappingInvalid"/> listing every bad entry.</summary>
    internal static Parsed Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw Invalid($"The mapping file is not valid JSON (line {e.LineNumber + 1}): {e.Message}", null);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid("The mapping file must be a JSON object with 'schemaVersion' and 'mappings'.", null);
            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != SchemaVersion)
                throw Invalid($"The mapping file has no supported 'schemaVersion' (this CrmSync reads version {SchemaVersion}).", null);
            if (!root.TryGetProperty("mappings", out var mappings) || mappings.ValueKind != JsonValueKind.Array)
                throw Invalid("The mapping file has no 'mappings' array.", null);
            var profile = root.TryGetProperty("profile", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

            var lines = new List<Line>();
            var problems = new List<string>();
            string? firstBad = null; // the error's target: the first entry with a problem
            var number = 0;
            foreach (var item in mappings.EnumerateArray())
            {
                number++;
                if (item.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"entry {number}: not an object");
                    firstBad ??= $"entry {number}";
                    continue;
                }
                var objectName = String(item, "object");
                var fieldName = String(item, "field");
                var name = $"{objectName ?? "?"}.{fieldName ?? "?"}";
                var entryProblems = new List<string>();
                var table = String(item, "table");
                var column = String(item, "column");
                var ruleText = String(item, "rule");
                var directionText = String(item, "direction");
                if (objectName is null) entryProblems.Add("'object' is missing");
                if (fieldName is null) entryProblems.Add("'field' is missing");
                if (table is null) entryProblems.Add("'table' is missing");
                if (column is null) entryProblems.Add("'column' is missing");
                FieldMappingRule rule = default;
                if (ruleText is null || !Enum.TryParse(ruleText, ignoreCase: true, out rule) || !Enum.IsDefined(rule) || int.TryParse(ruleText, out _))
                    entryProblems.Add($"'rule' must be one of {string.Join(", ", Enum.GetNames<FieldMappingRule>())}");
                MappingDirection? direction = null;
                if (directionText is not null)
                {
                    if (Enum.TryParse<MappingDirection>(directionText, ignoreCase: true, out var d) && Enum.IsDefined(d) && !int.TryParse(directionText, out _))
                        direction = d;
                    else
                        entryProblems.Add($"'direction' must be one of {string.Join(", ", Enum.GetNames<MappingDirection>())}");
                }
                bool? enabled = item.TryGetProperty("enabled", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
                if (enabled is null) entryProblems.Add("'enabled' must be true or false");
                if (entryProblems.Count > 0)
                {
                    problems.Add($"entry {number} ({name}): {string.Join(", ", entryProblems)}");
                    firstBad ??= $"entry {number} ({name})";
                    continue;
                }
                lines.Add(new Line(number, objectName!, fieldName!, table!, String(item, "crmType"), direction,
                    new FieldMappingChange(objectName!, fieldName!) { Column = column, Rule = rule, Enabled = enabled }));
            }
            if (problems.Count > 0)
                throw Invalid($"The mapping file is invalid; nothing was imported ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): " +
                              string.Join("; ", problems.Take(25)) + (problems.Count > 25 ? $"; and {problems.Count - 25} more" : "") + ".",
                    firstBad);
            return new Parsed(profile, lines);
        }
    }

    private static string? String(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()!.Trim()
            : null;

    private static CrmSyncException Invalid(string message, string? target) =>
        new(ErrorIds.MappingInvalid, ErrorKind.InvalidData, message,
            $"Correct the file (export the current mapping with {ShellAction.ExportMapping.With(ActionParameter.Path)} to start from a valid one) and import again.", target);
}
