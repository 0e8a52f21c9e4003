using System.CommandLine;
using CrmSync.Cli.Verbs;
using CrmSync.Engine;

namespace CrmSync.Cli;

/// <summary>
/// <c>crmsync</c>: the cmdlets' verbs for hosts without PowerShell (cron, containers, CI):
/// <c>crmsync &lt;verb&gt; [--option value] [--flag]</c>. The command line is parsed by System.CommandLine
/// (<see cref="CliCommandLine"/>): generated help for every verb, <c>[suggest]</c> completion; usage errors exit 2.
/// </summary>
public static class CliApplication
{
    /// <summary>The verbs, in the order help lists them.</summary>
    public static IReadOnlyList<ICliVerb> Verbs { get; } = [new ConnectVerb(), new DisconnectVerb(), new SyncFieldVerb(), new FieldVerb(), new MappingVerb(), new StatusVerb(), new TestConnectionVerb(), new StartVerb(), new StopVerb(), new NotificationVerb(), new ErrorVerb(), new ConflictVerb(), new DuplicateVerb(), new DemoVerb()];

    /// <summary>Runs one command line and returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);

        if (args.Count == 0)
            return VerbRequired(console);

        CliCommandLine commandLine = null!;
        commandLine = new CliCommandLine(Verbs, console.GetEnvironmentVariable,
            runVerb: (verb, options) => verb.Run(options, console, cancellationToken),
            runHelp: verb => Help(verb, console, cancellationToken),
            runRoot: result =>
            {
                if (!commandLine.VersionRequested(result))
                    return VerbRequired(console);
                console.Output.WriteLine(EngineInfo.Version);
                return ExitCodes.Success;
            });
        ParseResult parsed = commandLine.Parse(args);
        if (commandLine.Problem(args, parsed) is { } problem)
            return UsageError(console, problem.Message, problem.Verb);

        return parsed.Invoke(new InvocationConfiguration
        {
            Output = console.Output,
            Error = console.Error,
            // crmsync reports its own errors (CommandRunner) and handles Ctrl+C and SIGTERM itself (Program, StartVerb).
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        });
    }

    private static int VerbRequired(CliConsole console)
    {
        console.Error.WriteLine("crmsync: a verb is required.");
        console.Error.WriteLine();
        WriteHelp(console.Error);
        return ExitCodes.Usage;
    }

    /// <summary><c>crmsync help [verb]</c>: the overview, or the verb's generated help (the same as <c>crmsync verb --help</c>).</summary>
    private static int Help(string? verb, CliConsole console, CancellationToken cancellationToken)
    {
        if (verb is null)
        {
            WriteHelp(console.Output);
            return ExitCodes.Success;
        }
        if (!Verbs.Any(v => v.Name == verb))
            return UsageError(console, $"no help for '{verb}'");
        return Run([verb, "--help"], console, cancellationToken);
    }

    private static int UsageError(CliConsole console, string message, ICliVerb? verb = null)
    {
        console.Error.WriteLine(verb is null ? $"crmsync: {message}" : $"crmsync: {verb.Name}: {message}");
        console.Error.WriteLine(verb is null ? "Run 'crmsync help' for usage." : $"Run 'crmsync help {verb.Name}' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary>The overall help text.</summary>
    public static void WriteHelp(TextWriter writer)
    {
        writer.WriteLine($"crmsync {EngineInfo.Version} - keeps a local SQLite marketing database in sync with a CRM.");
        writer.WriteLine();
        writer.WriteLine("Usage: crmsync <verb> [options]");
        writer.WriteLine();
        writer.WriteLine("Verbs:");
        foreach (ICliVerb verb in Verbs)
            writer.WriteLine($"  {verb.Name,-10} {verb.Summary}");
        writer.WriteLine($"  {"help",-10} This text, or 'crmsync help <verb>' for one verb.");
        writer.WriteLine();
        writer.WriteLine("  crmsync <verb> --help (or -h)   every option of one verb, the same as 'crmsync help <verb>'.");
        writer.WriteLine("  crmsync --version               prints the version.");
        writer.WriteLine("  crmsync [suggest] \"<command line>\"   tab completion of verbs, options and their values (dotnet-suggest).");
        writer.WriteLine();
        writer.WriteLine("Data: one SQLite database per profile in the per-user data folder (CRMSYNC_HOME overrides it):");
        writer.WriteLine("  Linux ~/.local/share/crmsync (or $XDG_DATA_HOME/crmsync), macOS ~/Library/Application Support/CrmSync,");
        writer.WriteLine("  Windows %LOCALAPPDATA%\\CrmSync. --database PATH uses another file for one command.");
        writer.WriteLine();
        writer.WriteLine("Secrets (passwords, tokens, client secrets) are read from environment variables or standard input,");
        writer.WriteLine("never from command-line arguments, which other users can see in the process list.");
        writer.WriteLine();
        WriteExitCodes(writer);
    }

    /// <summary>The exit codes, as the overview and every verb's help end.</summary>
    internal static void WriteExitCodes(TextWriter writer)
    {
        writer.WriteLine("Exit codes:");
        writer.WriteLine($"  {ExitCodes.Success}  success");
        writer.WriteLine($"  {ExitCodes.Failure}  the command failed (details and the recommended action on standard error)");
        writer.WriteLine($"  {ExitCodes.Usage}  usage error: unknown verb or option, missing or invalid value; nothing was done");
        writer.WriteLine($"  {ExitCodes.NotFound}  not found, e.g. the profile does not exist (ErrorId ProfileNotFound)");
        writer.WriteLine($"  {ExitCodes.LockHeld}  start: another run holds the profile's sync lock (ErrorId SyncLockHeld); nothing was run");
        writer.WriteLine($"  {ExitCodes.Interrupted}  start: interrupted by Ctrl+C or SIGTERM; everything up to the last committed page is kept");
    }
}
