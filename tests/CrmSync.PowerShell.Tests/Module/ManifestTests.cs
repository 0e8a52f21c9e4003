using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>The hand-written manifest agrees with the built DLL, and the staged folder with the manifest.</summary>
public sealed class ManifestTests : IClassFixture<BuiltModule>
{
    private readonly BuiltModule module;
    private readonly ModuleManifest manifest = new(RepoLayout.ManifestPath);

    public ManifestTests(BuiltModule module) => this.module = module;

    [Fact]
    public void CmdletsToExport_equals_the_Cmdlet_classes_of_the_built_dll()
    {
        var exported = manifest.Array("CmdletsToExport");
        Assert.NotNull(exported);
        Assert.Equal(module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), exported!.Order(StringComparer.Ordinal));
        Assert.Equal(exported.Count, exported.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [InlineData("FunctionsToExport")]
    [InlineData("VariablesToExport")]
    [InlineData("AliasesToExport")]
    public void Nothing_but_cmdlets_is_exported(string key)
    {
        var items = manifest.Array(key);
        Assert.NotNull(items); // an explicit @(), never left out (left out means "export everything")
        Assert.Empty(items!);
    }

    [Fact]
    public void The_module_is_for_PowerShell_7_4_Core()
    {
        Assert.Equal(["Core"], manifest.Array("CompatiblePSEditions"));
        Assert.Equal("7.4", manifest.Scalar("PowerShellVersion"));
        Assert.Equal("CrmSync.PowerShell.dll", manifest.Scalar("RootModule"));
    }

    [Fact]
    public void The_manifest_version_is_the_assembly_version()
    {
        string version = manifest.Scalar("ModuleVersion")!;
        Assert.Equal(new Version(version + ".0"), module.CmdletAssembly.GetName().Version);
        Assert.Equal(new Version(version + ".0"), module.EngineAssembly.GetName().Version);
        string informational = module.CmdletAssembly.GetCustomAttributesData()
            .Single(a => a.AttributeType.FullName == typeof(AssemblyInformationalVersionAttribute).FullName)
            .ConstructorArguments[0].Value as string ?? "";
        Assert.Equal(version, informational.Split('+')[0]);
    }

    [Fact]
    public void The_staged_manifest_is_the_source_manifest()
    {
        Assert.Equal(File.ReadAllText(RepoLayout.ManifestPath), File.ReadAllText(Path.Combine(module.Directory, "CrmSync.psd1")));
    }

    [Fact]
    public void Every_listed_format_file_is_staged_well_formed_and_describes_real_types_and_properties()
    {
        var formats = manifest.Array("FormatsToProcess");
        Assert.NotNull(formats);
        Assert.Contains("CrmSync.format.ps1xml", formats!);
        foreach (string file in formats!)
        {
            string path = Path.Combine(module.Directory, file);
            Assert.True(File.Exists(path), $"{file} is listed in FormatsToProcess but not staged");
            XDocument document = XDocument.Load(path); // throws when not well-formed
            Assert.Equal("Configuration", document.Root!.Name.LocalName);

            var views = document.Descendants("View").ToList();
            Assert.NotEmpty(views);
            foreach (XElement view in views)
            {
                string typeName = view.Element("ViewSelectedBy")!.Element("TypeName")!.Value.Trim();
                Type? type = module.FindType(typeName);
                Assert.True(type is not null, $"view '{view.Element("Name")?.Value}' selects {typeName}, which is not in the module's assemblies");
                var properties = type!.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (XElement property in view.Descendants("PropertyName"))
                    Assert.True(properties.Contains(property.Value.Trim()), $"{typeName} has no property {property.Value}");

                XElement? table = view.Element("TableControl");
                if (table is not null)
                {
                    int headers = table.Element("TableHeaders")!.Elements("TableColumnHeader").Count();
                    foreach (XElement row in table.Descendants("TableColumnItems"))
                        Assert.Equal(headers, row.Elements("TableColumnItem").Count());
                }
            }
        }
    }

    /// <summary>The keys Test-ModuleManifest and Import-Module accept at the top of a module manifest (PowerShell 7).</summary>
    private static readonly HashSet<string> ManifestKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "RootModule", "ModuleVersion", "CompatiblePSEditions", "GUID", "Author", "CompanyName", "Copyright", "Description",
        "PowerShellVersion", "PowerShellHostName", "PowerShellHostVersion", "DotNetFrameworkVersion", "ClrVersion",
        "ProcessorArchitecture", "RequiredModules", "RequiredAssemblies", "ScriptsToProcess", "TypesToProcess", "FormatsToProcess",
        "NestedModules", "FunctionsToExport", "CmdletsToExport", "VariablesToExport", "AliasesToExport", "DscResourcesToExport",
        "ModuleList", "FileList", "PrivateData", "HelpInfoURI", "DefaultCommandPrefix",
    };

