using System.Collections;
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

    // One boxed instance each: bulk results carry several booleans per record.
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

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
                if (text.Length == 0) return null;
                if (text == "true") return BoxedTrue;
                if (text == "false") return BoxedFalse;
                return bool.Parse(text) ? BoxedTrue : BoxedFalse;
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
        ArgumentNullException.ThrowIfNull(text);
        if (TryParseUtcStamp(text, out var fast))
            return fast;
        var s = text.Trim();
        // Salesforce writes the offset without a colon (+0000); .NET's zzz wants +00:00.
        if (s.Length > 5 && (s[^5] == '+' || s[^5] == '-') && char.IsDigit(s[^4]) && char.IsDigit(s[^1]) && s[^3] != ':')
            s = string.Concat(s.AsSpan(0, s.Length - 2), ":", s.AsSpan(s.Length - 2));
        if (DateTimeOffset.TryParseExact(s, DateTimeFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value.ToUniversalTime();
        return DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
    }

    /// <summary>
    /// The shapes Salesforce writes for every datetime (<c>2022-08-30T11:25:21.000+0000</c>, <c>...Z</c>), read without the
    /// general parser: bulk results carry several per record. Anything else (other offsets, other precisions) is left to it.
    /// </summary>
    private static bool TryParseUtcStamp(string text, out DateTimeOffset value)
    {
        value = default;
        var utc = text.Length == 28 && text.EndsWith("+0000", StringComparison.Ordinal)
                  || text.Length == 24 && text[23] == 'Z';
        if (!utc || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.')
            return false;
        if (!Number(text, 0, 4, out var year) || !Number(text, 5, 2, out var month) || !Number(text, 8, 2, out var day)
            || !Number(text, 11, 2, out var hour) || !Number(text, 14, 2, out var minute) || !Number(text, 17, 2, out var second)
            || !Number(text, 20, 3, out var millisecond))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        return true;
    }

    private static bool Number(string text, int start, int length, out int value)
    {
        value = 0;
        for (var i = start; i < start + length; i++)
        {
            var digit = text[i] - '0';
            if ((uint)digit > 9) return false;
            value = value * 10 + digit;
        }
        return true;
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

/// <summary>
/// The columns shared by every record of one result set (a bulk results chunk): each field name, case-insensitively, to
/// its slot in <see cref="CrmRecordValues"/>. A reader can map its own fields to slots once per layout instead of once per record.
/// </summary>
public sealed class CrmRecordLayout
{
    private readonly Dictionary<string, int> _slots;

    /// <summary>A layout of <paramref name="names"/>; a repeated name (in any case) keeps one slot.</summary>
    public CrmRecordLayout(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        _slots = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var list = new List<string>();
        foreach (var name in names)
        {
            if (_slots.ContainsKey(name)) continue;
            _slots[name] = list.Count;
            list.Add(name);
        }
        Names = list;
    }

    /// <summary>The field names, in slot order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The slot of <paramref name="name"/> (case-insensitive), or -1.</summary>
    public int SlotOf(string name) => _slots.TryGetValue(name, out var slot) ? slot : -1;
}

/// <summary>
/// A record's values as an array laid out by a shared <see cref="CrmRecordLayout"/>: the read-only dictionary of
/// <see cref="CrmRecord.Values"/> without a hash table per record. Lookups by name are case-insensitive.
/// </summary>
public sealed class CrmRecordValues : IReadOnlyDictionary<string, object?>
{
    private readonly object?[] _values;

    /// <summary>Values of <paramref name="layout"/>'s fields, slot by slot (the array is kept, not copied).</summary>
    public CrmRecordValues(CrmRecordLayout layout, object?[] values)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != layout.Names.Count)
            throw new ArgumentException("One value per field of the layout is expected.", nameof(values));
        Layout = layout;
        _values = values;
    }

    public CrmRecordLayout Layout { get; }

    /// <summary>The value in <paramref name="slot"/> of <see cref="Layout"/>.</summary>
    public object? ValueAt(int slot) => _values[slot];

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The record has no field '{key}'.");

    public IEnumerable<string> Keys => Layout.Names;

    public IEnumerable<object?> Values => _values;

    public int Count => _values.Length;

    public bool ContainsKey(string key) => Layout.SlotOf(key) >= 0;

    public bool TryGetValue(string key, out object? value)
    {
        var slot = Layout.SlotOf(key);
        value = slot >= 0 ? _values[slot] : null;
        return slot >= 0;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < _values.Length; i++)
            yield return new KeyValuePair<string, object?>(Layout.Names[i], _values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
