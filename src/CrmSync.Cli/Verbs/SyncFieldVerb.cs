using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync sync-field [--field PATTERN]... [--exclude PATTERN]... [--reset-exclusions] [--reset-field-selection] [--what-if] [--yes]</c>: Sync-CrmField for shells.</summary>
public sealed class SyncFieldVerb : ICliVerb
{
    public string Name => "sync-field";

    public string Summary => "Creates a local column for every CRM field the sync user can see; permanent (Sync-CrmField).";

    public string Description =>
        "Describes every synced CRM object and prints the plan: fields to create, already created, gone from the CRM (kept),\n" +
        "renamed (a new field) and changed types (old column kept). Confirming backs up the database and creates the tables and\n" +
        "columns in one transaction. Created columns can never be deleted: review the plan with --what-if (which changes\n" +
        "nothing), then run again with --yes. On a terminal it asks y/N; without a terminal and without --yes it refuses (exit 2).\n" +
        "--exclude takes wildcard patterns such as 'Lead.*SSN*' or '*.Internal_*' (repeatable), remembered for later runs.\n" +
        "--field selects the fields to sync (include only, same patterns, e.g. 'lead.*' or '*.emailaddress1'; repeatable): only\n" +
        "matching fields and the fields the sync needs are created, --exclude still applies. The selection is remembered and\n" +
        "applied by every schema refresh; a later --field adds to it, and --reset-field-selection replaces it by the --field\n" +
        "patterns given (without --field it clears it: every field is selected again). Fields created before are kept and keep\n" +
        "syncing (creation is permanent): narrowing only stops fields not created yet from being created.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("field", TakesValue: true, "PATTERN", "only create fields matching this Object.Field wildcard pattern, plus the ones the sync needs (repeatable, remembered)") { Repeatable = true },
        new("exclude", TakesValue: true, "PATTERN", "do not create fields matching this Object.Field wildcard pattern (repeatable)") { Repeatable = true },
        new("reset-exclusions", TakesValue: false, "", "replace the remembered exclusion patterns by the --exclude ones (none: clear them)"),
        new("reset-field-selection", TakesValue: false, "", "replace the remembered field selection by the --field patterns (none: clear it, every field is selected)"),
        new("what-if", TakesValue: false, "", "print the plan and the fields that would be created; change nothing"),
        new("yes", TakesValue: false, "", "confirm without a prompt (needed when standard input is not a terminal)"),
    ], json: "write the plan as JSON (camelCase) instead of text; errors on stderr are JSON too");

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        if (options.Has("yes") && options.Has("what-if"))
        {
            console.Error.WriteLine("crmsync: give --what-if to review the plan or --yes to apply it, not both.");
            return ExitCodes.Usage;
        }
        if (ConfirmationPolicy.RefuseUnattended(options, console, Name, "creates permanent columns that can never be deleted") is { } refused)
            return refused;
        string? databasePath = ProfileVerbOptions.Database(options);
        var syncOptions = new SyncFieldsOptions
        {
            Profile = ProfileVerbOptions.Profile(options), DatabasePath = databasePath,
            ExcludeField = options.Values("exclude"), Field = options.Values("field"), ResetExclusions = options.Has("reset-exclusions"),
            ResetFieldSelection = options.Has("reset-field-selection"),
        };
        var handler = ProfileVerbOptions.Handler(console, handlers => handlers.SyncFields(syncOptions));
        return ProfileVerbOptions.Run(ConfirmationPolicy.Wrap(handler, options, console), options, console, cancellationToken, whatIf: true);
    }
}
