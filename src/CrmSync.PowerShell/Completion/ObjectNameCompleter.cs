using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CrmSync.PowerShell.Completion;

/// <summary>Tab completion for -Object: the CRM objects with created fields in the profile already typed (-Profile, -DatabasePath), from the local catalog. Never the network; never throws.</summary>
public sealed class ObjectNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var candidates = CatalogCompletion.ForEnvironment(Environment.GetEnvironmentVariable).Objects(fakeBoundParameters, wordToComplete);
            return CompletionResults.From(candidates, "CRM object").ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
