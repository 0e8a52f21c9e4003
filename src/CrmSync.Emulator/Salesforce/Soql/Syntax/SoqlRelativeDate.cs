namespace CrmSync.Emulator.Salesforce.Soql.Syntax;

/// <summary>
/// A relative date literal such as <c>TODAY</c> or <c>LAST_N_DAYS:30</c>: a range of whole days
/// [<c>Start</c>, <c>End</c>) computed from the current UTC date when the query runs (the emulator's
/// users are all in UTC). Weeks start on Sunday, as in the en_US locale.
/// </summary>
internal sealed record SoqlRelativeDate(string Name, int N)
{
    private static readonly HashSet<string> Fixed = new(StringComparer.OrdinalIgnoreCase)
    {
        "YESTERDAY", "TODAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH", "THIS_MONTH",
        "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
    };

    private static readonly HashSet<string> WithN = new(StringComparer.OrdinalIgnoreCase)
    {
        "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_WEEKS", "NEXT_N_WEEKS", "LAST_N_MONTHS", "NEXT_N_MONTHS",
    };

    /// <summary>True for the names that stand alone (TODAY).</summary>
    public static bool IsFixed(string name) => Fixed.Contains(name);

    /// <summary>True for the names that take <c>:n</c> (LAST_N_DAYS).</summary>
    public static bool TakesNumber(string name) => WithN.Contains(name);

    /// <summary>The range of days this literal covers on <paramref name="today"/>; End is exclusive.</summary>
    public (DateOnly Start, DateOnly End) Range(DateOnly today)
    {
        var weekStart = today.AddDays(-(int)today.DayOfWeek);
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        var yearStart = new DateOnly(today.Year, 1, 1);
        return Name.ToUpperInvariant() switch
        {
            "YESTERDAY" => (today.AddDays(-1), today),
            "TODAY" => (today, today.AddDays(1)),
            "TOMORROW" => (today.AddDays(1), today.AddDays(2)),
            "LAST_WEEK" => (weekStart.AddDays(-7), weekStart),
            "THIS_WEEK" => (weekStart, weekStart.AddDays(7)),
            "NEXT_WEEK" => (weekStart.AddDays(7), weekStart.AddDays(14)),
            "LAST_MONTH" => (monthStart.AddMonths(-1), monthStart),
            "THIS_MONTH" => (monthStart, monthStart.AddMonths(1)),
            "NEXT_MONTH" => (monthStart.AddMonths(1), monthStart.AddMonths(2)),
            "LAST_90_DAYS" => (today.AddDays(-90), today.AddDays(1)),
            "NEXT_90_DAYS" => (today.AddDays(1), today.AddDays(91)),
            "THIS_YEAR" => (yearStart, yearStart.AddYears(1)),
            "LAST_YEAR" => (yearStart.AddYears(-1), yearStart),
            "NEXT_YEAR" => (yearStart.AddYears(1), yearStart.AddYears(2)),
            // "Starts with the current day and continues for the past n days."
            "LAST_N_DAYS" => (today.AddDays(-N), today.AddDays(1)),
            // "Starts 00:00:00 of the next day and continues for the next n days."
            "NEXT_N_DAYS" => (today.AddDays(1), today.AddDays(1 + N)),
            "N_DAYS_AGO" => (today.AddDays(-N), today.AddDays(-N + 1)),
            "LAST_N_WEEKS" => (weekStart.AddDays(-7 * N), weekStart),
            "NEXT_N_WEEKS" => (weekStart.AddDays(7), weekStart.AddDays(7 * (N + 1))),
            "LAST_N_MONTHS" => (monthStart.AddMonths(-N), monthStart),
            "NEXT_N_MONTHS" => (monthStart.AddMonths(1), monthStart.AddMonths(N + 1)),
            _ => throw new InvalidOperationException($"Unknown relative date literal '{Name}'."),
        };
    }

    /// <inheritdoc />
    public override string ToString() => TakesNumber(Name) ? $"{Name}:{N}" : Name;
}
