using System.Text.RegularExpressions;
using CrmSync.Engine.Commands;

namespace CrmSync.Engine.Tests.Architecture;

/// <summary>
/// Issue 11, item 6: one composition root (<see cref="CommandHandlers"/>) builds every command handler for both shells, so
/// the cmdlets and the crmsync verbs never wire a handler (or its connector) themselves.
/// </summary>
public sealed class CompositionRootTests
{
    private static readonly string[] ShellFolders = [Path.Combine("src", "CrmSync.PowerShell"), Path.Combine("src", "CrmSync.Cli")];

    [Fact]
    public void Every_engine_handler_has_a_method_on_the_composition_root()
    {
        var built = typeof(CommandHandlers).GetMethods().Select(m => m.ReturnType).ToHashSet();
        var handlers = typeof(ICommandHandler).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(ICommandHandler).IsAssignableFrom(t))
            .Where(t => t != typeof(SyncFieldsCommand)); // built behind CommandHandlers.SyncFields, which owns its CRM client
        Assert.Empty(handlers.Where(t => !built.Contains(t)).Select(t => t.Name));
    }

    [Fact]
    public void No_shell_source_builds_an_engine_handler_or_a_connector_itself()
    {
        var handlerNames = typeof(ICommandHandler).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICommandHandler).IsAssignableFrom(t))
            .Select(t => Regex.Escape(t.Name));
        var wiring = new Regex($@"\bnew\s+({string.Join('|', handlerNames)})\s*\(|\b\w+Command\.ForEnvironment\(|ProfileConnector\.ForEnvironment\(|new\s+SchemaReaderLease\(");
        var root = RepositoryRoot();
        var found = new List<string>();
        foreach (var folder in ShellFolders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/Demo/", StringComparison.Ordinal))
                    continue;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                    if (!lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal) && wiring.IsMatch(lines[i]))
                        found.Add($"{relative}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(found.Count == 0, "Shells wire handlers themselves; take them from CommandHandlers instead:\n" + string.Join('\n', found));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.sln")))
                return dir.FullName;
        throw new InvalidOperationException("CrmSync.sln not found above " + AppContext.BaseDirectory);
    }
}
