using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

public sealed class SqliteValueConverterTests
{
    [Fact]
    public void Neutral_values_become_their_storage_form()
    {
        Assert.Equal(1L, SqliteValueConverter.ToStorage(true, SqliteColumnType.Integer, out var m1));
        Assert.Null(m1);
        Assert.Equal(0L, SqliteValueConverter.ToStorage(false, SqliteColumnType.Integer, out _));
        Assert.Equal("2026-03-04T05:06:07.089Z",
            SqliteValueConverter.ToStorage(new DateTimeOffset(2026, 3, 4, 7, 6, 7, 89, TimeSpan.FromHours(2)), SqliteColumnType.Text, out var m2));
        Assert.Null(m2);
        Assert.Equal("1980-05-17", SqliteValueConverter.ToStorage(new DateOnly(1980, 5, 17), SqliteColumnType.Text, out _));
        Assert.Equal("13:45:00.000", SqliteValueConverter.ToStorage(new TimeOnly(13, 45), SqliteColumnType.Text, out _));
        Assert.Equal("1234.50", SqliteValueConverter.ToStorage(1234.50m, SqliteColumnType.Numeric, out var m3));
        Assert.Null(m3);
        Assert.Equal(0.25, SqliteValueConverter.ToStorage(0.25m, SqliteColumnType.Real, out _));
        Assert.Equal(42L, SqliteValueConverter.ToStorage(42L, SqliteColumnType.Integer, out _));
        Assert.Equal(42L, SqliteValueConverter.ToStorage(42m, SqliteColumnType.Integer, out var m4));
        Assert.Null(m4);
        Assert.Equal("x;y", SqliteValueConverter.ToStorage("x;y", SqliteColumnType.Text, out _));
        Assert.Equal(DBNull.Value, SqliteValueConverter.ToStorage(null, SqliteColumnType.Integer, out var m5));
        Assert.Null(m5);
    }

    [Fact]
    public void A_value_that_does_not_fit_is_kept_as_it_came_and_the_reason_is_returned()
    {
        Assert.Equal("about fifty", SqliteValueConverter.ToStorage("about fifty", SqliteColumnType.Integer, out var notWhole));
        Assert.NotNull(notWhole);
        Assert.Equal(12.5, SqliteValueConverter.ToStorage(12.5m, SqliteColumnType.Integer, out var decimals));
        Assert.NotNull(decimals);
        Assert.Equal("2026-01-01", SqliteValueConverter.ToStorage(new DateOnly(2026, 1, 1), SqliteColumnType.Real, out var date));
        Assert.NotNull(date);
        var precise = 12345678901234567.89m;
        Assert.Equal("12345678901234567.89", SqliteValueConverter.ToStorage(precise, SqliteColumnType.Numeric, out var tooPrecise));
        Assert.Contains("15 significant digits", tooPrecise, StringComparison.Ordinal);
        Assert.Equal(123L, SqliteValueConverter.ToStorage("123", SqliteColumnType.Integer, out var numericText));
        Assert.Null(numericText);
    }

    [Theory]
    [InlineData("1200", 2)]
    [InlineData("0.00012", 2)]
    [InlineData("123456789012345", 15)]
    [InlineData("1234567890123456", 16)]
    public void Significant_digits_ignore_leading_and_trailing_zeros(string value, int digits) =>
        Assert.Equal(digits, SqliteValueConverter.SignificantDigits(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));
}
