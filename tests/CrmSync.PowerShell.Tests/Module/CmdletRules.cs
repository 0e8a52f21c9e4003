namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// The rules every CrmSync cmdlet follows (STYLE.md, "Testing cmdlets without PowerShell"), as pure checks over
/// <see cref="CmdletFacts"/> so that the rules themselves are tested with facts that break them.
/// </summary>
public static class CmdletRules
{
    /// <summary>PowerShell's approved verbs: VerbsCommon, VerbsData, VerbsLifecycle, VerbsDiagnostic, VerbsCommunications, VerbsSecurity, VerbsOther.</summary>
    public static readonly IReadOnlySet<string> ApprovedVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        // VerbsCommon
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New",
        "Open", "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show",
        "Skip", "Split", "Step", "Switch", "Undo", "Unlock", "Watch",
        // VerbsData
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
        "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
        "Unpublish", "Update",
        // VerbsLifecycle
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke",
        "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // VerbsDiagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // VerbsCommunications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // VerbsSecurity
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        // VerbsOther
        "Use",
    };

    /// <summary>Verbs that only read or display; every other verb changes state and must support ShouldProcess.</summary>
    public static readonly IReadOnlySet<string> ReadOnlyVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        "Get", "Find", "Search", "Select", "Show", "Test", "Measure", "Compare", "Resolve", "Trace", "Watch", "Wait",
        "Read", "Format", "ConvertFrom", "ConvertTo",
    };

    /// <summary>The name PowerShell gives parameters declared without a ParameterSetName.</summary>
    public const string AllParameterSets = "__AllParameterSets";

    private static readonly string[] SecretWords = ["Password", "Secret", "Token", "Key"];

    /// <summary>Every rule violation of <paramref name="cmdlet"/>; empty when it follows all rules.</summary>
    /// <param name="expectedImpact">
    /// The expected ConfirmImpact per cmdlet name; null for a read-only cmdlet (no ShouldProcess). A cmdlet missing from
    /// the table is a violation, so that every new cmdlet's impact is decided on purpose.
    /// </param>
    /// <param name="parameterSetNameConstants">The values of the ParameterSetNames constants.</param>
    public static IReadOnlyList<string> Check(CmdletFacts cmdlet,
        IReadOnlyDictionary<string, Impact?> expectedImpact, IReadOnlySet<string> parameterSetNameConstants)
    {
        var problems = new List<string>();
        void Fail(string problem) => problems.Add($"{cmdlet.Name} ({cmdlet.ClassName}): {problem}");

        if (!ApprovedVerbs.Contains(cmdlet.Verb))
            Fail($"verb '{cmdlet.Verb}' is not an approved PowerShell verb");
        if (!cmdlet.Noun.StartsWith("Crm", StringComparison.Ordinal))
            Fail($"noun '{cmdlet.Noun}' does not start with 'Crm'");
        if (IsPlural(cmdlet.Noun))
            Fail($"noun '{cmdlet.Noun}' is plural; cmdlet nouns are singular");
        if (!cmdlet.IsPublic || !cmdlet.IsSealed)
            Fail("the cmdlet class must be public and sealed");
        if (cmdlet.OutputTypes.Count == 0)
            Fail("has no [OutputType]");

        bool changesState = !ReadOnlyVerbs.Contains(cmdlet.Verb);
        if (changesState && !cmdlet.SupportsShouldProcess)
            Fail($"verb '{cmdlet.Verb}' changes state but the cmdlet does not declare SupportsShouldProcess");

        if (!expectedImpact.TryGetValue(cmdlet.Name, out Impact? expected))
        {
            Fail("is missing from the expected ConfirmImpact table; decide its impact and add it");
        }
        else if (expected is null)
        {
            if (cmdlet.SupportsShouldProcess)
                Fail("is expected to be read-only but declares SupportsShouldProcess");
        }
        else if (!cmdlet.SupportsShouldProcess)
        {
            Fail($"is expected to have ConfirmImpact {expected} but does not support ShouldProcess");
        }
        else if (cmdlet.ConfirmImpact != expected)
        {
            Fail($"ConfirmImpact is {cmdlet.ConfirmImpact}, expected {expected}");
        }

        foreach (ParameterFacts parameter in cmdlet.Parameters)
        {
            bool secretName = SecretWords.Any(w => parameter.Name.Contains(w, StringComparison.OrdinalIgnoreCase));
            bool plainString = parameter.TypeFullName is "System.String" or "System.String[]" or "System.Char[]";
            if (secretName && plainString)
                Fail($"parameter -{parameter.Name} carries a secret as plain {parameter.TypeFullName}; use SecureString or PSCredential");

            foreach (string set in parameter.ParameterSetNames)
            {
                if (set != AllParameterSets && !parameterSetNameConstants.Contains(set))
                    Fail($"parameter -{parameter.Name} uses parameter set '{set}', which is not a ParameterSetNames constant");
            }
        }

        if (cmdlet.DefaultParameterSetName is { } defaultSet && !parameterSetNameConstants.Contains(defaultSet))
            Fail($"DefaultParameterSetName '{defaultSet}' is not a ParameterSetNames constant");

        return problems;
    }

    /// <summary>True when the last word of a PascalCase noun looks plural (Fields, Mappings; not Status, Access).</summary>
    public static bool IsPlural(string noun)
    {
        int lastWordStart = 0;
        for (int i = noun.Length - 1; i > 0; i--)
        {
            if (char.IsUpper(noun[i]))
            {
                lastWordStart = i;
                break;
            }
        }
        string word = noun[lastWordStart..];
        return word.Length > 2 && word.EndsWith('s')
            && !word.EndsWith("ss", StringComparison.Ordinal)
            && !word.EndsWith("us", StringComparison.Ordinal)
            && !word.EndsWith("is", StringComparison.Ordinal);
    }
}
