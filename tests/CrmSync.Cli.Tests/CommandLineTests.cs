using System.Globalization;
using CrmSync.Cli.Verbs;

namespace CrmSync.Cli.Tests;

/// <summary>
/// The command line as System.CommandLine parses it (<see cref="CliCommandLine"/>), in process: how values are read, every
/// usage error with its exit code 2 and its message, generated help on every verb, <c>help &lt;verb&gt;</c> and completion.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDataFolder home = new();
    private readonly StringWriter output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter error = new(CultureInfo.InvariantCulture);

    public void Dispose() => home.Dispose();

    private int Run(params string[] args) =>
        CliApplication.Run(args, new CliConsole(output, error, TextReader.Null, home.Environment), CancellationToken.None);

    public static TheoryData<string> VerbNames() => new(CliApplication.Verbs.Select(v => v.Name));

    /// <summary>Parses a command line the way crmsync does and hands the verb's options to <paramref name="inspect"/> instead of running it.</summary>
    private static (string? Problem, ParsedOptions? Options) Parse(params string[] args)
    {
        ParsedOptions? given = null;
        var commandLine = new CliCommandLine(CliApplication.Verbs, _ => null, (_, options) => { given = options; return 0; }, _ => 0, _ => 0);
        var result = commandLine.Parse(args);
        if (commandLine.Problem(args, result) is { } problem)
            return (problem.Message, null);
        result.Invoke(new System.CommandLine.InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null });
        return (null, given);
    }

    [Fact]
    public void Values_are_taken_from_the_next_argument_or_after_an_equals_sign()
    {
        var (problem, spaced) = Parse("status", "--profile", "prod", "--json");
        Assert.Null(problem);
        Assert.Equal("prod", spaced!.Value("profile"));
        Assert.True(spaced.Has("json"));
        Assert.False(spaced.Has("verbose"));

        var (_, inline) = Parse("status", "--profile=sales-sandbox");
        Assert.Equal("sales-sandbox", inline!.Value("profile"));
        Assert.False(inline.Has("json"));
    }

    [Fact]
    public void Nothing_given_means_no_options()
    {
        var (_, none) = Parse("status");
        Assert.False(none!.Has("profile"));
        Assert.Null(none.Value("profile"));
        Assert.Empty(none.Values("profile"));
        Assert.Null(none.Value("no-such-option"));
    }

    [Fact]
    public void A_repeatable_option_keeps_every_value_in_order_and_others_still_refuse_repeats()
    {
        var (_, parsed) = Parse("sync-field", "--exclude", "Lead.*SSN*", "--exclude=*.Internal_*", "--profile", "p");

        Assert.Equal(["Lead.*SSN*", "*.Internal_*"], parsed!.Values("exclude"));
        Assert.Equal(["p"], parsed.Values("profile"));
        Assert.Empty(parsed.Values("reset-exclusions"));
        Assert.Equal(["lead.*", "*.emailaddress1"], Parse("sync-field", "--field", "lead.*", "--field=*.emailaddress1").Options!.Values("field"));
        Assert.Contains("more than once", Parse("sync-field", "--profile", "a", "--profile", "b").Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown option '--nope'", "--nope")]
    [InlineData("unknown option '--nope'", "--nope=secret-looking-value")]
    [InlineData("option '--profile' needs a value (NAME)", "--profile")]
    [InlineData("option '--profile' needs a value (NAME)", "--profile", "--json")]
    [InlineData("option '--profile' needs a value (NAME)", "--profile=")]
    [InlineData("option '--json' takes no value", "--json=yes")]
    [InlineData("unexpected argument 'true'", "--json", "true")]
    [InlineData("option '--json' was given more than once", "--json", "--json")]
    [InlineData("option '--profile' was given more than once", "--profile", "a", "--profile", "b")]
    [InlineData("unexpected argument 'prod'", "prod")]
    [InlineData("unknown option '-p'", "-p")]
    [InlineData("unknown option '--Profile'", "--Profile", "x")]
    [InlineData("unexpected argument '@args.txt'", "@args.txt")]
    public void Malformed_command_lines_are_usage_errors_naming_the_verb_and_the_option(string expected, params string[] args)
    {
        Assert.Equal(ExitCodes.Usage, Run(["status", .. args]));

        Assert.Equal("", output.ToString());
        string[] lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"crmsync: status: {expected}", lines[0]);
        Assert.Equal("Run 'crmsync help status' for usage.", lines[1]);
        Assert.DoesNotContain("secret-looking-value", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crmsync: unknown verb 'frobnicate'", "frobnicate")]
    [InlineData("crmsync: unknown verb '--frobnicate'", "--frobnicate=value")]
    [InlineData("crmsync: unknown verb '--profile'", "--profile", "prod", "status")]
    [InlineData("crmsync: --version takes no arguments", "--version", "extra")]
    [InlineData("crmsync: no help for 'frobnicate'", "help", "frobnicate")]
    [InlineData("crmsync: unexpected argument 'stop'", "help", "start", "stop")]
    public void Unknown_verbs_and_options_exit_2_with_what_was_wrong(string expected, params string[] args)
    {
        Assert.Equal(ExitCodes.Usage, Run(args));

        Assert.Equal("", output.ToString());
        Assert.StartsWith(expected + Environment.NewLine + "Run 'crmsync help' for usage.", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "--password", "s3cret")]
    [InlineData("connect", "--security-token", "s3cret")]
    [InlineData("connect", "--client-secret=s3cret")]
    [InlineData("start", "--token=s3cret")]
    [InlineData("notification", "--smtp-password", "s3cret")]
    [InlineData("status", "--help", "--password", "s3cret")]
    public void Secret_options_are_refused_by_every_verb_with_the_reason_and_without_echoing_the_secret(params string[] args)
    {
        Assert.Equal(ExitCodes.Usage, Run(args));

        string refused = error.ToString();
        Assert.StartsWith($"crmsync: {args[0]}: '--", refused, StringComparison.Ordinal);
        Assert.Contains("is refused: secrets are never taken from command-line arguments", refused, StringComparison.Ordinal);
        Assert.Contains("process list", refused, StringComparison.Ordinal);
        Assert.Contains("CRMSYNC_PASSWORD", refused, StringComparison.Ordinal);
        Assert.Contains("--password-stdin", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", refused, StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void No_verb_defines_an_option_that_takes_a_secret()
    {
        foreach (ICliVerb verb in CliApplication.Verbs)
        {
            foreach (OptionSpec option in verb.Options)
                Assert.False(CliCommandLine.SecretOptions.Contains(option.Name), $"crmsync {verb.Name} --{option.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(VerbNames))]
    public void Every_verb_has_generated_help_describing_every_option_and_the_exit_codes(string verbName)
    {
        ICliVerb verb = CliApplication.Verbs.Single(v => v.Name == verbName);
        foreach (string help in new[] { "--help", "-h" })
        {
            output.GetStringBuilder().Clear();
            Assert.Equal(ExitCodes.Success, Run(verbName, help));

            string text = output.ToString();
            Assert.Contains(verb.Summary, text, StringComparison.Ordinal);
            Assert.Contains("Usage:", text, StringComparison.Ordinal);
            Assert.Contains($" {verbName} [options]", text, StringComparison.Ordinal);
            foreach (OptionSpec option in verb.Options)
            {
                string shown = option.TakesValue ? $"--{option.Name} <{option.ValueName}>" : $"--{option.Name}";
                string line = text.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(shown + " ", StringComparison.Ordinal)) ?? "";
                Assert.True(line.Contains(option.Description, StringComparison.Ordinal), $"{verbName} --help does not describe {shown}:\n{text}");
            }
            Assert.Contains("-h, --help", text, StringComparison.Ordinal);
            Assert.Contains("Exit codes:", text, StringComparison.Ordinal);
            Assert.Contains("2  usage error", text, StringComparison.Ordinal);
        }
        Assert.Equal("", error.ToString());
    }

    [Theory]
    [MemberData(nameof(VerbNames))]
    public void Help_verb_is_the_verbs_generated_help(string verbName)
    {
        Assert.Equal(ExitCodes.Success, Run(verbName, "--help"));
        string direct = output.ToString();
        output.GetStringBuilder().Clear();

        Assert.Equal(ExitCodes.Success, Run("help", verbName));

        Assert.Equal(direct, output.ToString());
    }

    [Fact]
    public void Help_wins_over_other_options_and_runs_nothing()
    {
        Assert.Equal(ExitCodes.Success, Run("start", "--profile", "nowhere", "--yes", "--help"));
        Assert.Contains("--continuous", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ProfileNotFound", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public void The_overview_lists_every_verb(string help)
    {
        Assert.Equal(ExitCodes.Success, Run(help));
        foreach (ICliVerb verb in CliApplication.Verbs)
            Assert.Contains($"  {verb.Name,-10} {verb.Summary}", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("crmsync <verb> --help", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("[suggest]", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crmsync st", "start", "status", "stop", "test-connection")] // System.CommandLine suggests by substring
    [InlineData("crmsync test", "test-connection")]
    [InlineData("crmsync connect --crm ", "dynamics", "salesforce")]
    [InlineData("crmsync sync", "sync-field")]
    [InlineData("crmsync help dup", "duplicate")]
    [InlineData("crmsync start --init", "--initial-strategy")]
    [InlineData("crmsync start --initial-strategy ", "Auto", "Bulk", "Paged")]
    [InlineData("crmsync error --level ", "All", "Job", "Record")]
    [InlineData("crmsync duplicate --rule ", "All", "Email", "NameAndCompany")]
    [InlineData("crmsync mapping --set Lead.Email --rule Always", "AlwaysCrm", "AlwaysLocal")]
    [InlineData("crmsync notification --tls-mode ", "ImplicitTls", "None", "StartTls")]
    [InlineData("crmsync connect --scope ", "currentuser", "process")]
    public void The_suggest_directive_completes_verbs_options_and_values(string commandLine, params string[] expected)
    {
        string position = commandLine.Length.ToString(CultureInfo.InvariantCulture);

        Assert.Equal(ExitCodes.Success, Run($"[suggest:{position}]", commandLine));

        Assert.Equal(expected, output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Profile_completion_offers_the_profiles_in_the_data_folder()
    {
        home.CreateFreshProfile("prod");
        home.CreateFreshProfile("sales-sandbox");

        Assert.Equal(ExitCodes.Success, Run("[suggest:25]", "crmsync status --profile "));
        Assert.Equal(["prod", "sales-sandbox"], output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));

        output.GetStringBuilder().Clear();
        Assert.Equal(ExitCodes.Success, Run("[suggest:28]", "crmsync start --profile sales"));
        Assert.Equal(["sales-sandbox"], output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Completion_of_a_verbs_options_offers_every_option_and_no_secret()
    {
        Assert.Equal(ExitCodes.Success, Run("[suggest:16]", "crmsync connect "));

        string[] offered = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        foreach (OptionSpec option in CliApplication.Verbs.Single(v => v.Name == "connect").Options)
            Assert.Contains("--" + option.Name, offered);
        Assert.Contains("--help", offered);
        Assert.DoesNotContain("--password", offered);
    }
}
