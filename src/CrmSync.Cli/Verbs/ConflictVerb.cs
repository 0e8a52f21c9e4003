using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync conflict [--object PATTERN]... [--field PATTERN]... [--run-id N] [--since T] [--last N] [--json]</c>: Get-CrmSyncConflict.</summary>
public sealed class ConflictVerb : ICliVerb
{
    public string Name => "conflict";

    public string Summary => "Lists the conflict journal: fields changed on both sides in one cycle (Get-CrmSyncConflict).";

    public string Description =>
        "Lists every collision, newest first: the record, the field, the local and the CRM value, whose value was kept and the\n" +
        "rule that decided (Marketo's default: a Lead's local change wins, a Contact's CRM value wins, one-way objects always take\n" +
        "the CRM's; a field mapping's own rule overrides it). Reads only.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("object", TakesValue: true, "PATTERN", "only collisions on CRM objects matching this wildcard pattern (repeatable)") { Repeatable = true },
        new("field", TakesValue: true, "PATTERN", "only collisions on fields matching this wildcard pattern (repeatable)") { Repeatable = true },
        new("run-id", TakesValue: true, "N", "only collisions of this sync run"),
        new("since", TakesValue: true, "TIME", "only collisions at or after this time (ISO 8601; UTC unless an offset is given)"),
        new("last", TakesValue: true, "N", "only the newest N collisions"),
    ], ProfileVerbOptions.VerboseOnly);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        GetSyncConflictOptions conflictOptions;
        try
        {
            conflictOptions = new GetSyncConflictOptions
            {
                Profile = ProfileVerbOptions.Profile(options),
                DatabasePath = ProfileVerbOptions.Database(options),
                Object = options.Values("object"),
                Field = options.Values("field"),
                RunId = ReportOptionParser.RunId(options),
                Since = ReportOptionParser.Since(options),
                Last = ReportOptionParser.Last(options),
            };
        }
        catch (UsageException e)
        {
            return ReportOptionParser.UsageError(console, Name, e.Message);
        }
        return ProfileVerbOptions.RunReport(ProfileVerbOptions.Handler(console, handlers => handlers.GetConflicts(conflictOptions)),
            options, console, cancellationToken);
    }
}
