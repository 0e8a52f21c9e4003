using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// The options every profile verb ends its list with (<c>--profile</c>, <c>--database</c>, <c>--json</c>, <c>--verbose</c>;
/// <c>-h/--help</c> comes with every verb) and the plumbing that reads them: the profile name, the console host and running a handler on it.
/// </summary>
internal static class ProfileVerbOptions
{
    /// <summary>The <c>--verbose</c> help of verbs that report progress.</summary>
    public const string VerboseAndProgress = "write verbose and progress messages to stderr";

    /// <summary>The <c>--verbose</c> help of verbs that only write verbose messages.</summary>
    public const string VerboseOnly = "write verbose messages to stderr";

    /// <summary>The default <c>--json</c> help.</summary>
    public const string JsonOutput = "write JSON (camelCase) instead of text; errors on stderr are JSON too";

    /// <summary>The verb's own options followed by the shared ones, in the order the help lists them.</summary>
    public static IReadOnlyList<OptionSpec> With(IEnumerable<OptionSpec> own, string verbose = VerboseAndProgress, string json = JsonOutput) =>
    [
        .. own,
        new("profile", TakesValue: true, "NAME", $"the connection profile (default: {ProfileName.Default})") { CompletionsFrom = ProfileNames },
        new("database", TakesValue: true, "PATH", "the profile's SQLite file, instead of the one in the data folder"),
        new("json", TakesValue: false, "", json),
        new("verbose", TakesValue: false, "", verbose),
    ];

    /// <summary>Tab completion of <c>--profile</c>: the profiles in the data folder (CRMSYNC_HOME aware); none when it cannot be read.</summary>
    public static IReadOnlyList<string> ProfileNames(Func<string, string?> getEnvironmentVariable)
    {
        try
        {
            return new ProfileLocator(CrmSyncPaths.FromEnvironment(getEnvironmentVariable)).ListProfiles();
        }
        catch (Exception e) when (e is CrmSync.Engine.CrmSyncException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The <c>--profile</c> value, or the default profile.</summary>
    public static string Profile(ParsedOptions options) => options.Value("profile") ?? ProfileName.Default;

    /// <summary>The <c>--database</c> value, if given.</summary>
    public static string? Database(ParsedOptions options) => options.Value("database");

    /// <summary>
    /// The handler <paramref name="build"/> takes from the composition root (<see cref="CommandHandlers"/>, shared with the
    /// cmdlets) over the console's environment; built when it runs, so that an error locating the data folder is reported
    /// like any other.
    /// </summary>
    public static ICommandHandler Handler(CliConsole console, Func<CommandHandlers, ICommandHandler> build) =>
        new DeferredCommand(() => build(new CommandHandlers(console.GetEnvironmentVariable, CliActionRenderer.Instance)));

    /// <summary>The console host for <c>--json</c> and <c>--verbose</c>; <paramref name="whatIf"/> for verbs that take <c>--what-if</c>.</summary>
    public static ConsoleCommandHost Host(ParsedOptions options, CliConsole console, bool whatIf = false) =>
        new(console, options.Has("json") ? OutputFormat.Json : OutputFormat.Text, options.Has("verbose"), whatIf: whatIf && options.Has("what-if"));

    /// <summary>Runs <paramref name="handler"/> on the console host (see <see cref="Host"/>) and returns the exit code.</summary>
    public static int Run(ICommandHandler handler, ParsedOptions options, CliConsole console, CancellationToken cancellationToken, bool whatIf = false) =>
        CommandRunner.Run(handler, Host(options, console, whatIf), cancellationToken);

    /// <summary>Runs a report handler: with <c>--json</c> its items are written as one JSON array (see <see cref="JsonListCommand"/>).</summary>
    public static int RunReport(ICommandHandler handler, ParsedOptions options, CliConsole console, CancellationToken cancellationToken) =>
        Run(options.Has("json") ? new JsonListCommand(handler) : handler, options, console, cancellationToken);
}
