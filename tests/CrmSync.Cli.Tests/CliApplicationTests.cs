using System.Globalization;
using CrmSync.Cli.Output;
using CrmSync.Engine;

namespace CrmSync.Cli.Tests;

/// <summary>The dispatcher and the console host, in process (the process tests cover the real executable).</summary>
public sealed class CliApplicationTests : IDisposable
{
    private readonly TempDataFolder home = new();
    private readonly StringWriter output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter error = new(CultureInfo.InvariantCulture);

    public void Dispose() => home.Dispose();

    private int Run(params string[] args) =>
        CliApplication.Run(args, new CliConsole(output, error, TextReader.Null, home.Environment), CancellationToken.None);

    [Fact]
    public void Verbose_messages_go_to_stderr_only_when_asked()
    {
        home.CreateFreshProfile("default");

        Assert.Equal(0, Run("status"));
        Assert.DoesNotContain("VERBOSE:", error.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, Run("status", "--verbose"));
        Assert.Contains("VERBOSE: Reading the sync status of profile 'default'", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("VERBOSE:", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--interval applies to --continuous only.", "start", "--interval", "60")]
    [InlineData("--retention only applies together with --purge.", "error", "--retention", "1.00:00:00")]
    [InlineData("--enable and --disable cannot be given together.", "mapping", "--set", "Lead.Phone", "--enable", "--disable")]
    public void Combinations_the_handlers_refuse_exit_2_in_crmsync_words(string message, params string[] args)
    {
        home.CreateFreshProfile("default");

        Assert.Equal(ExitCodes.Usage, Run(args));

        Assert.Contains($"crmsync: error InvalidArgument: {message}", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("[[", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(" -", error.ToString().Replace(" --", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_for_a_verb_lists_its_options()
    {
        Assert.Equal(0, Run("status", "--help"));
        Assert.Contains("--profile <NAME>", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--database <PATH>", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--json", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_for_an_unknown_verb_is_a_usage_error()
    {
        Assert.Equal(ExitCodes.Usage, Run("help", "frobnicate"));
    }

    [Fact]
    public void A_cancelled_run_exits_1_and_says_so()
    {
        home.CreateFreshProfile("default");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        int exit = CliApplication.Run(["status"], new CliConsole(output, error, TextReader.Null, home.Environment), cancelled.Token);

        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("SyncCancelled", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Non_terminating_errors_make_the_exit_code_1_and_results_are_still_written()
    {
        var host = new ConsoleCommandHost(new CliConsole(output, error, TextReader.Null, home.Environment), OutputFormat.Text, verbose: false);
        var handler = new LambdaHandler((h, _) =>
        {
            h.WriteObject("kept");
            h.WriteError(new CrmSyncException(ErrorIds.RecordPushFailed, ErrorKind.WriteError, "Lead 00Q1 was rejected.", "Fix the record and run again.", "00Q1"));
            return Task.CompletedTask;
        });

        Assert.Equal(ExitCodes.Failure, Verbs.CommandRunner.Run(handler, host, CancellationToken.None));
        Assert.Contains("kept", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("crmsync: error RecordPushFailed: Lead 00Q1 was rejected.", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("target: 00Q1", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ErrorKind.ObjectNotFound, 3)]
    [InlineData(ErrorKind.InvalidArgument, 2)]
    [InlineData(ErrorKind.ResourceBusy, 1)]
    [InlineData(ErrorKind.AuthenticationError, 1)]
    public void Exit_codes_follow_the_error_kind(ErrorKind kind, int expected) =>
        Assert.Equal(expected, Verbs.CommandRunner.ExitCodeFor(kind));

    [Fact]
    public void An_unexpected_exception_is_reported_as_UnexpectedError_with_exit_1()
    {
        var host = new ConsoleCommandHost(new CliConsole(output, error, TextReader.Null, home.Environment), OutputFormat.Text, verbose: false);
        var handler = new LambdaHandler((_, _) => throw new IOException("disk full"));

        Assert.Equal(ExitCodes.Failure, Verbs.CommandRunner.Run(handler, host, CancellationToken.None));
        Assert.Contains("UnexpectedError", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("disk full", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIf_describes_the_action_and_answers_no()
    {
        var host = new ConsoleCommandHost(new CliConsole(output, error, TextReader.Null, home.Environment), OutputFormat.Text, verbose: false, whatIf: true);
        Assert.False(host.ShouldProcess("profile 'prod'", "Create 12 fields"));
        Assert.Contains("What if: Performing the operation \"Create 12 fields\" on target \"profile 'prod'\".", error.ToString(), StringComparison.Ordinal);
        Assert.True(new ConsoleCommandHost(new CliConsole(output, error, TextReader.Null, home.Environment), OutputFormat.Text, false).ShouldProcess("t", "a"));
    }

    private sealed class LambdaHandler(Func<Engine.Commands.ICommandHost, CancellationToken, Task> run) : Engine.Commands.ICommandHandler
    {
        public Task ExecuteAsync(Engine.Commands.ICommandHost host, CancellationToken cancellationToken) => run(host, cancellationToken);
    }
}
