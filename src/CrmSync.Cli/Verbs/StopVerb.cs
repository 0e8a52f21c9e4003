using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync stop [--what-if] [--json]</c>: Stop-CrmSync for shells.</summary>
public sealed class StopVerb : ICliVerb
{
    public string Name => "stop";

    public string Summary => "Disables the persistent sync; a continuous start ends after its cycle (Stop-CrmSync).";

    public string Description =>
        "Disables the profile's persistent sync: a 'crmsync start --continuous' (or Start-CrmSync -Continuous) running anywhere\n" +
        "ends after its current cycle, which is not interrupted. 'crmsync start' enables the sync again. Prints the status.\n" +
        "Reversible, so it needs no --yes; --what-if only says what it would do.";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("what-if", TakesValue: false, "", "say what would be done; change nothing"),
        new("profile", TakesValue: true, "NAME", $"the connection profile (default: {ProfileName.Default})"),
        new("database", TakesValue: true, "PATH", "the profile's SQLite file, instead of the one in the data folder"),
        new("json", TakesValue: false, "", "write JSON (camelCase) instead of text; errors on stderr are JSON too"),
        new("verbose", TakesValue: false, "", "write verbose messages to stderr"),
        new("help", TakesValue: false, "", "show this help"),
    ];

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var host = new ConsoleCommandHost(console, options.Has("json") ? OutputFormat.Json : OutputFormat.Text, options.Has("verbose"),
            whatIf: options.Has("what-if"));
        var stopOptions = new StopSyncOptions { Profile = options.Value("profile") ?? ProfileName.Default, DatabasePath = options.Value("database") };
        return CommandRunner.Run(new DeferredCommand(() => StopSyncCommand.ForEnvironment(console.GetEnvironmentVariable, stopOptions)),
            host, cancellationToken);
    }
}
