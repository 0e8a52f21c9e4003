using System.Reflection;
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
