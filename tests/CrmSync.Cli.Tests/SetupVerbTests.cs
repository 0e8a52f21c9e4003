using System.Globalization;
using CrmSync.Cli.Output;
using CrmSync.Cli.Verbs;
using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Tests;

/// <summary>The setup verbs' option handling, confirmation and what-if text, in process.</summary>
public sealed class SetupVerbTests : IDisposable
{
    private readonly TempDataFolder home = new();
    private readonly StringWriter output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter error = new(CultureInfo.InvariantCulture);

    public void Dispose() => home.Dispose();

    private CliConsole Console(string input = "") => new(output, error, new StringReader(input), home.Environment);

    private int Run(params string[] args) => CliApplication.Run(args, Console(), CancellationToken.None);

    [Fact]
    public void Connect_without_a_password_for_a_user_is_a_usage_error_naming_where_secrets_come_from()
    {
        Assert.Equal(ExitCodes.Usage, Run("connect", "--username", "u@example.com", "--login-url", "http://127.0.0.1:9"));
        Assert.Contains("CRMSYNC_PASSWORD", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("--password-stdin", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(home.Paths.ProfilesDirectory));
    }

    [Theory]
    [InlineData("--crm", "dynamics")]
    [InlineData("--scope", "machine")]
    [InlineData("--login-url", "not a url")]
    public void Connect_rejects_bad_values_before_any_login(string option, string value)
    {
        Assert.Equal(ExitCodes.Usage, Run("connect", option, value));
        Assert.False(Directory.Exists(home.Paths.ProfilesDirectory));
    }

    [Theory]
    [InlineData("mapping", "--export", "a.json", "--import", "b.json")]
    [InlineData("mapping", "--rule", "AlwaysCrm")]
    [InlineData("mapping", "--no-clobber")]
    [InlineData("mapping", "--import", "b.json", "--force")]
    [InlineData("mapping", "--set", "LeadEmail", "--rule", "AlwaysCrm")]
    [InlineData("mapping", "--set", "Lead.Email", "--rule", "Sometimes")]
    [InlineData("mapping", "--set", "Lead.Email", "--rule", "2")]
    [InlineData("mapping", "--set", "Lead.Email")]
    [InlineData("mapping", "--set", "Lead.Email", "--enable", "--disable")]
    [InlineData("sync-field", "--yes", "--what-if")]
    public void Contradictory_or_incomplete_setup_options_are_usage_errors(params string[] args)
    {
        home.CreateFreshProfile("default");
        Assert.Equal(ExitCodes.Usage, Run(args));
        Assert.StartsWith("crmsync: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_of_a_profile_without_fields_warns_to_run_sync_field()
    {
        home.CreateFreshProfile("default");
        Assert.Equal(ExitCodes.Success, Run("mapping"));
        Assert.Contains("Run crmsync sync-field", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Field_of_an_unknown_profile_exits_3()
    {
        Assert.Equal(ExitCodes.NotFound, Run("field", "--profile", "nope"));
        Assert.Contains("ProfileNotFound", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("y\n", true)]
    [InlineData("YES\n", true)]
    [InlineData("n\n", false)]
    [InlineData("\n", false)]
    [InlineData("", false)]
    public void The_terminal_prompt_answers_ShouldProcess_with_yes_only_for_y(string typed, bool expected)
    {
        var asked = new AskingCommand();
        var handler = new ConfirmingHandler(asked, Console(typed));
        var host = new ConsoleCommandHost(Console(typed), OutputFormat.Text, verbose: false);

        CommandHostPump.Run(host, handler, CancellationToken.None);

        Assert.Equal(expected, asked.Answer);
        Assert.Contains("[y/N]", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(expected ? 0 : 1, handler.Declined);
    }

    [Fact]
    public void The_what_if_host_prints_the_full_description_of_a_long_ShouldProcess()
    {
        var host = new ConsoleCommandHost(Console(), OutputFormat.Text, verbose: false, whatIf: true);
        var request = new ShouldProcessRequest("profile 'p'", "Create 2 fields", "Performing...\n  Lead.A\n  Lead.B", "Apply?", "Sync-CrmField");

        Assert.False(host.ShouldProcess(request));

        Assert.Equal($"What if: Performing...\n  Lead.A\n  Lead.B{Environment.NewLine}", error.ToString());
    }

    private sealed class AskingCommand : ICommandHandler
    {
        public bool? Answer { get; private set; }

        public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
        {
            Answer = host.ShouldProcess(new ShouldProcessRequest("t", "a", "Create everything", "Continue?", "caption"));
            return Task.CompletedTask;
        }
    }
}
