namespace CrmSync.Cli.Tests;

public sealed class CommandLineTests
{
    private static readonly OptionSpec[] Accepted =
    [
        new("profile", true, "NAME", ""),
        new("json", false, "", ""),
    ];

    [Fact]
    public void Values_are_taken_from_the_next_argument_or_after_an_equals_sign()
    {
        var spaced = ParsedOptions.Parse(["--profile", "prod", "--json"], Accepted);
        Assert.Equal("prod", spaced.Value("profile"));
        Assert.True(spaced.Has("json"));

        var inline = ParsedOptions.Parse(["--profile=sales-sandbox"], Accepted);
        Assert.Equal("sales-sandbox", inline.Value("profile"));
        Assert.False(inline.Has("json"));
    }

    [Fact]
    public void Nothing_given_means_no_options()
    {
        var none = ParsedOptions.Parse([], Accepted);
        Assert.False(none.Has("profile"));
        Assert.Null(none.Value("profile"));
    }

    [Theory]
    [InlineData("unknown option '--nope'", "--nope")]
    [InlineData("needs a value", "--profile")]
    [InlineData("needs a value", "--profile", "--json")]
    [InlineData("needs a non-empty value", "--profile=")]
    [InlineData("takes no value", "--json=yes")]
    [InlineData("more than once", "--json", "--json")]
    [InlineData("unexpected argument 'prod'", "prod")]
    [InlineData("unexpected argument '-p'", "-p")]
    [InlineData("unknown option '--Profile'", "--Profile", "x")]
    public void Malformed_command_lines_are_usage_errors(string expected, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => ParsedOptions.Parse(args, Accepted));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
