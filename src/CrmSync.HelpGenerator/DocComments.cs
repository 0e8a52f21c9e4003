using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CrmSync.HelpGenerator;

/// <summary>An example: a title, the code as typed, and what it does.</summary>
internal sealed record ExampleDoc(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>An input or output type with what it means for this cmdlet.</summary>
internal sealed record TypeDoc(string TypeName, IReadOnlyList<string> Description);

/// <summary>
/// The compiler's XML documentation file, read as help text. Conventions on a cmdlet class:
/// <list type="bullet">
/// <item>&lt;summary&gt;: the synopsis (one paragraph); &lt;remarks&gt;: the description (&lt;para&gt; per paragraph);</item>
/// <item>&lt;example&gt; with &lt;title&gt;, &lt;code&gt; (as typed at the prompt) and paragraphs explaining it;</item>
/// <item>&lt;input cref="T"&gt; and &lt;output cref="T"&gt;: what the pipeline brings and what the cmdlet writes;</item>
/// <item>&lt;parameter name="X"&gt;: replaces the inherited description of parameter -X for this cmdlet (also -WhatIf, -Confirm);</item>
/// <item>&lt;seealso cref="OtherCommand"/&gt;: related cmdlets.</item>
/// </list>
/// On a parameter property: &lt;summary&gt; (and &lt;remarks&gt;) describe it; &lt;default&gt; is its default value as shown by Get-Help.
/// </summary>
internal sealed class DocComments
{
    private readonly Dictionary<string, XElement> members;
    private readonly Func<string, string?> cmdletNameOfType;

    /// <param name="path">The XML documentation file.</param>
    /// <param name="cmdletNameOfType">The cmdlet name of a documentation id (T:...), or null when the type is no cmdlet.</param>
    public DocComments(string path, Func<string, string?> cmdletNameOfType)
    {
        XDocument document = XDocument.Load(path, LoadOptions.PreserveWhitespace);
        members = document.Root?.Element("members")?.Elements("member")
                      .Where(m => m.Attribute("name") is not null)
                      .GroupBy(m => m.Attribute("name")!.Value, StringComparer.Ordinal)
                      .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)
                  ?? throw new InvalidDataException($"{path} is not a documentation file (no <doc><members>).");
        this.cmdletNameOfType = cmdletNameOfType;
    }

    public XElement? Member(string documentationId) => members.GetValueOrDefault(documentationId);

    public IReadOnlyList<string> Paragraphs(XElement? element) => element is null ? [] : Render(element);

    public IReadOnlyList<ExampleDoc> Examples(XElement member) =>
        member.Elements("example").Select(example =>
        {
            // the first <code> is what is typed at the prompt; anything after the title and that code explains it
            XElement? code = example.Element("code");
            var explanation = example.Nodes().Where(n => n != code && n is not XElement { Name.LocalName: "title" });
            return new ExampleDoc(Inline(example.Element("title")), Code(code), Render(new XElement("remarks", explanation)));
        }).ToList();

    public IReadOnlyList<TypeDoc> Types(XElement member, string tag) =>
        member.Elements(tag).Select(e => new TypeDoc(TypeNameOf(e.Attribute("cref")?.Value ?? ""), Render(e))).ToList();

    /// <summary>T:Namespace.Type as Namespace.Type; a cref the compiler could not resolve (!:...) stays visible as such.</summary>
    public static string TypeNameOf(string cref) => cref.StartsWith("T:", StringComparison.Ordinal) ? cref[2..] : cref;

    public IReadOnlyList<string> RelatedCmdlets(XElement member) =>
        member.Elements("seealso").Select(e => e.Attribute("cref")?.Value).OfType<string>()
            .Select(c => cmdletNameOfType(c) ?? CrefName(c)).ToList();

    /// <summary>Code as typed: the common indentation and the blank first and last lines removed.</summary>
    public static string Code(XElement? code)
    {
        if (code is null)
            return "";
        var lines = code.Value.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0)
            lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    /// <summary>The paragraphs of a documentation element: &lt;para&gt; and list items start new ones, inline tags become text.</summary>
    private List<string> Render(XElement element)
    {
        var paragraphs = new List<string>();
        var current = new StringBuilder();

        void Flush()
        {
            string text = Collapse(current.ToString());
            if (text.Length > 0)
                paragraphs.Add(text);
            current.Clear();
        }

        foreach (XNode node in element.Nodes())
        {
            switch (node)
            {
                case XText text:
                    current.Append(text.Value);
                    break;
                case XElement { Name.LocalName: "para" } para:
                    Flush();
                    paragraphs.AddRange(Render(para));
                    break;
                case XElement { Name.LocalName: "list" } list:
                    Flush();
                    foreach (XElement item in list.Elements("item"))
                    {
                        XElement? term = item.Element("term");
                        XElement? description = item.Element("description");
                        string itemText = term is not null
                            ? Inline(term) + (description is null ? "" : ": " + Inline(description))
                            : Inline(description ?? item);
                        paragraphs.Add("- " + itemText);
                    }
                    break;
                case XElement { Name.LocalName: "code" } code:
                    Flush();
                    paragraphs.Add(Code(code));
                    break;
                case XElement { Name.LocalName: "default" or "example" or "input" or "output" or "seealso" or "parameter" }:
                    break;
                case XElement inline:
                    current.Append(InlineElement(inline));
                    break;
            }
        }
        Flush();
        return paragraphs;
    }

    private string Inline(XElement? element) =>
        element is null ? "" : Collapse(string.Concat(element.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement e => InlineElement(e),
            _ => "",
        })));

    private string InlineElement(XElement element)
    {
        switch (element.Name.LocalName)
        {
            case "see" or "seealso":
                if (element.Attribute("langword")?.Value is { } word)
                    return word is "true" or "false" or "null" ? "$" + word : word;
                if (!element.IsEmpty && element.Value.Length > 0)
                    return Inline(element);
                if (element.Attribute("cref")?.Value is { } cref)
                    return cmdletNameOfType(cref) ?? CrefName(cref);
                return element.Attribute("href")?.Value ?? "";
            case "paramref" or "typeparamref":
                return "-" + element.Attribute("name")?.Value;
            default:
                return Inline(element);
        }
    }

    /// <summary>
    /// A cref as a reader knows it: a property of the cmdlet assembly is a parameter (-Name), a member of another type
    /// Type.Member, a type its simple name.
    /// </summary>
    private static string CrefName(string cref)
    {
        string name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        int parameters = name.IndexOf('(');
        if (parameters >= 0)
            name = name[..parameters];
        string[] parts = name.Split('.');
        if (cref.StartsWith("P:CrmSync.PowerShell.", StringComparison.Ordinal))
            return "-" + parts[^1];
        if (cref.StartsWith("T:", StringComparison.Ordinal) || parts.Length < 2)
            return parts[^1];
        return parts[^2] + "." + parts[^1];
    }

    private static string Collapse(string text) => Regex.Replace(text, @"\s+", " ").Trim();
}
