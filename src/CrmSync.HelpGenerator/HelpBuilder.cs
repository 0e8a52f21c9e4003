using System.Xml.Linq;

namespace CrmSync.HelpGenerator;

/// <summary>A parameter's help: its metadata and its text.</summary>
internal sealed record ParameterHelp(ParameterModel Model, IReadOnlyList<string> Description, string DefaultValue);

/// <summary>Everything Get-Help shows for one cmdlet.</summary>
internal sealed record CmdletHelp(
    CmdletModel Model,
    string Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<TypeDoc> Inputs,
    IReadOnlyList<TypeDoc> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<ExampleDoc> Examples,
    IReadOnlyList<string> RelatedLinks);

/// <summary>
/// Joins the cmdlets' metadata with their documentation comments, and lists every piece of help text that is missing,
/// so the build fails instead of shipping a cmdlet whose Get-Help shows only its name.
/// </summary>
internal static class HelpBuilder
{
    public const string AboutTopic = "about_CrmSync";

    /// <summary>-WhatIf and -Confirm: PowerShell adds them for SupportsShouldProcess, Get-Help shows what the help file says.</summary>
    private static readonly string[] ShouldProcessParameters = ["WhatIf", "Confirm"];

    public static IReadOnlyList<CmdletHelp> Build(IReadOnlyList<CmdletModel> cmdlets, DocComments docs, List<string> problems)
    {
        var result = new List<CmdletHelp>();
        foreach (CmdletModel cmdlet in cmdlets)
            result.Add(BuildCmdlet(cmdlet, docs, problems));
        return result;
    }

