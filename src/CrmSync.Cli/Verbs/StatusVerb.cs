using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync status [--profile NAME] [--database PATH] [--json]</c>: Get-CrmSyncStatus for shells.</summary>
public sealed class StatusVerb : ICliVerb
{
    public string Name => "status";

    public string Summary => "Shows the sync status of a profile (Get-CrmSyncStatus).";

    public string Description =>
        "Reads the profile's database and shows its state (NotStarted, InProgress, LastSynced, Failed), the last success,\n" +
        "the last error, per object and operation counts, and the push and pull backlogs. Reads only.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With([]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        string profile = ProfileVerbOptions.Profile(options);
        return ProfileVerbOptions.Run(
            ProfileVerbOptions.Handler(console, handlers => handlers.Status(profile, ProfileVerbOptions.Database(options))),
            options, console, cancellationToken);
    }
}
