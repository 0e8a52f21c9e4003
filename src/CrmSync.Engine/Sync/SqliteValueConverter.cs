using System.Globalization;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Turns the neutral values of <see cref="Crm.CrmRecord.Values"/> into what a column of the given storage class keeps:
/// bool as 0/1, DateTimeOffset as ISO-8601 UTC <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>, DateOnly as <c>yyyy-MM-dd</c>, TimeOnly as
/// <c>HH:mm:ss.fff</c>, decimal as invariant text for NUMERIC columns (exact up to 15 significant digits) and as a double
/// for REAL columns, text as is. A value that no longer fits its column (the CRM changed the field's type) is stored as
/// it comes wherever SQLite allows it (SQLite keeps a TEXT value in an INTEGER column) and the reason is returned so the
/// pull reports it; nothing is dropped.
/// </summary>
public static class SqliteValueConverter
{
    // Booleans are stored as 0/1 several times per record: one boxed instance each.
    private static readonly object BoxedOne = 1L;
    private static readonly object BoxedZero = 0L;

    /// <summary>Significant digits a NUMERIC column (a REAL underneath) keeps exactly.</summary>
    public const int NumericExactDigits = 15;

    /// <summary>Formats a datetime as the store keeps it: UTC with milliseconds and 'Z'.</summary>
    public static string FormatDateTime(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        if (utc.Year < 1000)
            return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        // The pull formats two or more of these per record: a hand-written formatter is several times faster than a format string.
        return string.Create(24, utc, static (span, t) =>
        {
            Digits(span[..4], t.Year);
            span[4] = '-';
            Digits(span.Slice(5, 2), t.Month);
            span[7] = '-';
            Digits(span.Slice(8, 2), t.Day);
            span[10] = 'T';
            Digits(span.Slice(11, 2), t.Hour);
            span[13] = ':';
            Digits(span.Slice(14, 2), t.Minute);
            span[16] = ':';
            Digits(span.Slice(17, 2), t.Second);
            span[19] = '.';
            Digits(span.Slice(20, 3), t.Millisecond);
            span[23] = 'Z';
        });
    }

    private static void Digits(Span<char> target, int value)
    {
        for (var i = target.Length - 1; i >= 0; i--)
        {
            target[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>The value to bind for a column of <paramref name="column"/>; <paramref name="misfit"/> says why it does not fit, or is null.</summary>
    public static object ToStorage(object? value, SqliteColumnType column, out string? misfit)
    {
        misfit = null;
        switch (value)
        {
            case null:
                return DBNull.Value;
            case string s:
                return column switch
                {
                    SqliteColumnType.Integer => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                        ? l : Misfit(s, "text that is not a whole number", out misfit),
                    SqliteColumnType.Real => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                        ? d : Misfit(s, "text that is not a number", out misfit),
                    SqliteColumnType.Numeric => decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)
                        ? Decimal(m, out misfit) : Misfit(s, "text that is not a number", out misfit),
                    _ => s,
                };
            case bool b:
                return column switch
                {
                    SqliteColumnType.Text => b ? "true" : "false",
                    SqliteColumnType.Integer => b ? BoxedOne : BoxedZero,
                    _ => Misfit(b ? BoxedOne : BoxedZero, "a boolean", out misfit),
                };
            case long when column is not (SqliteColumnType.Text or SqliteColumnType.Real):
                return value; // already the stored form: no second box
            case long or int or short or byte:
                var whole = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                return column switch
                {
                    SqliteColumnType.Text => whole.ToString(CultureInfo.InvariantCulture),
                    SqliteColumnType.Real => (double)whole,
                    _ => whole,
                };
            case decimal dec:
                return column switch
                {
                    SqliteColumnType.Text => dec.ToString(CultureInfo.InvariantCulture),
                    SqliteColumnType.Real => (double)dec,
                    SqliteColumnType.Numeric => Decimal(dec, out misfit),
                    SqliteColumnType.Integer => dec == decimal.Truncate(dec) && dec >= long.MinValue && dec <= long.MaxValue
                        ? (long)dec : Misfit((double)dec, "a number with decimals", out misfit),
                    _ => dec.ToString(CultureInfo.InvariantCulture),
                };
            case double or float:
                var real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!double.IsFinite(real))
                    return Misfit(real.ToString(CultureInfo.InvariantCulture), "a number that is not finite", out misfit);
                return column switch
                {
                    SqliteColumnType.Text => real.ToString("R", CultureInfo.InvariantCulture),
                    SqliteColumnType.Integer => Math.Truncate(real) == real && Math.Abs(real) < 9.2e18
                        ? (long)real : Misfit(real, "a number with decimals", out misfit),
                    SqliteColumnType.Numeric => Misfit(real.ToString("R", CultureInfo.InvariantCulture),
                        $"a number too large or too precise for an exact decimal", out misfit),
                    _ => real,
                };
            case DateTimeOffset dto:
                return Textual(FormatDateTime(dto), column, "a date and time", out misfit);
            case DateTime dt:
                return Textual(FormatDateTime(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt)),
                    column, "a date and time", out misfit);
            case DateOnly date:
                return Textual(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), column, "a date", out misfit);
            case TimeOnly time:
                return Textual(time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture), column, "a time", out misfit);
            case Guid guid:
                return Textual(guid.ToString("D"), column, "an identifier", out misfit);
            case byte[] bytes:
                return column == SqliteColumnType.Blob ? bytes : Misfit(bytes, "binary data", out misfit);
            default:
                return Misfit(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", $"a value of type {value.GetType().Name}", out misfit);
        }
    }

    private static object Textual(string text, SqliteColumnType column, string what, out string? misfit)
    {
        misfit = null;
        return column is SqliteColumnType.Text or SqliteColumnType.Blob ? text : Misfit(text, what, out misfit);
    }

    private static object Decimal(decimal value, out string? misfit)
    {
        misfit = null;
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (SignificantDigits(value) > NumericExactDigits)
            misfit = $"a number with more than {NumericExactDigits} significant digits ({text}), which a NUMERIC column cannot keep exactly";
        return text;
    }

    private static object Misfit(object stored, string what, out string? misfit)
    {
        misfit = what;
        return stored;
    }

    /// <summary>Significant digits of a decimal (leading and trailing zeros do not count).</summary>
    public static int SignificantDigits(decimal value)
    {
        // The 96-bit integer behind the decimal, without its trailing zeros (0.050 -> 5, 100 -> 1), counted digit by digit.
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];
        if (mantissa == 0)
            return 1;
        while (mantissa % 10 == 0)
            mantissa /= 10;
        var digits = 0;
        for (; mantissa > 0; mantissa /= 10)
            digits++;
        return digits;
    }
}