    private static CmdletHelp BuildCmdlet(CmdletModel cmdlet, DocComments docs, List<string> problems)
    {
        string where = $"{cmdlet.Name} ({cmdlet.DocumentationId[2..]})";
        XElement? member = docs.Member(cmdlet.DocumentationId);
        if (member is null)
        {
            problems.Add($"{where} has no documentation comment: add /// <summary> (synopsis), <remarks> (description) and <example> to the class.");
            member = new XElement("member");
        }

        var synopsis = docs.Paragraphs(member.Element("summary"));
        if (synopsis.Count == 0)
            problems.Add($"{where} has no synopsis: add /// <summary>one sentence</summary> to the class.");
        else if (synopsis.Count > 1)
            problems.Add($"{where}: the synopsis (<summary>) must be one paragraph; put the rest in <remarks>.");
        var description = docs.Paragraphs(member.Element("remarks"));
        if (description.Count == 0)
            problems.Add($"{where} has no description: add /// <remarks> with <para> paragraphs to the class.");

        var examples = docs.Examples(member);
        if (examples.Count == 0)
            problems.Add($"{where} has no example: add /// <example><title>...</title><code>...</code><para>what it does</para></example>.");
        foreach (var (example, index) in examples.Select((e, i) => (e, i + 1)))
        {
            if (example.Title.Length == 0 || example.Code.Length == 0 || example.Remarks.Count == 0)
                problems.Add($"{where}: example {index} needs a <title>, a <code> block and a paragraph that explains it.");
        }

        var overrides = member.Elements("parameter")
            .Where(p => p.Attribute("name") is not null)
            .ToDictionary(p => p.Attribute("name")!.Value, StringComparer.OrdinalIgnoreCase);
        var parameters = new List<ParameterHelp>();
        foreach (ParameterModel parameter in cmdlet.Parameters)
        {
            XElement? property = docs.Member(parameter.DocumentationId);
            IReadOnlyList<string> text = overrides.TryGetValue(parameter.Name, out XElement? own)
                ? docs.Paragraphs(own)
                : [.. docs.Paragraphs(property?.Element("summary")), .. docs.Paragraphs(property?.Element("remarks"))];
            if (text.Count == 0)
                problems.Add($"{cmdlet.Name} -{parameter.Name} has no description: add /// <summary> to {parameter.DocumentationId[2..]}.");
            string? documentedDefault = property?.Element("default") is { } d ? string.Join(" ", docs.Paragraphs(d)) : null;
            if (documentedDefault is null && parameter.IsValueType && !parameter.IsSwitch && !parameter.Sets.All(s => s.Mandatory))
                problems.Add($"{cmdlet.Name} -{parameter.Name} is an optional {parameter.TypeShortName}: add /// <default>its default value</default> to {parameter.DocumentationId[2..]}.");
            parameters.Add(new ParameterHelp(parameter, text, documentedDefault ?? (parameter.IsSwitch ? "False" : "None")));
        }

        if (cmdlet.SupportsShouldProcess)
        {
            foreach (string name in ShouldProcessParameters)
            {
                IReadOnlyList<string> text = overrides.TryGetValue(name, out XElement? own) ? docs.Paragraphs(own) : StandardText(name);
                var model = new ParameterModel(name, "System.Management.Automation.SwitchParameter", "SwitchParameter", IsSwitch: true,
                    IsValueType: true, IsNullable: false, [new ParameterSetUse(CmdletReader.AllParameterSets, false, null, false, false)],
                    [name == "WhatIf" ? "wi" : "cf"], Globbing: false, [], "");
                parameters.Add(new ParameterHelp(model, text, "False"));
            }
        }
        foreach (string unknown in overrides.Keys.Where(k => !parameters.Any(p => p.Model.Name.Equals(k, StringComparison.OrdinalIgnoreCase))))
            problems.Add($"{where}: <parameter name=\"{unknown}\"> describes no parameter of the cmdlet.");

        var outputs = docs.Types(member, "output");
        foreach (string type in cmdlet.OutputTypes.Where(t => !outputs.Any(o => o.TypeName == t)))
            problems.Add($"{where} declares [OutputType({type})]: add /// <output cref=\"...\">what it holds</output>.");
        foreach (TypeDoc output in outputs.Where(o => !cmdlet.OutputTypes.Contains(o.TypeName)))
            problems.Add($"{where}: <output cref=\"{output.TypeName}\"> is not one of the cmdlet's [OutputType] attributes.");
        var inputs = docs.Types(member, "input");
        bool takesPipeline = cmdlet.Parameters.Any(p => p.ByValue || p.ByPropertyName);
        if (takesPipeline && inputs.Count == 0)
            problems.Add($"{where} takes pipeline input: add /// <input cref=\"...\">what can be piped and which parameter it binds</input>.");
        if (!takesPipeline && inputs.Count > 0)
            problems.Add($"{where} documents <input> but no parameter takes pipeline input.");
        if (inputs.Count == 0)
            inputs = [new TypeDoc("None", ["You can't pipe objects to this cmdlet."])];
        foreach (TypeDoc typeDoc in inputs.Concat(outputs).Where(t => t.Description.Count == 0 || t.TypeName.StartsWith("!:", StringComparison.Ordinal)))
            problems.Add($"{where}: the input or output {typeDoc.TypeName} needs a resolvable cref and a description.");

        var notes = new List<string>();
        if (cmdlet.SupportsShouldProcess)
            notes.Add($"This cmdlet supports -WhatIf and -Confirm; its ConfirmImpact is {cmdlet.ConfirmImpact}.");
        notes.Add("Errors are ErrorRecords with a stable ErrorId (for example ProfileNotFound), a category, the target and a recommended action; see about_CrmSync.");

        var related = docs.RelatedCmdlets(member).Append(AboutTopic).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (string link in related.Where(l => l != AboutTopic && !l.Contains('-')))
            problems.Add($"{where}: <seealso cref> must name a cmdlet class; '{link}' is none.");

        return new CmdletHelp(cmdlet, synopsis.FirstOrDefault() ?? "", description, parameters, inputs, outputs, notes, examples, related);
    }

    private static IReadOnlyList<string> StandardText(string name) => name == "WhatIf"
        ? ["Shows what would happen if the cmdlet runs. The cmdlet is not run."]
        : ["Prompts you for confirmation before running the cmdlet."];
}
