using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace CrmSync.HelpGenerator;

/// <summary>
/// Writes cmdlet help as MAML, the format PowerShell reads from &lt;module&gt;/&lt;culture&gt;/&lt;assembly&gt;-Help.xml
/// (the layout platyPS produces: details, description, syntax per parameter set, parameters, inputs, outputs, notes,
/// examples, related links). Common parameters are not listed: PowerShell adds them itself.
/// </summary>
internal static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument ToMaml(IEnumerable<CmdletHelp> cmdlets) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"),
                cmdlets.Select(Command_)));

    /// <summary>Writes the file only when its content changed, so an unchanged build leaves it (and its time stamp) alone.</summary>
    public static bool Write(XDocument document, string path)
    {
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, settings))
            document.Save(writer);
        byte[] content = buffer.ToArray();
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
            return false;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, content);
        return true;
    }

    private static XElement Command_(CmdletHelp help)
    {
        CmdletModel model = help.Model;
        return new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", model.Name),
                new XElement(Command + "verb", model.Verb),
                new XElement(Command + "noun", model.Noun),
                Description([help.Synopsis])),
            Description(help.Description),
            new XElement(Command + "syntax", model.ParameterSets.Select(set => SyntaxItem(help, set))),
            new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, SummaryUse(p.Model), inSyntax: false))),
            new XElement(Command + "inputTypes", help.Inputs.Select(i =>
                new XElement(Command + "inputType", TypeElement(i.TypeName), Description(i.Description)))),
            new XElement(Command + "returnValues", help.Outputs.Select(o =>
                new XElement(Command + "returnValue", TypeElement(o.TypeName), Description(o.Description)))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", help.Notes.Select(Para))),
            new XElement(Command + "examples", help.Examples.Select((e, i) =>
                new XElement(Command + "example",
                    new XElement(Maml + "title", $"-------------------------- Example {i + 1}: {e.Title} --------------------------"),
                    new XElement(Dev + "code", e.Code),
                    // the empty paragraph leaves a blank line before the next example, as PowerShell's own help does
                    new XElement(Dev + "remarks", e.Remarks.Select(Para), Para(""))))),
            new XElement(Command + "relatedLinks", help.RelatedLinks.Select(link =>
                new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", link), new XElement(Maml + "uri")))));
    }

    private static XElement SyntaxItem(CmdletHelp help, string set)
    {
        var members = help.Model.ParametersOf(set).Select(m => (Help: help.Parameters.First(p => p.Model == m.Parameter), m.Use));
        var shouldProcess = help.Parameters.Where(p => p.Model.DocumentationId.Length == 0);
        return new XElement(Command + "syntaxItem",
            new XElement(Maml + "name", help.Model.Name),
            members.Select(m => Parameter(m.Help, m.Use, inSyntax: true)),
            shouldProcess.Select(p => Parameter(p, SummaryUse(p.Model), inSyntax: true)));
    }

    /// <summary>The parameter over all its sets: required only when mandatory in every set, positional when it is in one.</summary>
    private static ParameterSetUse SummaryUse(ParameterModel parameter) =>
        new(CmdletReader.AllParameterSets,
            parameter.Sets.All(s => s.Mandatory),
            parameter.Sets.Select(s => s.Position).FirstOrDefault(p => p is not null),
            parameter.ByValue,
            parameter.ByPropertyName);

    private static XElement Parameter(ParameterHelp help, ParameterSetUse use, bool inSyntax)
    {
        ParameterModel p = help.Model;
        string pipeline = (use.ByValue, use.ByPropertyName) switch
        {
            (true, true) => "True (ByValue, ByPropertyName)",
            (true, false) => "True (ByValue)",
            (false, true) => "True (ByPropertyName)",
            _ => "False",
        };
        bool showValue = !(inSyntax && p.IsSwitch);
        return new XElement(Command + "parameter",
            new XAttribute("required", use.Mandatory ? "true" : "false"),
            new XAttribute("variableLength", p.TypeFullName.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", p.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", pipeline),
            new XAttribute("position", use.Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "named"),
            new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(help.Description),
            p.ValidValues.Count > 0 && !p.IsSwitch
                ? new XElement(Command + "parameterValueGroup", p.ValidValues.Select(v =>
                    new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v)))
                : null,
            showValue
                ? new XElement(Command + "parameterValue", new XAttribute("required", p.IsSwitch ? "false" : "true"),
                    new XAttribute("variableLength", "false"), p.TypeShortName)
                : null,
            TypeElement(p.TypeFullName),
            new XElement(Dev + "defaultValue", help.DefaultValue));
    }

    private static XElement TypeElement(string typeName) =>
        new(Dev + "type", new XElement(Maml + "name", typeName), new XElement(Maml + "uri"));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", paragraphs.Select(Para));

    private static XElement Para(string text) => new(Maml + "para", text);
}
