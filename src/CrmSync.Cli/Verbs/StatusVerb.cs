using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync status [--profile NAME] [--database PATH] [--json]</c>: Get-CrmSyncStatus for shells.</summary>
public sealed class StatusVerb : ICliVerb
{
    public string Name => "status";

    public string Summary => "Shows the sync status of a profile (Get-CrmSyncStatus).";

    public string Description =>
        "Reads the profile's database and shows its state (NotStarted, InProgress, LastSynced, Failed), the last success,\n" +
        "the last error, per object and operation counts, and the push and pull backlogs. Reads only.";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
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
        var host = new ConsoleCommandHost(console, options.Has("json") ? OutputFormat.Json : OutputFormat.Text, options.Has("verbose"));
        string profile = options.Value("profile") ?? ProfileName.Default;
        return CommandRunner.Run(
            new DeferredHandler(() => GetStatusCommand.ForEnvironment(console.GetEnvironmentVariable, profile, options.Value("database"))),
            host, cancellationToken);
    }

    /// <summary>Builds the handler inside the run, so that errors while locating the data folder are reported like any other.</summary>
    private sealed class DeferredHandler(Func<ICommandHandler> create) : ICommandHandler
    {
        public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken) => create().ExecuteAsync(host, cancellationToken);
    }
}
