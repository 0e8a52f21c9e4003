using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>
/// One <c>-ExcludeField</c> pattern: <c>Object.Field</c> with <c>*</c> and <c>?</c> wildcards, case-insensitive
/// (<c>Lead.*SSN*</c>, <c>*.Internal_*</c>); a pattern without a dot matches the field name on every object.
/// </summary>
public sealed partial class FieldExclusion
{
    private readonly NameWildcard _object;
    private readonly NameWildcard _field;

    private FieldExclusion(string pattern, NameWildcard objectPattern, NameWildcard fieldPattern)
    {
        Pattern = pattern;
        _object = objectPattern;
        _field = fieldPattern;
    }

    /// <summary>The pattern as given (trimmed).</summary>
    public string Pattern { get; }

    /// <summary>Parses a pattern.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.InvalidArgument"/> when the pattern is not <c>[Object.]Field</c>
    /// made of letters, digits, '_', '*' and '?'.</exception>
    public static FieldExclusion Parse(string pattern) => Parse(pattern, ActionParameter.ExcludeField);

    /// <summary>Parses a pattern given to <paramref name="parameter"/> (ExcludeField or Field: the error names it).</summary>
    public static FieldExclusion Parse(string pattern, ActionParameter parameter)
    {
        var text = pattern?.Trim() ?? "";
        if (!Syntax().IsMatch(text))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{(text.Length > 80 ? text[..80] + "..." : text)}' is not a valid {ShellAction.SyncFields.With(parameter)} pattern: use Object.Field or Field, " +
                "made of letters, digits, '_' and the wildcards '*' and '?' (for example 'Lead.*SSN*' or '*.Internal_*').",
                $"Correct the {ShellAction.SyncFields.With(parameter)} pattern.", text);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot < 0
            ? new FieldExclusion(text, new NameWildcard("*"), new NameWildcard(text))
            : new FieldExclusion(text, new NameWildcard(text[..dot]), new NameWildcard(text[(dot + 1)..]));
    }

    /// <summary>True when the field part has no wildcard, i.e. the pattern names one field (on one or more objects).</summary>
    public bool NamesFieldLiterally => !_field.HasWildcards;

    /// <summary>True when the pattern matches the CRM field <paramref name="objectName"/>.<paramref name="fieldName"/>.</summary>
    public bool Matches(string objectName, string fieldName) => _object.IsMatch(objectName) && _field.IsMatch(fieldName);

    /// <inheritdoc />
    public override string ToString() => Pattern;

    [GeneratedRegex(@"^[A-Za-z0-9_*?]{1,128}(\.[A-Za-z0-9_*?]{1,128})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();
}

/// <summary>
/// The exclusion patterns of a profile, or (the same type) its field selection, the include patterns of
/// <c>-Field</c> kept under <see cref="SelectionSettingsProperty"/> (empty: every field is selected). They are kept in the profile's settings (<c>ProfileInfo.SettingsJson</c>,
/// property <see cref="SettingsProperty"/>) so that a later Sync-CrmField without -ExcludeField does not create a field
/// that an earlier run excluded. Patterns given to a run are added to the stored ones; a run with
/// <c>ResetExclusions</c> replaces the stored set by the patterns it was given (none: the set is cleared). The set is
/// stored only when the run is confirmed.
/// </summary>
public sealed class FieldExclusionSet
{
    /// <summary>The property of the profile settings JSON object holding the stored patterns (an array of strings).</summary>
    public const string SettingsProperty = "excludeFields";

    /// <summary>The property of the profile settings JSON object holding the remembered field selection (-Field patterns, an array of strings).</summary>
    public const string SelectionSettingsProperty = "includeFields";

    private FieldExclusionSet(IReadOnlyList<FieldExclusion> patterns) => Patterns = patterns;

    /// <summary>No exclusions.</summary>
    public static FieldExclusionSet Empty { get; } = new([]);

    /// <summary>The patterns, in the order first given, without case-insensitive duplicates.</summary>
    public IReadOnlyList<FieldExclusion> Patterns { get; }

    /// <summary>The pattern texts.</summary>
    public IReadOnlyList<string> PatternTexts => Patterns.Select(p => p.Pattern).ToList();

    /// <summary>Parses and de-duplicates <paramref name="patterns"/>; throws <see cref="ErrorIds.InvalidArgument"/> on the first invalid one.</summary>
    public static FieldExclusionSet Parse(IEnumerable<string>? patterns) => Parse(patterns, ActionParameter.ExcludeField);

    /// <summary>Parses the patterns given to <paramref name="parameter"/> (ExcludeField or Field: an error names it).</summary>
    public static FieldExclusionSet Parse(IEnumerable<string>? patterns, ActionParameter parameter)
    {
        var list = new List<FieldExclusion>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in patterns ?? [])
        {
            var parsed = FieldExclusion.Parse(p, parameter);
            if (seen.Add(parsed.Pattern))
                list.Add(parsed);
        }
        return new FieldExclusionSet(list);
    }

    /// <summary>This set followed by the patterns of <paramref name="other"/> it does not have yet.</summary>
    public FieldExclusionSet Union(FieldExclusionSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Parse(PatternTexts.Concat(other.PatternTexts));
    }

    /// <summary>True when both sets hold the same patterns (case-insensitive, order ignored).</summary>
    public bool SameAs(FieldExclusionSet other) =>
        other is not null && PatternTexts.Order(StringComparer.OrdinalIgnoreCase)
            .SequenceEqual(other.PatternTexts.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);

    /// <summary>The first pattern that matches the field, or null.</summary>
    public FieldExclusion? FindMatch(string objectName, string fieldName) => Patterns.FirstOrDefault(p => p.Matches(objectName, fieldName));

    /// <summary>Reads the stored patterns from a profile's settings JSON.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.InvalidArgument"/> when the stored value is not an array of valid patterns.</exception>
    public static FieldExclusionSet FromSettingsJson(string settingsJson) => FromSettingsJson(settingsJson, SettingsProperty);

    /// <summary>Reads the patterns stored under <paramref name="property"/> (<see cref="SettingsProperty"/> or <see cref="SelectionSettingsProperty"/>).</summary>
    public static FieldExclusionSet FromSettingsJson(string settingsJson, string property)
    {
        var root = ParseSettings(settingsJson);
        if (root[property] is not JsonNode node)
            return Empty;
        var parameter = property == SelectionSettingsProperty ? ActionParameter.Field : ActionParameter.ExcludeField;
        if (node is not JsonArray array || array.Any(e => e is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidData,
                $"The profile setting '{property}' is not an array of field patterns.",
                property == SelectionSettingsProperty
                    ? $"Remove '{property}' from the profile settings and run {ShellAction.SyncFields.With(ActionParameter.Field)} with the patterns to select."
                    : $"Run {ShellAction.SyncFields.With(ActionParameter.ResetExclusions)} with the patterns you want to keep.", property);
        return Parse(array.Select(e => e!.GetValue<string>()), parameter);
    }

    /// <summary>Returns <paramref name="settingsJson"/> with this set stored (every other setting kept as it was).</summary>
    public string WriteTo(string settingsJson) => WriteTo(settingsJson, SettingsProperty);

    /// <summary>Returns <paramref name="settingsJson"/> with this set stored under <paramref name="property"/>.</summary>
    public string WriteTo(string settingsJson, string property)
    {
        var root = ParseSettings(settingsJson);
        if (Patterns.Count == 0)
            root.Remove(property);
        else
            root[property] = new JsonArray(PatternTexts.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray());
        return root.ToJsonString();
    }

    private static JsonObject ParseSettings(string settingsJson)
    {
        try
        {
            return JsonNode.Parse(string.IsNullOrWhiteSpace(settingsJson) ? "{}" : settingsJson) as JsonObject
                   ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidData,
                $"The profile settings are not a JSON object: {e.Message}", $"Reconnect the profile with {ShellAction.Connect}.", SettingsProperty, e);
        }
    }
}
