using CrmSync.Cli.Verbs;
using CrmSync.Engine;

namespace CrmSync.Cli;

/// <summary>
/// <c>crmsync</c>: the cmdlets' verbs for hosts without PowerShell (cron, containers, CI). A small hand-written
/// dispatcher: <c>crmsync &lt;verb&gt; [--option value] [--flag]</c>.
/// </summary>
public static class CliApplication
{
    /// <summary>The verbs, in the order help lists them.</summary>
    public static IReadOnlyList<ICliVerb> Verbs { get; } = [new ConnectVerb(), new DisconnectVerb(), new SyncFieldVerb(), new FieldVerb(), new MappingVerb(), new StatusVerb(), new StartVerb(), new StopVerb(), new NotificationVerb(), new ErrorVerb(), new ConflictVerb(), new DuplicateVerb(), new DemoVerb()];

    /// <summary>Runs one command line and returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);

        if (args.Count == 0)
        {
            console.Error.WriteLine("crmsync: a verb is required.");
            console.Error.WriteLine();
            WriteHelp(console.Error);
            return ExitCodes.Usage;
        }

        string first = args[0];
        switch (first)
        {
            case "--version":
                if (args.Count > 1)
                    return UsageError(console, "--version takes no arguments");
                console.Output.WriteLine(EngineInfo.Version);
                return ExitCodes.Success;
            case "help" or "--help" or "-h":
                return Help(args.Skip(1).ToList(), console);
        }

        ICliVerb? verb = Verbs.FirstOrDefault(v => v.Name == first);
        if (verb is null)
            return UsageError(console, $"unknown verb '{first}'");

        ParsedOptions options;
        try
        {
            options = ParsedOptions.Parse(args.Skip(1).ToList(), verb.Options);
        }
        catch (UsageException e)
        {
            return UsageError(console, e.Message, verb);
        }

        if (options.Has("help"))
        {
            WriteVerbHelp(console.Output, verb);
            return ExitCodes.Success;
        }
        return verb.Run(options, console, cancellationToken);
    }

    private static int Help(IReadOnlyList<string> rest, CliConsole console)
    {
        if (rest.Count == 0)
        {
            WriteHelp(console.Output);
            return ExitCodes.Success;
        }
        ICliVerb? verb = rest.Count == 1 ? Verbs.FirstOrDefault(v => v.Name == rest[0]) : null;
        if (verb is null)
            return UsageError(console, $"no help for '{string.Join(' ', rest)}'");
        WriteVerbHelp(console.Output, verb);
        return ExitCodes.Success;
    }

    private static int UsageError(CliConsole console, string message, ICliVerb? verb = null)
    {
        console.Error.WriteLine($"crmsync: {message}");
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
        writer.WriteLine("  crmsync --version   prints the version.");
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

    private static void WriteVerbHelp(TextWriter writer, ICliVerb verb)
    {
        writer.WriteLine($"crmsync {verb.Name} - {verb.Summary}");
        writer.WriteLine();
        writer.WriteLine($"Usage: crmsync {verb.Name} {string.Join(' ', verb.Options.Where(o => o.Name != "help").Select(o => o.TakesValue ? $"[--{o.Name} {o.ValueName}]" : $"[--{o.Name}]"))}");
        writer.WriteLine();
        writer.WriteLine(verb.Description);
        writer.WriteLine();
        writer.WriteLine("Options:");
        foreach (OptionSpec option in verb.Options)
        {
            string shown = option.TakesValue ? $"--{option.Name} {option.ValueName}" : $"--{option.Name}";
            writer.WriteLine($"  {shown,-20} {option.Description}");
        }
        writer.WriteLine();
        WriteExitCodes(writer);
    }

    private static void WriteExitCodes(TextWriter writer)
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