    [Fact]
    public void The_manifest_has_only_valid_keys_a_GUID_and_a_three_part_version()
    {
        var keys = Regex.Matches(File.ReadAllText(RepoLayout.ManifestPath), @"(?m)^ {4}(\w+)\s*=").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("RootModule", keys);
        Assert.All(keys, key => Assert.True(ManifestKeys.Contains(key), $"'{key}' is not a module manifest key: Import-Module refuses the manifest"));
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.True(Guid.TryParse(manifest.Scalar("GUID"), out Guid guid) && guid != Guid.Empty);
        Assert.Matches(@"^\d+\.\d+\.\d+$", manifest.Scalar("ModuleVersion"));
    }

    [Fact]
    public void The_root_module_carries_everything_so_nothing_is_loaded_twice()
    {
        // RequiredAssemblies would load the engine before the root module's import hook registers the SQLite resolver, and a
        // NestedModules entry for the root dll would import the cmdlets twice.
        foreach (string key in new[] { "RequiredAssemblies", "NestedModules", "ScriptsToProcess", "TypesToProcess", "RequiredModules" })
            Assert.DoesNotMatch($@"(?m)^\s*{key}\s*=", File.ReadAllText(RepoLayout.ManifestPath));
        Assert.True(File.Exists(Path.Combine(module.Directory, manifest.Scalar("RootModule")!)));
    }

    [Fact]
    public void Module_files_are_named_relative_to_the_module_folder()
    {
        foreach (string file in manifest.Array("FormatsToProcess")!.Append(manifest.Scalar("RootModule")!))
        {
            Assert.False(Path.IsPathRooted(file), $"{file} must be relative to the module folder");
            Assert.DoesNotContain("..", file, StringComparison.Ordinal);
            Assert.DoesNotContain("\\", file, StringComparison.Ordinal); // PowerShell on Linux takes a backslash literally
        }
    }

    [Fact]
    public void PrivateData_is_the_PSData_table_and_its_links_are_real_when_present()
    {
        string text = File.ReadAllText(RepoLayout.ManifestPath);
        Assert.Matches(@"(?s)PrivateData\s*=\s*@\{\s*PSData\s*=\s*@\{.*\}\s*\}", text);
        foreach (string key in new[] { "ProjectUri", "LicenseUri", "IconUri", "HelpInfoURI" })
        {
            string? value = manifest.Scalar(key);
            if (value is null)
                continue;
            Assert.True(Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) && uri.Scheme == Uri.UriSchemeHttps, $"{key} '{value}' is not an absolute https URI");
            Assert.False(uri!.Host.EndsWith(".invalid", StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith("example.com", StringComparison.OrdinalIgnoreCase)
                || uri.Host.EndsWith(".example", StringComparison.OrdinalIgnoreCase), $"{key} '{value}' points nowhere: leave it out until the project has a home");
        }
    }

    [Fact]
    public void The_about_topic_follows_PowerShells_about_help_layout()
    {
        // Get-Help finds about_ topics as <module>/<culture>/about_<Name>.help.txt; en-US is the fallback culture.
        string path = Path.Combine(module.Directory, "en-US", "about_CrmSync.help.txt");
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("TOPIC", lines[0].TrimEnd());
        Assert.Equal("about_CrmSync", lines[1].Trim());
        int shortDescription = Array.FindIndex(lines, l => l.TrimEnd() == "SHORT DESCRIPTION");
        int longDescription = Array.FindIndex(lines, l => l.TrimEnd() == "LONG DESCRIPTION");
        Assert.True(shortDescription > 1 && longDescription > shortDescription + 1, "TOPIC, SHORT DESCRIPTION, LONG DESCRIPTION in this order");
        Assert.All(File.ReadAllBytes(path), b => Assert.True(b < 0x80, "about help is plain ASCII (no BOM, no smart quotes)"));
    }

