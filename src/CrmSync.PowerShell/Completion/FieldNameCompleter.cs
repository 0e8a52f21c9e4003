using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CrmSync.PowerShell.Completion;

/// <summary>Tab completion for -Field / -Name: the created fields of the profile (and of the -Object already typed), from the local catalog. Never the network; never throws.</summary>
public sealed class FieldNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var candidates = CatalogCompletion.ForEnvironment(Environment.GetEnvironmentVariable).Fields(fakeBoundParameters, wordToComplete);
            return CompletionResults.From(candidates, "CRM field").ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
