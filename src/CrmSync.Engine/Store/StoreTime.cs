using System.Globalization;

namespace CrmSync.Engine.Store;

/// <summary>
/// The one timestamp format of the store's tables: ISO-8601 UTC text with milliseconds, e.g. <c>2026-11-22T11:08:38.123Z</c>,
/// the text SQLite's <see cref="SqlNow"/> writes (the change-capture triggers, the sync-write marker) and the pull writes in
/// the synced tables. Readable with plain SQL and, being fixed-width, ordered as text.
/// <para>Databases written before kept the round-trip ("O") format, <c>2026-11-22T11:08:38.1234567Z</c>, in the system tables;
/// <see cref="Parse"/> reads both (and any other ISO-8601 UTC text), and the two order against each other as text to within
/// a millisecond, so existing rows need no migration.</para>
/// </summary>
internal static class StoreTime
{
    /// <summary>The .NET format of <see cref="Format"/>.</summary>
    public const string TextFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>The current time in the same format, as SQL (for triggers and statements that stamp rows themselves).</summary>
    public const string SqlNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString(TextFormat, CultureInfo.InvariantCulture);

    public static object ToDb(DateTimeOffset? value) => value is null ? DBNull.Value : Format(value.Value);

    /// <summary>A stored timestamp, in this format or an older one (round-trip "O" with seven fractional digits).</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