    [Fact]
    public void The_format_file_follows_PowerShells_format_schema()
    {
        var problems = new List<string>();
        foreach (string file in manifest.Array("FormatsToProcess")!)
        {
            XDocument document = XDocument.Load(Path.Combine(module.Directory, file));
            XElement root = document.Root!;
            if (root.Elements().Any(e => e.Name.LocalName is not ("SelectionSets" or "Controls" or "ViewDefinitions" or "DefaultSettings")))
                problems.Add("<Configuration> has an element the schema does not know");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (XElement view in root.Element("ViewDefinitions")!.Elements())
                problems.AddRange(FormatViewProblems(view, names).Select(p => $"{file}: {p}"));
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>The rules PowerShell's format loader applies to one &lt;View&gt; (and that a test can check without it).</summary>
    private IEnumerable<string> FormatViewProblems(XElement view, HashSet<string> viewNames)
    {
        if (view.Name.LocalName != "View")
        {
            yield return $"<ViewDefinitions> holds <{view.Name.LocalName}>; only <View> is allowed";
            yield break;
        }
        string[] order = view.Elements().Select(e => e.Name.LocalName).ToArray();
        string name = view.Element("Name")?.Value.Trim() ?? "";
        string[] controls = ["TableControl", "ListControl", "WideControl", "CustomControl"];
        if (order.Length < 3 || order[0] != "Name" || order[1] != "ViewSelectedBy" || !controls.Contains(order[^1])
            || order.Skip(2).SkipLast(1).Any(e => e is not ("GroupBy" or "OutOfBand")) || order.Count(controls.Contains) != 1)
            yield return $"view '{name}': children must be Name, ViewSelectedBy, [GroupBy], one control; found {string.Join(", ", order)}";
        if (name.Length == 0 || !viewNames.Add(name))
            yield return $"view '{name}': the name is empty or used twice";

        var selected = view.Element("ViewSelectedBy")?.Elements().ToList() ?? [];
        if (selected.Count == 0 || selected.Any(e => e.Name.LocalName is not ("TypeName" or "SelectionSetName")))
            yield return $"view '{name}': ViewSelectedBy must list TypeName elements";
        Type? type = selected.Where(e => e.Name.LocalName == "TypeName").Select(e => module.FindType(e.Value.Trim())).FirstOrDefault();
        if (type is null)
        {
            yield return $"view '{name}': its TypeName is not a full type name of the module's assemblies";
            yield break;
        }
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        if (view.Element("GroupBy") is XElement groupBy && groupBy.Elements().Count(e => e.Name.LocalName is "PropertyName" or "ScriptBlock") != 1)
            yield return $"view '{name}': GroupBy needs exactly one PropertyName or ScriptBlock";

        foreach (XElement script in view.Descendants("ScriptBlock"))
        {
            // the first $_.Member of an expression is a property of the formatted object (later ones may be of nested objects)
            Match first = Regex.Match(script.Value, @"\$_\.(\w+)");
            if (first.Success && !properties.Contains(first.Groups[1].Value))
                yield return $"view '{name}': script {script.Value.Trim()} reads {type.Name}.{first.Groups[1].Value}, which does not exist";
        }

        if (view.Element("TableControl") is not XElement table)
            yield break;
        string[] tableOrder = table.Elements().Select(e => e.Name.LocalName).ToArray();
        if (tableOrder.Where(e => e is not ("AutoSize" or "HideTableHeaders")).SequenceEqual(["TableHeaders", "TableRowEntries"]) is false)
            yield return $"view '{name}': TableControl must hold TableHeaders then TableRowEntries";
        var headers = table.Element("TableHeaders")?.Elements().ToList() ?? [];
        foreach (XElement header in headers)
        {
            if (header.Name.LocalName != "TableColumnHeader" || header.Elements().Any(e => e.Name.LocalName is not ("Label" or "Width" or "Alignment")))
                yield return $"view '{name}': a table header may hold only Label, Width and Alignment";
            if (header.Element("Alignment") is XElement alignment && alignment.Value.Trim() is not ("Left" or "Right" or "Center"))
                yield return $"view '{name}': Alignment '{alignment.Value}' is not Left, Right or Center";
            if (header.Element("Width") is XElement width && !(int.TryParse(width.Value, out int w) && w > 0))
                yield return $"view '{name}': Width '{width.Value}' is not a positive number";
        }
        var rows = table.Element("TableRowEntries")?.Elements("TableRowEntry").ToList() ?? [];
        if (rows.Count == 0)
            yield return $"view '{name}': TableRowEntries has no TableRowEntry";
        foreach (XElement row in rows)
        {
            var items = row.Element("TableColumnItems")?.Elements().ToList() ?? [];
            if (items.Count != headers.Count)
                yield return $"view '{name}': {headers.Count} headers but {items.Count} column items";
            foreach (XElement item in items)
            {
                if (item.Name.LocalName != "TableColumnItem"
                    || item.Elements().Count(e => e.Name.LocalName is "PropertyName" or "ScriptBlock") != 1
                    || item.Elements().Any(e => e.Name.LocalName is not ("PropertyName" or "ScriptBlock" or "FormatString" or "Alignment")))
                    yield return $"view '{name}': a TableColumnItem needs exactly one PropertyName or ScriptBlock";
            }
        }
    }

    [Theory]
    [InlineData("CrmSync.format.ps1xml")]
    [InlineData("en-US/about_CrmSync.help.txt")]
    public void The_staged_module_content_is_the_source_in_module_folder(string file)
    {
        string source = Path.Combine(RepoLayout.RepoRoot, "module", file);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Combine(module.Directory, file)));
    }

    [Fact]
    public void The_about_help_is_staged()
    {
        string help = Path.Combine(module.Directory, "en-US", "about_CrmSync.help.txt");
        Assert.True(File.Exists(help));
        string text = File.ReadAllText(help);
        Assert.Contains("about_CrmSync", text, StringComparison.Ordinal);
        foreach (string cmdlet in manifest.Array("CmdletsToExport")!)
            Assert.Contains(cmdlet, text, StringComparison.Ordinal);
    }
}
