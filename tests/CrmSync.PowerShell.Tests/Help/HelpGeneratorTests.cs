using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using CrmSync.HelpGenerator;
using CrmSync.PowerShell.Tests.Module;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Help;

/// <summary>
/// The help generator over the built cmdlet assembly and its documentation file: complete documentation gives the staged
/// file byte for byte; each kind of missing text is reported by name, and the program then fails without writing.
/// </summary>
public sealed class HelpGeneratorTests : IClassFixture<BuiltModule>, IDisposable
{
    private const string Cmdlets = "CrmSync.PowerShell.Cmdlets.";
    private readonly BuiltModule module;
    private readonly TempDirectory temp = new();

    public HelpGeneratorTests(BuiltModule module) => this.module = module;

    public void Dispose() => temp.Dispose();

    /// <summary>The cmdlet assembly and its documentation file as the compiler wrote them (copied beside the tests).</summary>
    private static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "CrmSync.PowerShell.dll");

    private static string DocumentationPath => Path.Combine(AppContext.BaseDirectory, "CrmSync.PowerShell.xml");

    private static IReadOnlyList<string> References()
    {
        var paths = new List<string> { RepoLayout.PowerShellReferenceAssembly };
        paths.AddRange(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"));
        paths.AddRange(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
        return paths;
    }

    private string DocumentationWithout(Func<XDocument, IEnumerable<XObject>> remove)
    {
        XDocument doc = XDocument.Load(DocumentationPath, LoadOptions.PreserveWhitespace);
        var doomed = remove(doc).ToList();
        Assert.NotEmpty(doomed); // the test must really take something away
        foreach (XObject node in doomed)
        {
            if (node is XAttribute attribute)
                attribute.Remove();
            else
                ((XNode)node).Remove();
        }
        string path = Path.Combine(temp.Path, $"doc-{Guid.NewGuid():n}.xml");
        doc.Save(path);
        return path;
    }

    private static XElement Member(XDocument doc, string name) =>
        doc.Root!.Element("members")!.Elements("member").Single(m => (string?)m.Attribute("name") == name);

    private static List<string> Problems(string documentationPath)
    {
        var problems = new List<string>();
        Program.Build(AssemblyPath, documentationPath, References(), RepoLayout.ManifestPath, problems);
        return problems;
    }

    [Fact]
    public void The_cmdlets_documentation_is_complete_and_gives_the_staged_help_file()
    {
        string output = Path.Combine(temp.Path, "en-US", "CrmSync.PowerShell.dll-Help.xml");
        var problems = new List<string>();
        bool ok = Program.Generate(AssemblyPath, DocumentationPath, References(), RepoLayout.ManifestPath, output, problems, out bool written);
        Assert.True(ok, string.Join(Environment.NewLine, problems));
        Assert.True(written);
        // the staged file is what the current source generates: nobody edited it by hand, and the build did not skip it
        Assert.Equal(File.ReadAllBytes(StagedHelpTests.HelpPath(module)), File.ReadAllBytes(output));

        // generating again leaves an unchanged file alone (incremental builds copy nothing)
        DateTime before = File.GetLastWriteTimeUtc(output);
        Assert.True(Program.Generate(AssemblyPath, DocumentationPath, References(), RepoLayout.ManifestPath, output, problems, out written));
        Assert.False(written);
        Assert.Equal(before, File.GetLastWriteTimeUtc(output));
    }

    [Fact]
    public void A_parameter_without_a_description_is_named()
    {
        var problems = Problems(DocumentationWithout(doc => [Member(doc, $"P:{Cmdlets}ConnectCrmSyncCommand.SecurityToken")]));
        string problem = Assert.Single(problems);
        Assert.Contains("Connect-CrmSync -SecurityToken has no description", problem, StringComparison.Ordinal);
        Assert.Contains("ConnectCrmSyncCommand.SecurityToken", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inherited_parameter_without_a_description_is_named_for_every_cmdlet()
    {
        var problems = Problems(DocumentationWithout(doc => [Member(doc, "P:CrmSync.PowerShell.Hosting.ConnectedCrmSyncCmdlet.DatabasePath")]));
        Assert.Equal(module.Cmdlets.Count, problems.Count);
        Assert.All(module.Cmdlets, c => Assert.Contains(problems, p => p.Contains($"{c.Name} -DatabasePath has no description", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("StopCrmSyncCommand", "summary", "Stop-CrmSync (CrmSync.PowerShell.Cmdlets.StopCrmSyncCommand) has no synopsis")]
    [InlineData("GetCrmSyncStatusCommand", "remarks", "Get-CrmSyncStatus (CrmSync.PowerShell.Cmdlets.GetCrmSyncStatusCommand) has no description")]
    [InlineData("StartCrmSyncCommand", "example", "Start-CrmSync (CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand) has no example")]
    [InlineData("FindCrmDuplicateCommand", "output", "declares [OutputType(CrmSync.Engine.Reports.CrmDuplicateGroup)]")]
    [InlineData("DisconnectCrmSyncCommand", "input", "Disconnect-CrmSync (CrmSync.PowerShell.Cmdlets.DisconnectCrmSyncCommand) takes pipeline input")]
    public void A_cmdlet_without_a_section_is_named(string type, string element, string expected)
    {
        var problems = Problems(DocumentationWithout(doc => Member(doc, "T:" + Cmdlets + type).Elements(element)));
        string problem = Assert.Single(problems);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_example_without_explanation_is_named()
    {
        var problems = Problems(DocumentationWithout(doc =>
            Member(doc, $"T:{Cmdlets}SyncCrmFieldCommand").Elements("example").First().Elements("para")));
        Assert.Contains("Sync-CrmField (CrmSync.PowerShell.Cmdlets.SyncCrmFieldCommand): example 1 needs a <title>, a <code> block and a paragraph", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_optional_value_type_parameter_without_a_default_is_named()
    {
        var problems = Problems(DocumentationWithout(doc => Member(doc, $"P:{Cmdlets}StartCrmSyncCommand.Interval").Elements("default")));
        Assert.Contains("Start-CrmSync -Interval is an optional TimeSpan: add /// <default>", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void The_program_fails_with_MSBuild_error_lines_and_writes_nothing()
    {
        string documentation = DocumentationWithout(doc => [Member(doc, $"P:{Cmdlets}ConnectCrmSyncCommand.SecurityToken")]);
        string references = Path.Combine(temp.Path, "references.txt");
        File.WriteAllLines(references, References());
        string output = Path.Combine(temp.Path, "out", "CrmSync.PowerShell.dll-Help.xml");

        var (exitCode, stdout, stderr) = RunGenerator("--assembly", AssemblyPath, "--documentation", documentation, "--references", references,
            "--manifest", RepoLayout.ManifestPath, "--output", output);

        Assert.Equal(1, exitCode);
        // "origin : error CODE: text" is the canonical format MSBuild's Exec task turns into build errors
        Assert.Contains("CrmSync help : error CRMHELP001: Connect-CrmSync -SecurityToken has no description", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output), stdout);
    }

    [Fact]
    public void The_program_writes_the_help_file_when_nothing_is_missing()
    {
        string references = Path.Combine(temp.Path, "references.txt");
        File.WriteAllLines(references, References());
        string output = Path.Combine(temp.Path, "out", "CrmSync.PowerShell.dll-Help.xml");

        var (exitCode, stdout, stderr) = RunGenerator("--assembly", AssemblyPath, "--documentation", DocumentationPath, "--references", references,
            "--manifest", RepoLayout.ManifestPath, "--output", output);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("CrmSync help written", stdout, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(StagedHelpTests.HelpPath(module)), File.ReadAllBytes(output));
    }

    [Fact]
    public void Wrong_arguments_exit_2()
    {
        var (exitCode, _, stderr) = RunGenerator("--assembly", AssemblyPath);
        Assert.Equal(2, exitCode);
        Assert.Contains("error CRMHELP002: --documentation is required", stderr, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Stdout, string Stderr) RunGenerator(params string[] arguments)
    {
        string generator = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(Path.ChangeExtension(generator, ".runtimeconfig.json"));
        start.ArgumentList.Add(generator);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "the generator did not finish within 2 minutes");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
