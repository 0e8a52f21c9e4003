using System.Globalization;
using CrmSync.Cli.Output;

namespace CrmSync.Cli.Tests;

public sealed class TextOutputTests
{
    private sealed record Count(string ObjectName, long New, long Failed);

    private sealed record Report(string Profile, DateTimeOffset? LastSuccess, bool Enabled, double Ratio, IReadOnlyList<Count> Counts, IReadOnlyList<Count> Empty);

    [Fact]
    public void Scalars_are_an_aligned_list_and_collections_a_table()
    {
        var report = new Report("prod", new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero), true, 0.5,
            [new Count("Lead", 1200, 3), new Count("Contact", 7, 0)], []);
        var writer = new StringWriter(CultureInfo.InvariantCulture);

        TextOutput.Write(writer, report);

        string[] lines = writer.ToString().Split(writer.NewLine);
        Assert.Equal("Profile     : prod", lines[0]);
        Assert.Equal("LastSuccess : 2026-03-04T05:06:07+00:00", lines[1]);
        Assert.Equal("Enabled     : true", lines[2]);
        Assert.Equal("Ratio       : 0.5", lines[3]);
        Assert.Equal("", lines[4]);
        Assert.Equal("Counts:", lines[5]);
        Assert.Equal("  ObjectName  New   Failed", lines[6]);
        Assert.Equal("  ----------  ----  ------", lines[7]);
        Assert.Equal("  Lead        1200  3", lines[8]);
        Assert.Equal("  Contact     7     0", lines[9]);
        Assert.DoesNotContain("Empty:", writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Null_values_are_blank()
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        TextOutput.Write(writer, new Report("x", null, false, 1, [], []));
        Assert.Contains("LastSuccess :" + writer.NewLine, writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_output_is_camelCase_with_enum_names()
    {
        string json = JsonOutput.Serialize([new { ObjectName = "Lead", Kind = DayOfWeek.Monday }]);
        Assert.Contains("\"objectName\": \"Lead\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"Monday\"", json, StringComparison.Ordinal);
    }
}
