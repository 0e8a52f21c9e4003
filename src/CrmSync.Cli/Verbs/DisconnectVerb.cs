using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync disconnect [--yes] [--what-if]</c>: Disconnect-CrmSync for shells.</summary>
public sealed class DisconnectVerb : ICliVerb
{
    public string Name => "disconnect";

    public string Summary => "Forgets the saved credentials of a profile; keeps its data (Disconnect-CrmSync).";

    public string Description =>
        "Deletes the profile's encrypted secrets. The profile's database and all local data are kept; 'crmsync connect'\n" +
        "connects it again. Asks y/N on a terminal; elsewhere give --yes (or --what-if to see what it would do).";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("yes", TakesValue: false, "", "confirm without a prompt (needed when standard input is not a terminal)"),
        new("what-if", TakesValue: false, "", "say what would be forgotten and change nothing"),
    ]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        if (ConfirmationPolicy.RefuseUnattended(options, console, Name, "forgets the profile's saved credentials") is { } refused)
            return refused;
        string profile = ProfileVerbOptions.Profile(options);
        var handler = ProfileVerbOptions.Handler(console, handlers => handlers.Disconnect(profile, ProfileVerbOptions.Database(options)));
        return ProfileVerbOptions.Run(ConfirmationPolicy.Wrap(handler, options, console), options, console, cancellationToken, whatIf: true);
    }
}
