using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync disconnect [--yes] [--what-if]</c>: Disconnect-CrmSync for shells.</summary>
public sealed class DisconnectVerb : ICliVerb
{
    public string Name => "disconnect";

    public string Summary => "Forgets the saved credentials of a profile; keeps its data (Disconnect-CrmSync).";

    public string Description =>
        "Deletes the profile's encrypted secrets. The profile's database and all local data are kept; 'crmsync connect'\n" +
        "connects it again. Asks y/N on a terminal; elsewhere give --yes (or --what-if to see what it would do).";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("yes", TakesValue: false, "", "confirm without a prompt (needed when standard input is not a terminal)"),
        new("what-if", TakesValue: false, "", "say what would be forgotten and change nothing"),
        new("profile", TakesValue: true, "NAME", $"the connection profile (default: {ProfileName.Default})"),
        new("database", TakesValue: true, "PATH", "the profile's SQLite file, instead of the one in the data folder"),
        new("json", TakesValue: false, "", "write JSON (camelCase) instead of text; errors on stderr are JSON too"),
        new("verbose", TakesValue: false, "", "write verbose and progress messages to stderr"),
        new("help", TakesValue: false, "", "show this help"),
    ];

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        if (ConfirmationPolicy.RefuseUnattended(options, console, Name, "forgets the profile's saved credentials") is { } refused)
            return refused;
        var host = new ConsoleCommandHost(console, options.Has("json") ? OutputFormat.Json : OutputFormat.Text, options.Has("verbose"),
            whatIf: options.Has("what-if"));
        string profile = options.Value("profile") ?? ProfileName.Default;
        var handler = new DeferredCommand(() => DisconnectCommand.ForEnvironment(console.GetEnvironmentVariable, profile, options.Value("database")));
        return CommandRunner.Run(ConfirmationPolicy.Wrap(handler, options, console), host, cancellationToken);
    }
}
