using System.Reflection;
using System.Runtime.InteropServices;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// The staged module's assemblies (out/CrmSync/&lt;version&gt;/), opened with MetadataLoadContext: nothing from them
/// runs, so System.Management.Automation can come from the PowerShellStandard.Library reference assembly.
/// </summary>
public sealed class BuiltModule : IDisposable
{
    private const string CmdletAttribute = "System.Management.Automation.CmdletAttribute";
    private const string OutputTypeAttribute = "System.Management.Automation.OutputTypeAttribute";
    private const string ParameterAttribute = "System.Management.Automation.ParameterAttribute";

    private readonly MetadataLoadContext context;

    public BuiltModule()
    {
        Directory = RepoLayout.StagedModuleDirectory;
        string cmdletDll = Path.Combine(Directory, "CrmSync.PowerShell.dll");
        if (!File.Exists(cmdletDll))
            throw new InvalidOperationException($"{cmdletDll} does not exist: build src/CrmSync.PowerShell first (the build stages the module).");

        var paths = new List<string>();
        paths.AddRange(System.IO.Directory.GetFiles(Directory, "*.dll"));
        paths.Add(RepoLayout.PowerShellReferenceAssembly);
        string runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        var staged = paths.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        paths.AddRange(System.IO.Directory.GetFiles(runtimeDirectory, "*.dll").Where(p => !staged.Contains(Path.GetFileName(p))));

        context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        CmdletAssembly = context.LoadFromAssemblyPath(cmdletDll);
        EngineAssembly = context.LoadFromAssemblyPath(Path.Combine(Directory, "CrmSync.Engine.dll"));
        Cmdlets = CmdletAssembly.GetTypes().Where(t => t.GetCustomAttributesData().Any(a => a.AttributeType.FullName == CmdletAttribute))
            .Select(ReadCmdlet).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        ParameterSetNameConstants = CmdletAssembly.GetType("CrmSync.PowerShell.Hosting.ParameterSetNames", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType.FullName == "System.String")
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);
    }

    public string Directory { get; }
    public Assembly CmdletAssembly { get; }
    public Assembly EngineAssembly { get; }
    public IReadOnlyList<CmdletFacts> Cmdlets { get; }
    public IReadOnlySet<string> ParameterSetNameConstants { get; }

    /// <summary>A type of the staged cmdlet or engine assembly by full name, or null.</summary>
    public Type? FindType(string fullName) => CmdletAssembly.GetType(fullName) ?? EngineAssembly.GetType(fullName);

    public void Dispose() => context.Dispose();

    private static CmdletFacts ReadCmdlet(Type type)
    {
        CustomAttributeData cmdlet = type.GetCustomAttributesData().Single(a => a.AttributeType.FullName == CmdletAttribute);
        string verb = (string)cmdlet.ConstructorArguments[0].Value!;
        string noun = (string)cmdlet.ConstructorArguments[1].Value!;
        bool supportsShouldProcess = Named(cmdlet, "SupportsShouldProcess") is bool b && b;
        // ConfirmImpact defaults to Medium when the attribute does not set it
        var impact = Named(cmdlet, "ConfirmImpact") is int i ? (Impact)i : Impact.Medium;
        string? defaultSet = Named(cmdlet, "DefaultParameterSetName") as string;

        var outputTypes = type.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == OutputTypeAttribute)
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items : [arg])
            .Select(arg => arg.Value switch { Type t => t.FullName!, string s => s, _ => "" })
            .Where(n => n.Length > 0)
            .ToList();

        var parameters = new List<ParameterFacts>();
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var parameterAttributes = property.GetCustomAttributesData().Where(a => a.AttributeType.FullName == ParameterAttribute).ToList();
            if (parameterAttributes.Count == 0)
                continue;
            var sets = parameterAttributes.Select(a => Named(a, "ParameterSetName") as string ?? CmdletRules.AllParameterSets).ToList();
            bool byPropertyName = parameterAttributes.Any(a => Named(a, "ValueFromPipelineByPropertyName") is bool v && v);
            parameters.Add(new ParameterFacts(property.Name, property.PropertyType.FullName ?? property.PropertyType.Name, sets, byPropertyName));
        }

        var bases = new List<string>();
        for (Type? baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
            bases.Add(baseType.FullName ?? baseType.Name);

        return new CmdletFacts(type.FullName!, verb, noun, type.IsPublic, type.IsSealed, supportsShouldProcess, impact,
            defaultSet, outputTypes, parameters) { BaseClasses = bases };
    }

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => n.TypedValue.Value).FirstOrDefault();
}
