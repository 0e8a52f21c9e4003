using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CrmSync.PowerShell.Completion;

/// <summary>Tab completion for -Profile: the profiles in the data folder (CRMSYNC_HOME aware). Never the network; never throws.</summary>
public sealed class ProfileCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var candidates = CatalogCompletion.ForEnvironment(Environment.GetEnvironmentVariable).Profiles(wordToComplete);
            return CompletionResults.From(candidates, "CrmSync profile").ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
