using CrmSync.Engine.Commands;

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

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("what-if", TakesValue: false, "", "say what would be done; change nothing"),
    ], ProfileVerbOptions.VerboseOnly);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var stopOptions = new StopSyncOptions { Profile = ProfileVerbOptions.Profile(options), DatabasePath = ProfileVerbOptions.Database(options) };
        return ProfileVerbOptions.Run(ProfileVerbOptions.Handler(console, handlers => handlers.Stop(stopOptions)),
            options, console, cancellationToken, whatIf: true);
    }
}
