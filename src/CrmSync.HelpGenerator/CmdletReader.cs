using System.Reflection;

namespace CrmSync.HelpGenerator;

/// <summary>How a parameter takes part in one parameter set.</summary>
internal sealed record ParameterSetUse(string SetName, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName);

/// <summary>One cmdlet parameter as its attributes declare it.</summary>
internal sealed record ParameterModel(
    string Name,
    string TypeFullName,
    string TypeShortName,
    bool IsSwitch,
    bool IsValueType,
    bool IsNullable,
    IReadOnlyList<ParameterSetUse> Sets,
    IReadOnlyList<string> Aliases,
    bool Globbing,
    IReadOnlyList<string> ValidValues,
    string DocumentationId)
{
    public bool ByValue => Sets.Any(s => s.ByValue);
    public bool ByPropertyName => Sets.Any(s => s.ByPropertyName);
}

/// <summary>One cmdlet class as its attributes declare it.</summary>
internal sealed record CmdletModel(
    string Name,
    string Verb,
    string Noun,
    string DocumentationId,
    bool SupportsShouldProcess,
    string ConfirmImpact,
    string? DefaultParameterSet,
    IReadOnlyList<ParameterModel> Parameters,
    IReadOnlyList<string> OutputTypes)
{
    /// <summary>The named parameter sets, the default one first; one unnamed set when the cmdlet declares none.</summary>
    public IReadOnlyList<string> ParameterSets
    {
        get
        {
            var named = Parameters.SelectMany(p => p.Sets).Select(s => s.SetName).Where(s => s != CmdletReader.AllParameterSets)
                .Distinct(StringComparer.Ordinal).OrderBy(s => s == DefaultParameterSet ? 0 : 1).ThenBy(s => s, StringComparer.Ordinal).ToList();
            return named.Count == 0 ? [CmdletReader.AllParameterSets] : named;
        }
    }

    /// <summary>The parameters of <paramref name="set"/>, positional ones first (by position), then mandatory, then the rest.</summary>
    public IReadOnlyList<(ParameterModel Parameter, ParameterSetUse Use)> ParametersOf(string set)
    {
        var members = new List<(ParameterModel, ParameterSetUse)>();
        foreach (ParameterModel parameter in Parameters)
        {
            ParameterSetUse? use = parameter.Sets.FirstOrDefault(s => s.SetName == set)
                                   ?? parameter.Sets.FirstOrDefault(s => s.SetName == CmdletReader.AllParameterSets);
            if (use is not null)
                members.Add((parameter, use));
        }
        return members.Select((m, index) => (m, index))
            .OrderBy(x => x.m.Item2.Position ?? int.MaxValue)
            .ThenBy(x => x.m.Item2.Mandatory ? 0 : 1)
            .ThenBy(x => x.index)
            .Select(x => x.m).ToList();
    }
}

/// <summary>
/// Reads the cmdlets of an assembly with <see cref="MetadataLoadContext"/>: attributes only, no code of the assembly runs,
/// so System.Management.Automation may be a reference assembly.
/// </summary>
internal sealed class CmdletReader : IDisposable
{
    public const string AllParameterSets = "__AllParameterSets";
    private const string Sma = "System.Management.Automation.";

    private readonly MetadataLoadContext context;
    private readonly Assembly assembly;

    /// <param name="assemblyPath">The cmdlet assembly.</param>
    /// <param name="referencePaths">Every assembly it references (its dependencies, the framework's reference assemblies, System.Management.Automation).</param>
    public CmdletReader(string assemblyPath, IEnumerable<string> referencePaths)
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string path in referencePaths.Prepend(assemblyPath))
            paths.TryAdd(Path.GetFileName(path), Path.GetFullPath(path));
        context = new MetadataLoadContext(new PathAssemblyResolver(paths.Values));
        assembly = context.LoadFromAssemblyPath(Path.GetFullPath(assemblyPath));
    }

    public IReadOnlyList<CmdletModel> ReadCmdlets() =>
        assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && Attributes(t, "CmdletAttribute").Any())
            .Select(ReadCmdlet)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

    public void Dispose() => context.Dispose();

    private static CmdletModel ReadCmdlet(Type type)
    {
        CustomAttributeData cmdlet = Attributes(type, "CmdletAttribute").Single();
        string verb = (string)cmdlet.ConstructorArguments[0].Value!;
        string noun = (string)cmdlet.ConstructorArguments[1].Value!;
        bool shouldProcess = Named(cmdlet, "SupportsShouldProcess") is true;
        string impact = Named(cmdlet, "ConfirmImpact") is int i ? ((string[])["None", "Low", "Medium", "High"])[i] : "Medium";
        var outputs = Attributes(type, "OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items : [arg])
            .Select(arg => arg.Value switch { Type t => t.FullName!, string s => s, _ => "" })
            .Where(n => n.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();

        // derived class first, then its bases: the cmdlet's own parameters before the shared -Profile and -DatabasePath
        var parameters = new List<ParameterModel>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (Type? declaring = type; declaring is not null; declaring = declaring.BaseType)
        {
            foreach (PropertyInfo property in declaring.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (seen.Contains(property.Name))
                    continue;
                var parameterAttributes = Attributes(property, "ParameterAttribute").ToList();
                if (parameterAttributes.Count == 0)
                    continue;
                seen.Add(property.Name);
                parameters.Add(ReadParameter(property, parameterAttributes));
            }
        }

        return new CmdletModel($"{verb}-{noun}", verb, noun, "T:" + type.FullName, shouldProcess, impact,
            Named(cmdlet, "DefaultParameterSetName") as string, parameters, outputs);
    }

    private static ParameterModel ReadParameter(PropertyInfo property, IReadOnlyList<CustomAttributeData> parameterAttributes)
    {
        var sets = parameterAttributes.Select(a => new ParameterSetUse(
            Named(a, "ParameterSetName") as string ?? AllParameterSets,
            Named(a, "Mandatory") is true,
            Named(a, "Position") is int position && position >= 0 ? position : null,
            Named(a, "ValueFromPipeline") is true,
            Named(a, "ValueFromPipelineByPropertyName") is true)).ToList();

        Type type = property.PropertyType;
        bool nullable = type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1";
        Type shown = nullable ? type.GetGenericArguments()[0] : type;
        bool isSwitch = shown.FullName == Sma + "SwitchParameter";

        var aliases = Attributes(property, "AliasAttribute").SelectMany(a => StringArguments(a)).ToList();
        var validValues = Attributes(property, "ValidateSetAttribute").SelectMany(a => StringArguments(a)).ToList();
        Type element = shown.IsArray ? shown.GetElementType()! : shown;
        if (validValues.Count == 0 && element.IsEnum)
            validValues = element.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.Name).ToList();

        return new ParameterModel(
            property.Name,
            shown.FullName ?? shown.Name,
            shown.Name,
            isSwitch,
            type.IsValueType && !nullable,
            nullable,
            sets,
            aliases,
            Attributes(property, "SupportsWildcardsAttribute").Any(),
            validValues,
            $"P:{property.DeclaringType!.FullName}.{property.Name}");
    }

    private static IEnumerable<string> StringArguments(CustomAttributeData attribute) =>
        attribute.ConstructorArguments
            .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items : [arg])
            .Select(arg => arg.Value as string)
            .OfType<string>();

    private static IEnumerable<CustomAttributeData> Attributes(MemberInfo member, string name) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.FullName == Sma + name);

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => n.TypedValue.Value).FirstOrDefault();
}
