using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>Turns input values (JSON or .NET) into the stored representation of a field's type.</summary>
public static class ValueCoercion
{
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    /// <summary>Unwraps JSON values into .NET primitives (string, bool, decimal, null).</summary>
    public static object? Unwrap(object? value)
    {
        switch (value)
        {
            case JsonElement element:
                return element.ValueKind switch
                {
                    JsonValueKind.String => element.GetString(),
                    JsonValueKind.True => BoxedTrue,
                    JsonValueKind.False => BoxedFalse,
                    JsonValueKind.Number => element.TryGetDecimal(out var d) ? d : element.GetDouble(),
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    _ => element,
                };
            case JsonValue node:
                return Unwrap(node.GetValue<JsonElement>());
            case JsonNode other:
                return other;
            default:
                return value;
        }
    }

    /// <summary>Coerces an input value for <paramref name="field"/>; returns an error instead when it does not fit.</summary>
    public static object? Coerce(FieldDefinition field, object? input, out SaveError? error)
    {
        error = null;
        object? value = Unwrap(input);
        if (value is null || (value is string s0 && s0.Length == 0 && field.Type != FieldType.Boolean))
        {
            return null;
        }
        switch (field.Type)
        {
            case FieldType.Boolean:
                if (value is bool b)
                {
                    return b ? BoxedTrue : BoxedFalse;
                }
                if (value is string bs && bool.TryParse(bs, out var parsed))
                {
                    return parsed ? BoxedTrue : BoxedFalse;
                }
                error = ParserError("boolean", value);
                return null;
            case FieldType.Double or FieldType.Currency or FieldType.Percent:
                if (ToDecimal(value) is { } number)
                {
                    return field.Precision > 0 ? decimal.Round(number, Math.Min(field.Scale, 28), MidpointRounding.AwayFromZero) : number;
                }
                error = ParserError("double", value);
                return null;
            case FieldType.Int:
                if (ToDecimal(value) is { } integer && integer == decimal.Truncate(integer) && Math.Abs(integer) < long.MaxValue)
                {
                    return (long)integer;
                }
                error = ParserError("int", value);
                return null;
            case FieldType.DateTime:
                if (value is DateTime dt)
                {
                    return SalesforceFormat.TruncateToMilliseconds(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime()));
                }
                if (value is DateTimeOffset dto)
                {
                    return SalesforceFormat.TruncateToMilliseconds(dto);
                }
                if (value is string ds && SalesforceFormat.TryParseDateTime(ds, out var utc))
                {
                    return SalesforceFormat.TruncateToMilliseconds(new DateTimeOffset(utc));
                }
                error = ParserError("datetime", value);
                return null;
            case FieldType.Date:
                if (value is DateOnly date)
                {
                    return date;
                }
                if (value is DateTime dd)
                {
                    return DateOnly.FromDateTime(dd);
                }
                if (value is string dateText)
                {
                    if (SalesforceFormat.TryParseDate(dateText, out var parsedDate))
                    {
                        return parsedDate;
                    }
                    if (SalesforceFormat.TryParseDateTime(dateText, out var asDateTime))
                    {
                        return DateOnly.FromDateTime(asDateTime);
                    }
                }
                error = ParserError("date", value);
                return null;
            default:
                string text = value switch
                {
                    string str => str,
                    bool flag => flag ? "true" : "false",
                    decimal or double or long or int => SalesforceFormat.Number(value),
                    DateTime t => SalesforceFormat.DateTime(t),
                    DateOnly d => SalesforceFormat.Date(d),
                    _ => value.ToString() ?? string.Empty,
                };
                if (value is JsonNode)
                {
                    error = ParserError("string", value);
                    return null;
                }
                return CoerceText(field, text, out error);
        }
    }

    private static object? CoerceText(FieldDefinition field, string text, out SaveError? error)
    {
        error = null;
        if (field.Type is FieldType.Id or FieldType.Reference)
        {
            if (!SalesforceId.TryNormalize(text, out var id))
            {
                error = new SaveError("MALFORMED_ID", $"{field.Label}: id value of incorrect type: {text}", [field.Name]);
                return null;
            }
            return id;
        }
        if (field.Length > 0 && text.Length > field.Length)
        {
            error = new SaveError("STRING_TOO_LONG", $"{field.Label}: data value too large: {Truncate(text)} (max length={field.Length})", [field.Name]);
            return null;
        }
        if (field.Type == FieldType.Email && !IsEmail(text))
        {
            error = new SaveError("INVALID_EMAIL_ADDRESS", $"{field.Label}: invalid email address: {Truncate(text)}", [field.Name]);
            return null;
        }
        if (field.Type == FieldType.Picklist && field.RestrictedPicklist && !field.PicklistValues.Any(p => p.Value == text))
        {
            error = new SaveError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", $"{field.Label}: bad value for restricted picklist field: {Truncate(text)}", [field.Name]);
            return null;
        }
        return field.Type == FieldType.Picklist ? Intern(field, text) : text;
    }

    private static string Intern(FieldDefinition field, string text)
    {
        foreach (var entry in field.PicklistValues)
        {
            if (entry.Value == text)
            {
                return entry.Value;
            }
        }
        return text;
    }

    private static bool IsEmail(string text)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == text.LastIndexOf('@') && text.IndexOf('.', at) > at + 1 && !text.EndsWith('.') && !text.Contains(' ', StringComparison.Ordinal);
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "..." : text;

    private static decimal? ToDecimal(object value) => value switch
    {
        decimal d => d,
        double d when !double.IsNaN(d) && !double.IsInfinity(d) => (decimal)d,
        long l => l,
        int i => i,
        string s when decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static SaveError ParserError(string type, object value) =>
        new("JSON_PARSER_ERROR", $"Cannot deserialize instance of {type} from VALUE_STRING value {value} or request may be missing a required field");
}
