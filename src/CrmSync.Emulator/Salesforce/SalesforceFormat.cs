using System.Globalization;

namespace CrmSync.Emulator.Salesforce;

/// <summary>Salesforce wire formats for dates, datetimes and numbers.</summary>
public static class SalesforceFormat
{
    /// <summary>REST datetime: <c>2022-08-30T11:25:21.000+0000</c>.</summary>
    public static string DateTime(DateTime utc) =>
        utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    /// <summary>Bulk API 2.0 CSV datetime: <c>2022-08-30T11:25:21.000Z</c>.</summary>
    public static string CsvDateTime(DateTime utc) =>
        utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Date: <c>2022-08-30</c>.</summary>
    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Truncates a timestamp to whole milliseconds in UTC.</summary>
    public static DateTime TruncateToMilliseconds(DateTimeOffset value)
    {
        long ticks = value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond);
        return new DateTime(ticks, DateTimeKind.Utc);
    }

    /// <summary>Truncates a timestamp to whole minutes in UTC (the replication resources ignore seconds).</summary>
    public static DateTime TruncateToMinute(DateTime utc) =>
        new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Utc);

    /// <summary>Parses the datetime forms Salesforce accepts on input (ISO 8601 with Z, ±hh:mm or ±hhmm).</summary>
    public static bool TryParseDateTime(string? text, out DateTime utc)
    {
        utc = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        string t = text.Trim();
        // "+0000" without colon is what Salesforce itself emits; normalize to "+00:00".
        if (t.Length > 5 && (t[^5] == '+' || t[^5] == '-') && char.IsAsciiDigit(t[^4]) && char.IsAsciiDigit(t[^1]) && t[^3] != ':')
        {
            t = t[..^2] + ":" + t[^2..];
        }
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto)
            && t.Contains('T', StringComparison.Ordinal))
        {
            utc = dto.UtcDateTime;
            return true;
        }
        return false;
    }

    /// <summary>Parses <c>yyyy-MM-dd</c>.</summary>
    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>Invariant text of a number without exponent.</summary>
    public static string Number(object value) => value switch
    {
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
