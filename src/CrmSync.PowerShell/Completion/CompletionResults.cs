using System.Management.Automation;

namespace CrmSync.PowerShell.Completion;

/// <summary>Turns candidate names into PowerShell completion results (quoted when they need it).</summary>
internal static class CompletionResults
{
    public static IEnumerable<CompletionResult> From(IEnumerable<string> candidates, string toolTipPrefix) =>
        candidates.Select(c => new CompletionResult(NeedsQuotes(c) ? $"'{c.Replace("'", "''", StringComparison.Ordinal)}'" : c,
            c, CompletionResultType.ParameterValue, $"{toolTipPrefix} {c}"));

    private static bool NeedsQuotes(string value) => value.Any(ch => char.IsWhiteSpace(ch) || "'\"`$(){};,@#|&<>".Contains(ch, StringComparison.Ordinal));
}
