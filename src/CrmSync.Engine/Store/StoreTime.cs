using System.Globalization;

namespace CrmSync.Engine.Store;

/// <summary>
/// Timestamps in the store are ISO-8601 UTC text in the round-trip ("O") format, e.g.
/// <c>2026-11-22T11:08:38.1234567Z</c>: readable with plain SQL and, being fixed-width, ordered as text.
/// </summary>
internal static class StoreTime
{
    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static object ToDb(DateTimeOffset? value) => value is null ? DBNull.Value : Format(value.Value);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
