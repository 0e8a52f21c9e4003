using System.Text.RegularExpressions;

namespace CrmSync.Engine.Tests.Architecture;

/// <summary>
/// Issue 11, item 5: the Store owns its tables. Outside <c>Engine/Store/</c> no source holds SQL on the outbox, the capture
/// base, the error log, the conflict journal or the run history; it goes through their Store types.
/// </summary>
public sealed partial class StoreTablesTests
{
    [GeneratedRegex(@"\bcrmsync_(outbox|capture_base|error|conflict|run|run_count)\b")]
    private static partial Regex StoreTable();

    /// <summary>The change-capture triggers are SQL that SQLite runs, created by the push's capture for each synced table.</summary>
    private static bool Exempt(string relative) => relative.EndsWith("Push/ChangeCapture.cs", StringComparison.Ordinal);

    [Fact]
    public void No_source_outside_the_store_holds_sql_on_its_tables()
    {
        var root = RepositoryRoot();
        var engine = Path.Combine(root, "src", "CrmSync.Engine");
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("src/CrmSync.Engine/Store/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal) ||
                relative.Contains("/bin/", StringComparison.Ordinal) || Exempt(relative))
                continue;
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (!lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal) && StoreTable().IsMatch(lines[i]))
                    found.Add($"{relative}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.True(found.Count == 0, "SQL on the Store's tables outside Engine/Store; use their Store types:\n" + string.Join('\n', found));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.sln")))
                return dir.FullName;
        throw new InvalidOperationException("CrmSync.sln not found above " + AppContext.BaseDirectory);
    }
}
