using CrmSync.Engine.Commands;
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

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("rule", TakesValue: true, "Email|NameAndCompany|All", "which rule groups persons (default All)") { Completions = Enum.GetNames<CrmDuplicateRuleSelection>() },
        new("include-deleted", TakesValue: false, "", "also compare persons deleted in the CRM or merged into another"),
        new("object", TakesValue: true, "person|Lead|Contact", "which persons to compare (default person: all of them)"),
    ]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        FindDuplicateOptions duplicateOptions;
        try
        {
            duplicateOptions = new FindDuplicateOptions
            {
                Profile = ProfileVerbOptions.Profile(options),
                DatabasePath = ProfileVerbOptions.Database(options),
                Rule = ReportOptionParser.Enum(options, "rule", CrmDuplicateRuleSelection.All),
                IncludeDeleted = options.Has("include-deleted"),
                Object = options.Value("object"),
            };
        }
        catch (UsageException e)
        {
            return ReportOptionParser.UsageError(console, Name, e.Message);
        }
        return ProfileVerbOptions.RunReport(ProfileVerbOptions.Handler(console, handlers => handlers.FindDuplicates(duplicateOptions)),
            options, console, cancellationToken);
    }
}
