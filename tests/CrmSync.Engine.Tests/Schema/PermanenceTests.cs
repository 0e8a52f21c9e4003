using System.Reflection;
using System.Text.RegularExpressions;
using CrmSync.Engine.Schema;

namespace CrmSync.Engine.Tests.Schema;

/// <summary>Created fields, tables and catalog rows are permanent: no code path of the schema code can remove one.</summary>
public sealed class PermanenceTests
{
    private static readonly string[] HandlerFiles = ["SyncFieldsCommand.cs", "GetFieldCommand.cs", "GetFieldMappingCommand.cs", "SetFieldMappingCommand.cs"];

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.sln")))
                return dir.FullName;
        throw new InvalidOperationException("The repository root (CrmSync.sln) was not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_schema_code_contains_no_statement_that_drops_or_deletes()
    {
        var engine = Path.Combine(RepoRoot(), "src", "CrmSync.Engine");
        var files = Directory.GetFiles(Path.Combine(engine, "Schema"), "*.cs")
            .Concat(HandlerFiles.Select(f => Path.Combine(engine, "Commands", f)))
            .ToList();
        Assert.True(files.Count >= 10, "the schema sources were not found");
        var forbidden = new Regex(@"\bDROP\s+(TABLE|COLUMN|INDEX|TRIGGER|VIEW)\b|\bDELETE\s+FROM\b|\bALTER\s+TABLE\b[^;""]*\b(DROP|RENAME)\b|\bREPLACE\s+INTO\b|\bTRUNCATE\b",
            RegexOptions.IgnoreCase);
        foreach (var file in files)
        {
            Assert.True(File.Exists(file), file);
            var text = File.ReadAllText(file);
            var match = forbidden.Match(text);
            Assert.False(match.Success, $"{Path.GetFileName(file)} contains '{match.Value}'");
        }
        // the pattern itself does catch what it must
        Assert.Matches(forbidden, "ALTER TABLE person DROP COLUMN Email");
        Assert.Matches(forbidden, "delete from crmsync_field_catalog");
    }

    [Fact]
    public void The_sync_code_drops_nothing_but_the_deferred_email_index()
    {
        var sync = Path.Combine(RepoRoot(), "src", "CrmSync.Engine", "Sync");
        var files = Directory.GetFiles(sync, "*.cs");
        Assert.True(files.Length >= 10, "the sync sources were not found");
        var drop = new Regex(@"\bDROP\s+(TABLE|COLUMN|INDEX|TRIGGER|VIEW)\b|\bALTER\s+TABLE\b[^;""]*\b(DROP|RENAME)\b", RegexOptions.IgnoreCase);
        var dropping = files.Where(f => drop.IsMatch(File.ReadAllText(f))).Select(Path.GetFileName).ToList();
        Assert.Equal(["DeferredIndex.cs"], dropping);
        var only = drop.Matches(File.ReadAllText(Path.Combine(sync, "DeferredIndex.cs"))).Select(m => m.Value.ToUpperInvariant()).Distinct().ToList();
        Assert.Equal(["DROP INDEX"], only);
    }

    [Fact]
    public void No_public_schema_method_is_named_like_a_removal()
    {
        var types = typeof(FieldSyncApplier).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(FieldSyncApplier).Namespace
                        || (t.Namespace == "CrmSync.Engine.Commands" && HandlerFiles.Contains(t.Name + ".cs")))
            .ToList();
        Assert.Contains(typeof(FieldSyncApplier), types);
        Assert.Contains(typeof(CrmSync.Engine.Commands.SyncFieldsCommand), types);
        var removal = new Regex("^(Drop|Remove|Delete|Truncate|Clear|Purge)", RegexOptions.IgnoreCase);
        var offenders = types
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => removal.IsMatch(m.Name))
            .Select(m => m.DeclaringType!.Name + "." + m.Name)
            .ToList();
        Assert.Empty(offenders);
    }
}
