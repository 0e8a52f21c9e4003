using System.Globalization;
using System.Text.Json;

namespace CrmSync.Engine.Crm;

/// <summary>
/// Converts CRM wire values to the neutral value types of <see cref="CrmRecord.Values"/> and back.
/// JSON values come from REST responses, text values from bulk CSV (where an empty cell is null).
/// </summary>
public static class CrmValueConverter
{
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
        "yyyy-MM-dd'T'HH:mm:ssFFFFFFFzzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
    ];

    /// <summary>Converts a JSON value by the field type; <paramref name="type"/> null infers from the JSON kind.</summary>
    public static object? FromJson(JsonElement value, CrmFieldType? type)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return null;
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                return value.GetRawText();
            case JsonValueKind.True:
            case JsonValueKind.False:
                return type is null or CrmFieldType.Boolean or CrmFieldType.Other ? value.GetBoolean() : FromText(value.GetBoolean() ? "true" : "false", type);
            case JsonValueKind.Number:
                return type switch
                {
                    null or CrmFieldType.Other => InferNumber(value),
                    CrmFieldType.Integer or CrmFieldType.Long => value.TryGetInt64(out var l) ? l : (long)value.GetDecimal(),
                    CrmFieldType.Double or CrmFieldType.Currency or CrmFieldType.Percent =>
                        value.TryGetDecimal(out var d) ? d : value.GetDouble(),
                    _ => FromText(value.GetRawText(), type),
                };
            default:
                return FromText(value.GetString(), type, emptyIsNull: false);
        }
    }

    private static object InferNumber(JsonElement value) =>
        value.TryGetInt64(out var l) ? l : value.TryGetDecimal(out var d) ? d : value.GetDouble();

    /// <summary>Converts a text value (bulk CSV cell or JSON string) by the field type. Empty text is null when <paramref name="emptyIsNull"/>.</summary>
    public static object? FromText(string? text, CrmFieldType? type, bool emptyIsNull = true)
    {
        if (text is null) return null;
        if (text.Length == 0 && emptyIsNull) return null;
        switch (type)
        {
            case CrmFieldType.Boolean:
                return text.Length == 0 ? null : bool.Parse(text);
            case CrmFieldType.Integer:
            case CrmFieldType.Long:
                if (text.Length == 0) return null;
                return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                    ? l : (long)decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            case CrmFieldType.Double:
            case CrmFieldType.Currency:
            case CrmFieldType.Percent:
                if (text.Length == 0) return null;
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? d : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            case CrmFieldType.Date:
                return text.Length == 0 ? null : DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            case CrmFieldType.DateTime:
                return text.Length == 0 ? null : ParseDateTime(text);
            case CrmFieldType.Time:
                return text.Length == 0 ? null : ParseTime(text);
            default:
                return text;
        }
    }

    /// <summary>Parses a CRM datetime such as <c>2022-08-30T11:25:21.000+0000</c> or <c>...Z</c>; the result is UTC.</summary>
    public static DateTimeOffset ParseDateTime(string text)
    {
        var s = text.Trim();
        // Salesforce writes the offset without a colon (+0000); .NET's zzz wants +00:00.
        if (s.Length > 5 && (s[^5] == '+' || s[^5] == '-') && char.IsDigit(s[^4]) && char.IsDigit(s[^1]) && s[^3] != ':')
            s = string.Concat(s.AsSpan(0, s.Length - 2), ":", s.AsSpan(s.Length - 2));
        if (DateTimeOffset.TryParseExact(s, DateTimeFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value.ToUniversalTime();
        return DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
    }

    /// <summary>Parses a CRM time of day such as <c>13:45:00.000Z</c>.</summary>
    public static TimeOnly ParseTime(string text)
    {
        var s = text.Trim().TrimEnd('Z');
        return TimeOnly.Parse(s, CultureInfo.InvariantCulture);
    }

    /// <summary>Formats a datetime the way both CRMs accept it in a body: UTC, milliseconds, 'Z'.</summary>
    public static string FormatDateTime(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes a neutral value as JSON (the inverse of <see cref="FromJson"/>).</summary>
    /// <exception cref="ArgumentException">For a value of any other type.</exception>
    public static void WriteJson(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case short sh: writer.WriteNumberValue(sh); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case double db when double.IsFinite(db): writer.WriteNumberValue(db); break;
            case float f when float.IsFinite(f): writer.WriteNumberValue(f); break;
            case DateTimeOffset dto: writer.WriteStringValue(FormatDateTime(dto)); break;
            case DateTime dt: writer.WriteStringValue(FormatDateTime(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt))); break;
            case DateOnly d: writer.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
            case TimeOnly t: writer.WriteStringValue(t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + "Z"); break;
            case Guid g: writer.WriteStringValue(g); break;
            default:
                throw new ArgumentException($"A CRM value cannot be of type {value.GetType().Name}.", nameof(value));
        }
    }
}
