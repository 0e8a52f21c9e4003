using System.Text.RegularExpressions;

namespace CrmSync.Engine.Tests.Architecture;

/// <summary>
/// Issue 11, item 6: the engine names actions (<see cref="Shell.ShellAction"/>) and parameters (<see cref="Shell.ShellParameter"/>)
/// and each shell spells them, so no engine source outside comments names a cmdlet or a -Parameter: the crmsync CLI would
/// otherwise tell its users to run cmdlets or give parameters they may not have.
/// </summary>
public sealed partial class CmdletNamesTests
{
    [GeneratedRegex(@"\b(Connect-CrmSync|Disconnect-CrmSync|Sync-CrmField|Start-CrmSync|Stop-CrmSync|Get-CrmSyncStatus|Get-CrmSyncError|Get-CrmSyncConflict|Set-CrmFieldMapping|Get-CrmFieldMapping|Export-CrmFieldMapping|Get-CrmField|Find-CrmDuplicate|Set-CrmSyncNotification|Get-CrmSyncNotification|Test-CrmSyncConnection)\b")]
    private static partial Regex CmdletName();

    /// <summary>
    /// The notification mails are read outside any shell, so they name both spellings; TriggeredBy is a value recorded in the
    /// run history (who started the run), not a message.
    /// </summary>
    private static bool Exempt(string file, string line) =>
        file.EndsWith("Notifications/NotificationMessages.cs", StringComparison.Ordinal) ||
        line.Contains("TriggeredBy { get; init; } = \"Start-CrmSync\"", StringComparison.Ordinal);

    [Fact]
    public void No_engine_source_names_a_cmdlet_outside_comments()
    {
        var root = RepositoryRoot();
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src", "CrmSync.Engine"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal))
                continue;
            found.AddRange(CmdletNamesIn(File.ReadAllText(file))
                .Where(hit => !Exempt(relative, hit.Line))
                .Select(hit => $"{relative}:{hit.Number}: {hit.Line.Trim()}"));
        }
        Assert.True(found.Count == 0, "Engine text names cmdlets; name a ShellAction instead:\n" + string.Join('\n', found));
    }

    [Fact]
    public void The_scan_finds_cmdlet_names_in_strings_and_skips_comments()
    {
        const string source = """
            /// <summary>Connect-CrmSync saves the profile.</summary>
            // Start-CrmSync runs this.
            var a = "see http://example.org"; // Stop-CrmSync
            /* Get-CrmField */ throw new X("Run Sync-CrmField first.");
            var b = $"Run {x} then Get-CrmSyncError";
            """;
        Assert.Equal([4, 5], CmdletNamesIn(source).Select(hit => hit.Number));
    }

    [Fact]
    public void No_engine_string_names_a_parameter()
    {
        var root = RepositoryRoot();
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src", "CrmSync.Engine"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal) || Exempt(relative, ""))
                continue;
            found.AddRange(ParameterNamesIn(File.ReadAllText(file)).Select(hit => $"{relative}:{hit.Number}: {hit.Line.Trim()}"));
        }
        Assert.True(found.Count == 0, "Engine strings name -Parameters; name a ShellParameter (ShellParameter.For, ShellAction.X.Parameter) instead:\n" +
                                      string.Join('\n', found));
    }

    [Fact]
    public void The_parameter_scan_looks_into_string_literals_only()
    {
        const string source = """
            /// <summary>Give -DatabasePath a file.</summary>
            var a = -TimeSpan.FromSeconds(1); // -Interval
            throw new X("Give -DatabasePath a file.");
            var b = $"{x} needs -Continuous";
            var c = "Sforce-Limit-Info" + '"' + "x-Request-Id";
            var d = $"{ShellParameter.For(ActionParameter.DatabasePath)}";
            """;
        Assert.Equal([3, 4], ParameterNamesIn(source).Select(hit => hit.Number));
    }

    /// <summary>The lines (1-based) with a string literal that names a -Parameter (a '-' and a capital, not inside a word).</summary>
    private static IEnumerable<(int Number, string Line)> ParameterNamesIn(string source)
    {
        var lines = BlockComment().Replace(source, m => new string('\n', m.Value.Count(c => c == '\n'))).Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (StringLiterals(lines[i]).Any(literal => ParameterName().IsMatch(literal)))
                yield return (i + 1, lines[i]);
    }

    [GeneratedRegex(@"(?<![\w-])-[A-Z][A-Za-z]+")]
    private static partial Regex ParameterName();

    // The contents of the string literals on one line (up to a // comment outside a string); char literals are skipped.
    private static IEnumerable<string> StringLiterals(string line)
    {
        var literal = new System.Text.StringBuilder();
        bool inString = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (!inString)
            {
                if (c == '/' && i + 1 < line.Length && line[i + 1] == '/')
                    yield break;
                if (c == '\'' && i + 2 < line.Length)
                {
                    i += line[i + 1] == '\\' ? 3 : 2;
                }
                else if (c == '"')
                {
                    inString = true;
                    literal.Clear();
                }
            }
            else if (c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                inString = false;
                yield return literal.ToString();
            }
            else
            {
                literal.Append(c);
            }
        }
    }

    /// <summary>The lines (1-based) whose code outside comments names a cmdlet: code identifiers hold no '-', so any hit is in a literal.</summary>
    private static IEnumerable<(int Number, string Line)> CmdletNamesIn(string source)
    {
        var lines = BlockComment().Replace(source, m => new string('\n', m.Value.Count(c => c == '\n'))).Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (CmdletName().IsMatch(WithoutLineComment(lines[i])))
                yield return (i + 1, lines[i]);
    }

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    // The line up to a // that is not inside a string literal.
    private static string WithoutLineComment(string line)
    {
        bool inString = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (inString && c == '\\')
                i++;
            else if (c == '"')
                inString = !inString;
            else if (!inString && c == '/' && i + 1 < line.Length && line[i + 1] == '/')
                return line[..i];
        }
        return line;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.sln")))
                return dir.FullName;
        throw new InvalidOperationException("CrmSync.sln not found above " + AppContext.BaseDirectory);
    }
}
