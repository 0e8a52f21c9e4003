using System.Xml.Linq;
using CrmSync.PowerShell.Tests.Module;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Help;

/// <summary>
/// The MAML help the build staged (en-US/CrmSync.PowerShell.dll-Help.xml) against the built DLL and the manifest: every
/// exported cmdlet, every parameter, every parameter set, with text. Real PowerShell reads it in tests/pester/Help.Tests.ps1.
/// </summary>
public sealed class StagedHelpTests : IClassFixture<BuiltModule>
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private readonly BuiltModule module;
    private readonly XDocument help;

    public StagedHelpTests(BuiltModule module)
    {
        this.module = module;
        string path = HelpPath(module);
        Assert.True(File.Exists(path), $"{path} does not exist: build src/CrmSync.PowerShell first (the build generates and stages it)");
        help = XDocument.Load(path);
    }

    public static string HelpPath(BuiltModule module) => Path.Combine(module.Directory, "en-US", "CrmSync.PowerShell.dll-Help.xml");

    private XElement CommandOf(string name) =>
        help.Root!.Elements(Command + "command").SingleOrDefault(c => (string?)c.Element(Command + "details")?.Element(Command + "name") == name)
        ?? throw new Xunit.Sdk.XunitException($"{name} is not in the help file");

    private static string Text(XElement? element) =>
        element is null ? "" : string.Join("\n", element.Elements(Maml + "para").Select(p => p.Value)).Trim();

    [Fact]
    public void The_help_file_is_MAML()
    {
        XElement root = help.Root!;
        Assert.Equal(Msh + "helpItems", root.Name);
        Assert.Equal("maml", (string?)root.Attribute("schema"));
        Assert.NotEmpty(root.Elements());
        Assert.All(root.Elements(), c => Assert.Equal(Command + "command", c.Name));
        foreach (XElement command in root.Elements())
        {
            // the sections in the order PowerShell's own (platyPS) help files have them
            var sections = command.Elements().Select(e => e.Name).ToList();
            Assert.Equal(
                [Command + "details", Maml + "description", Command + "syntax", Command + "parameters", Command + "inputTypes",
                 Command + "returnValues", Maml + "alertSet", Command + "examples", Command + "relatedLinks"],
                sections);
            XElement details = command.Element(Command + "details")!;
            string name = details.Element(Command + "name")!.Value;
            Assert.Equal(name, $"{details.Element(Command + "verb")!.Value}-{details.Element(Command + "noun")!.Value}");
            foreach (XElement parameter in command.Descendants(Command + "parameter"))
            {
                foreach (string attribute in new[] { "required", "variableLength", "globbing", "pipelineInput", "position", "aliases" })
                    Assert.NotNull(parameter.Attribute(attribute));
                Assert.NotNull(parameter.Element(Dev + "type")?.Element(Maml + "name"));
                Assert.NotNull(parameter.Element(Dev + "defaultValue"));
            }
        }
    }

    [Fact]
    public void Every_exported_cmdlet_has_exactly_one_help_entry()
    {
        var exported = new ModuleManifest(RepoLayout.ManifestPath).Array("CmdletsToExport")!;
        var documented = help.Root!.Elements(Command + "command").Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value).ToList();
        Assert.Equal(exported.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_cmdlet_has_a_synopsis_a_description_examples_inputs_and_its_outputs()
    {
        foreach (CmdletFacts cmdlet in module.Cmdlets)
        {
            XElement command = CommandOf(cmdlet.Name);
            string synopsis = Text(command.Element(Command + "details")!.Element(Maml + "description"));
            Assert.True(synopsis.Length > 20 && !synopsis.StartsWith(cmdlet.Name, StringComparison.Ordinal), $"{cmdlet.Name}: synopsis '{synopsis}'");
            Assert.True(Text(command.Element(Maml + "description")).Length > 100, $"{cmdlet.Name}: no description");

            var examples = command.Element(Command + "examples")!.Elements(Command + "example").ToList();
            Assert.True(examples.Count >= 1, $"{cmdlet.Name}: no example");
            foreach (XElement example in examples)
            {
                Assert.Contains(cmdlet.Name, example.Element(Dev + "code")!.Value, StringComparison.Ordinal);
                Assert.StartsWith("-------------------------- Example ", example.Element(Maml + "title")!.Value, StringComparison.Ordinal);
                Assert.True(Text(example.Element(Dev + "remarks")).Length > 20, $"{cmdlet.Name}: an example without explanation");
            }

            var outputs = command.Element(Command + "returnValues")!.Elements(Command + "returnValue")
                .ToDictionary(o => o.Element(Dev + "type")!.Element(Maml + "name")!.Value, o => Text(o.Element(Maml + "description")));
            Assert.Equal(cmdlet.OutputTypes.Order(StringComparer.Ordinal), outputs.Keys.Order(StringComparer.Ordinal));
            Assert.All(outputs.Values, Assert.NotEmpty);
            var inputs = command.Element(Command + "inputTypes")!.Elements(Command + "inputType").ToList();
            Assert.NotEmpty(inputs);
            Assert.All(inputs, i => Assert.NotEmpty(Text(i.Element(Maml + "description"))));
        }
    }

    [Fact]
    public void Every_parameter_is_documented_with_its_metadata()
    {
        foreach (CmdletFacts cmdlet in module.Cmdlets)
        {
            var documented = CommandOf(cmdlet.Name).Element(Command + "parameters")!.Elements(Command + "parameter")
                .ToDictionary(p => p.Element(Maml + "name")!.Value);
            var expected = cmdlet.Parameters.Select(p => p.Name).ToList();
            if (cmdlet.SupportsShouldProcess)
                expected.AddRange(["WhatIf", "Confirm"]);
            Assert.Equal(expected.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, parameter) in documented)
            {
                Assert.True(Text(parameter.Element(Maml + "description")).Length > 10, $"{cmdlet.Name} -{name} has no description");
                ParameterFacts? facts = cmdlet.Parameters.SingleOrDefault(p => p.Name == name);
                if (facts is not null)
                {
                    string shownType = parameter.Element(Dev + "type")!.Element(Maml + "name")!.Value;
                    Assert.Contains(shownType, facts.TypeFullName, StringComparison.Ordinal); // Nullable<T> is shown as T
                    Assert.Equal(facts.FromPipelineByPropertyName ? "True (ByPropertyName)" : "False", (string?)parameter.Attribute("pipelineInput"));
                }
            }
        }
    }

    [Fact]
    public void There_is_one_syntax_block_per_parameter_set_the_default_first()
    {
        foreach (CmdletFacts cmdlet in module.Cmdlets)
        {
            var sets = cmdlet.Parameters.SelectMany(p => p.ParameterSetNames).Where(s => s != CmdletRules.AllParameterSets).Distinct().ToList();
            var items = CommandOf(cmdlet.Name).Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
            Assert.Equal(Math.Max(1, sets.Count), items.Count);
            foreach (XElement item in items)
            {
                Assert.Equal(cmdlet.Name, item.Element(Maml + "name")!.Value);
                var names = item.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value).ToList();
                Assert.Equal(names.Count, names.Distinct().Count());
                Assert.Equal(cmdlet.SupportsShouldProcess, names.Contains("WhatIf") && names.Contains("Confirm"));
            }
        }
    }

    [Fact]
    public void Connect_CrmSync_syntax_shows_the_four_logins_and_takes_secrets_only_as_secure_types()
    {
        XElement connect = CommandOf("Connect-CrmSync");
        var items = connect.Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
        XElement ByName(XElement item, string name) => item.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == name);

        // the default set (SalesforceUser) first: -Credential mandatory there
        Assert.Equal("true", (string?)ByName(items[0], "Credential").Attribute("required"));
        Assert.Contains(items, i => i.Elements(Command + "parameter").Any(p => p.Element(Maml + "name")!.Value == "ClientCredentials"
                                                                          && (string?)p.Attribute("required") == "true"));
        var parameters = connect.Element(Command + "parameters")!.Elements(Command + "parameter").ToDictionary(p => p.Element(Maml + "name")!.Value);
        Assert.Equal("System.Management.Automation.PSCredential", parameters["Credential"].Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("System.Security.SecureString", parameters["SecurityToken"].Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("System.Security.SecureString", parameters["ClientSecret"].Element(Dev + "type")!.Element(Maml + "name")!.Value);
        // -Credential is mandatory in both sets that have it (SalesforceUser, DynamicsUser); -ClientId only with -ClientCredentials
        Assert.Equal("true", (string?)parameters["Credential"].Attribute("required"));
        Assert.Equal("false", (string?)parameters["ClientId"].Attribute("required"));
        Assert.Equal(4, items.Count);
        Assert.Contains(items, i => i.Elements(Command + "parameter").Any(p => p.Element(Maml + "name")!.Value == "TenantId"
                                                                          && (string?)p.Attribute("required") == "true"));
        // enum values are offered as a value group, shown by Get-Help as {Salesforce | Dynamics}
        Assert.Equal(["Salesforce", "Dynamics"],
            parameters["Crm"].Element(Command + "parameterValueGroup")!.Elements(Command + "parameterValue").Select(v => v.Value));
        Assert.Equal("CurrentUser", parameters["Scope"].Element(Dev + "defaultValue")!.Value);
        Assert.Equal("default", parameters["Profile"].Element(Dev + "defaultValue")!.Value);
    }

    [Fact]
    public void Positions_aliases_wildcards_and_defaults_come_from_the_attributes()
    {
        var set = CommandOf("Set-CrmFieldMapping").Element(Command + "parameters")!.Elements(Command + "parameter").ToDictionary(p => p.Element(Maml + "name")!.Value);
        Assert.Equal("0", (string?)set["Object"].Attribute("position"));
        Assert.Equal("ObjectName", (string?)set["Object"].Attribute("aliases"));
        Assert.Equal("1", (string?)set["Field"].Attribute("position"));
        Assert.Equal("named", (string?)set["Path"].Attribute("position"));

        var field = CommandOf("Get-CrmField").Element(Command + "parameters")!.Elements(Command + "parameter").ToDictionary(p => p.Element(Maml + "name")!.Value);
        Assert.Equal("true", (string?)field["Name"].Attribute("globbing"));
        Assert.Equal("true", (string?)field["Name"].Attribute("variableLength"));
        Assert.Equal("false", (string?)field["Profile"].Attribute("globbing"));

        var start = CommandOf("Start-CrmSync").Element(Command + "parameters")!.Elements(Command + "parameter").ToDictionary(p => p.Element(Maml + "name")!.Value);
        Assert.StartsWith("00:05:00", start["Interval"].Element(Dev + "defaultValue")!.Value, StringComparison.Ordinal);
        Assert.Equal("False", start["Continuous"].Element(Dev + "defaultValue")!.Value);
        Assert.Equal("50000", start["BulkThreshold"].Element(Dev + "defaultValue")!.Value);
        var conflict = CommandOf("Get-CrmSyncConflict").Element(Command + "parameters")!.Elements(Command + "parameter").ToDictionary(p => p.Element(Maml + "name")!.Value);
        Assert.Equal("None", conflict["RunId"].Element(Dev + "defaultValue")!.Value);
        Assert.Equal("wi", (string?)start["WhatIf"].Attribute("aliases"));
    }

    [Fact]
    public void The_examples_show_real_use()
    {
        string Code(string cmdlet) => string.Join("\n", CommandOf(cmdlet).Descendants(Dev + "code").Select(c => c.Value));
        Assert.Contains("Connect-CrmSync -Credential $cred -SecurityToken $token", Code("Connect-CrmSync"), StringComparison.Ordinal);
        Assert.Contains("Read-Host -AsSecureString", Code("Connect-CrmSync"), StringComparison.Ordinal);
        Assert.Contains("Sync-CrmField -WhatIf", Code("Sync-CrmField"), StringComparison.Ordinal);
        Assert.Contains("Register-ScheduledTask", Code("Start-CrmSync"), StringComparison.Ordinal);
        Assert.Contains("Start-CrmSync -Profile prod | Get-CrmSyncError", Code("Get-CrmSyncError"), StringComparison.Ordinal);
        // code is shown as typed: no leftover indentation from the /// comments
        Assert.All(help.Descendants(Dev + "code"), c => Assert.False(c.Value.StartsWith(' '), c.Value));
    }
}
