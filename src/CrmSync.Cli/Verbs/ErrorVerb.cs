using System.Globalization;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Store;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync error [--object PATTERN]... [--level Record|Job|All] [--since T] [--run-id N] [--include-resolved] [--last N] [--purge [--retention D.HH:MM:SS] --yes] [--json]</c>: Get-CrmSyncError.</summary>
public sealed class ErrorVerb : ICliVerb
{
    public string Name => "error";

    public string Summary => "Lists record- and job-level sync errors (Get-CrmSyncError).";

    public string Description =>
        "Lists the profile's sync errors, newest first: records the CRM rejected (with its code and message and both ids), values\n" +
        "that did not fit, and errors that failed a whole run. Unresolved only unless --include-resolved. Reads only, unless\n" +
        "--purge: then errors older than --retention (default 5.00:00:00, five days) are deleted first; that needs --yes when\n" +
        "standard input is not a terminal, and --what-if shows how many would go.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("object", TakesValue: true, "PATTERN", "only errors of CRM objects matching this wildcard pattern (repeatable)") { Repeatable = true },
        new("level", TakesValue: true, "Record|Job|All", "only record-level or job-level errors (default All)") { Completions = Enum.GetNames<SyncErrorLevelFilter>() },
        new("since", TakesValue: true, "TIME", "only errors at or after this time (ISO 8601; UTC unless an offset is given)"),
        new("run-id", TakesValue: true, "N", "only errors of this sync run"),
        new("include-resolved", TakesValue: false, "", "also list errors a later attempt resolved"),
        new("last", TakesValue: true, "N", "only the newest N errors"),
        new("purge", TakesValue: false, "", "delete errors older than --retention before listing"),
        new("retention", TakesValue: true, "D.HH:MM:SS", "with --purge: how long errors are kept (default 5.00:00:00)"),
        new("yes", TakesValue: false, "", "with --purge: confirm the deletion without a prompt"),
        new("what-if", TakesValue: false, "", "with --purge: say how many errors would be deleted; delete nothing"),
    ], ProfileVerbOptions.VerboseOnly);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        GetSyncErrorOptions errorOptions;
        try
        {
            // --yes and --what-if are the CLI's confirmation of a purge; --retention without --purge is refused by the handler.
            if (!options.Has("purge") && (options.Has("yes") || options.Has("what-if")))
                throw new UsageException("--yes and --what-if apply to --purge only");
            TimeSpan? retention = null;
            if (options.Value("retention") is { } text)
            {
                if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) || parsed < TimeSpan.Zero)
                    throw new UsageException($"--retention '{text}' is not a positive time span such as 5.00:00:00");
                retention = parsed;
            }
            errorOptions = new GetSyncErrorOptions
            {
                Profile = ProfileVerbOptions.Profile(options),
                DatabasePath = ProfileVerbOptions.Database(options),
                Object = options.Values("object"),
                Level = ReportOptionParser.Enum(options, "level", SyncErrorLevelFilter.All),
                Since = ReportOptionParser.Since(options),
                RunId = ReportOptionParser.RunId(options),
                IncludeResolved = options.Has("include-resolved"),
                Last = ReportOptionParser.Last(options),
                Purge = options.Has("purge"),
                Retention = retention,
            };
        }
        catch (UsageException e)
        {
            return ReportOptionParser.UsageError(console, Name, e.Message);
        }
        if (errorOptions.PurgeOlderThan is not null &&
            ConfirmationPolicy.RefuseUnattended(options, console, $"{Name} --purge", "deletes sync errors for good") is { } refused)
            return refused;

        ICommandHandler handler = ProfileVerbOptions.Handler(console, handlers => handlers.GetErrors(errorOptions));
        if (options.Has("json"))
            handler = new JsonListCommand(handler);
        if (errorOptions.PurgeOlderThan is not null)
            handler = ConfirmationPolicy.Wrap(handler, options, console);
        return ProfileVerbOptions.Run(handler, options, console, cancellationToken, whatIf: true);
    }
}
