using System.Text.RegularExpressions;

namespace CrmSync.HelpGenerator;

/// <summary>
/// crmsync-helpgen --assembly CrmSync.PowerShell.dll --documentation CrmSync.PowerShell.xml --references refs.txt
///                 --manifest CrmSync.psd1 --output en-US/CrmSync.PowerShell.dll-Help.xml
/// Exit 0: help written (or unchanged). Exit 1: help text is missing; each gap is printed as an MSBuild error line.
/// Exit 2: wrong arguments or unreadable input.
/// </summary>
internal static class Program
{
    private const string ErrorPrefix = "CrmSync help : error CRMHELP001: ";

    public static int Main(string[] args)
    {
        try
        {
            var options = ParseArguments(args);
            var problems = new List<string>();
            if (!Generate(options["--assembly"], options["--documentation"], File.ReadAllLines(options["--references"]).Where(l => l.Trim().Length > 0),
                    options.GetValueOrDefault("--manifest"), options["--output"], problems, out bool written))
            {
                foreach (string problem in problems)
                    Console.Error.WriteLine(ErrorPrefix + problem);
                Console.Error.WriteLine(ErrorPrefix + $"{problems.Count} piece(s) of help text are missing; Get-Help would show nothing for them. Nothing was written.");
                return 1;
            }
            Console.WriteLine(written ? $"CrmSync help written to {options["--output"]}" : $"CrmSync help unchanged: {options["--output"]}");
            return 0;
        }
        catch (Exception error) when (error is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException
                                          or System.Xml.XmlException or BadImageFormatException or FileNotFoundException)
        {
            Console.Error.WriteLine("CrmSync help : error CRMHELP002: " + error.Message);
            return 2;
        }
    }

    /// <summary>Builds and validates the help; writes it only when nothing is missing.</summary>
    public static bool Generate(string assemblyPath, string documentationPath, IEnumerable<string> references, string? manifestPath,
        string outputPath, List<string> problems, out bool written)
    {
        written = false;
        var help = Build(assemblyPath, documentationPath, references, manifestPath, problems);
        if (problems.Count > 0)
            return false;
        written = MamlWriter.Write(MamlWriter.ToMaml(help), outputPath);
        return true;
    }

    public static IReadOnlyList<CmdletHelp> Build(string assemblyPath, string documentationPath, IEnumerable<string> references,
        string? manifestPath, List<string> problems)
    {
        using var reader = new CmdletReader(assemblyPath, references);
        var cmdlets = reader.ReadCmdlets();
        var byType = cmdlets.ToDictionary(c => c.DocumentationId, c => c.Name, StringComparer.Ordinal);
        var docs = new DocComments(documentationPath, id => byType.GetValueOrDefault(id));
        if (manifestPath is not null)
        {
            foreach (string exported in ExportedCmdlets(File.ReadAllText(manifestPath)).Where(e => !byType.ContainsValue(e)))
                problems.Add($"{Path.GetFileName(manifestPath)} exports {exported}, but {Path.GetFileName(assemblyPath)} has no such cmdlet.");
        }
        return HelpBuilder.Build(cmdlets, docs, problems);
    }

    /// <summary>The names in CmdletsToExport = @( ... ) of a module manifest.</summary>
    public static IReadOnlyList<string> ExportedCmdlets(string manifest)
    {
        Match list = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\((?<names>[^)]*)\)", RegexOptions.Singleline);
        return list.Success
            ? Regex.Matches(list.Groups["names"].Value, "'([^']+)'").Select(m => m.Groups[1].Value).ToList()
            : [];
    }

    private static Dictionary<string, string> ParseArguments(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Unexpected argument '{args[i]}'. Usage: --assembly <dll> --documentation <xml> --references <file> [--manifest <psd1>] --output <xml>");
            options[args[i]] = args[i + 1];
        }
        foreach (string required in new[] { "--assembly", "--documentation", "--references", "--output" })
        {
            if (!options.ContainsKey(required))
                throw new ArgumentException($"{required} is required. Usage: --assembly <dll> --documentation <xml> --references <file> [--manifest <psd1>] --output <xml>");
        }
        return options;
    }
}
