using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Reports;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync duplicate [--rule Email|NameAndCompany|All] [--include-deleted] [--object person|Lead|Contact] [--json]</c>: Find-CrmDuplicate.</summary>
public sealed class DuplicateVerb : ICliVerb
{
    public string Name => "duplicate";

    public string Summary => "Reports persons that look like duplicates; never merges (Find-CrmDuplicate).";

    public string Description =>
        "A read-only report of persons that look like duplicates, one group per shared key: the same e-mail address, or the same\n" +
        "first name, last name and company (a Contact's company is its Account's name). CrmSync never merges persons: merge them\n" +
        "in the CRM and the next sync mirrors the merge.";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("rule", TakesValue: true, "Email|NameAndCompany|All", "which rule groups persons (default All)"),
        new("include-deleted", TakesValue: false, "", "also compare persons deleted in the CRM or merged into another"),
        new("object", TakesValue: true, "person|Lead|Contact", "which persons to compare (default person: all of them)"),
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
        FindDuplicateOptions duplicateOptions;
        try
        {
            duplicateOptions = new FindDuplicateOptions
            {
                Profile = options.Value("profile") ?? ProfileName.Default,
                DatabasePath = options.Value("database"),
                Rule = ReportOptionParser.Enum(options, "rule", CrmDuplicateRuleSelection.All),
                IncludeDeleted = options.Has("include-deleted"),
                Object = options.Value("object"),
            };
        }
        catch (UsageException e)
        {
            return ReportOptionParser.UsageError(console, Name, e.Message);
        }
        var host = new ConsoleCommandHost(console, options.Has("json") ? OutputFormat.Json : OutputFormat.Text, options.Has("verbose"));
        ICommandHandler handler = new DeferredCommand(() => FindDuplicateCommand.ForEnvironment(console.GetEnvironmentVariable, duplicateOptions));
        return CommandRunner.Run(options.Has("json") ? new JsonListCommand(handler) : handler, host, cancellationToken);
    }
}
