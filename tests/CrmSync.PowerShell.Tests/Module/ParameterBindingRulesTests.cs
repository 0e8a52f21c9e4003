using System.Reflection;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// What PowerShell's parameter binder refuses or gets wrong at run time, checked over the staged DLL: names that clash
/// with common parameters (the command then fails to load: "A parameter with the name 'X' was defined multiple times"),
/// duplicate names or aliases, bool instead of switch, and parameter sets that cannot be resolved.
/// </summary>
public sealed class ParameterBindingRulesTests : IClassFixture<BuiltModule>
{
    private const string ParameterAttribute = "System.Management.Automation.ParameterAttribute";
    private const string AliasAttribute = "System.Management.Automation.AliasAttribute";

    /// <summary>PowerShell 7.4's common and risk-mitigation parameters with their aliases (ProgressAction is new in 7.4).</summary>
    private static readonly HashSet<string> CommonParameterNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "vb", "Debug", "db", "ErrorAction", "ea", "WarningAction", "wa", "InformationAction", "infa",
        "ProgressAction", "proga", "ErrorVariable", "ev", "WarningVariable", "wv", "InformationVariable", "iv",
        "OutVariable", "ov", "OutBuffer", "ob", "PipelineVariable", "pv", "WhatIf", "wi", "Confirm", "cf", "UseTransaction", "usetx",
    };

    private readonly BuiltModule module;

    public ParameterBindingRulesTests(BuiltModule module) => this.module = module;

    private sealed record Declared(string Name, IReadOnlyList<string> Aliases, string Type, IReadOnlyList<(string Set, bool Mandatory, int Position)> Sets);

    private IEnumerable<(CmdletFacts Cmdlet, IReadOnlyList<Declared> Parameters)> Cmdlets()
    {
        foreach (CmdletFacts cmdlet in module.Cmdlets)
        {
            Type type = module.CmdletAssembly.GetType(cmdlet.ClassName, throwOnError: true)!;
            var parameters = new List<Declared>();
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var attributes = property.GetCustomAttributesData();
                var sets = attributes.Where(a => a.AttributeType.FullName == ParameterAttribute)
                    .Select(a => (
                        Set: Named(a, "ParameterSetName") as string ?? CmdletRules.AllParameterSets,
                        Mandatory: Named(a, "Mandatory") is true,
                        Position: Named(a, "Position") is int p ? p : int.MinValue))
                    .ToList();
                if (sets.Count == 0)
                    continue;
                var aliases = attributes.Where(a => a.AttributeType.FullName == AliasAttribute)
                    .SelectMany(a => a.ConstructorArguments)
                    .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items.Select(i => (string)i.Value!) : [(string)arg.Value!])
                    .ToList();
                parameters.Add(new Declared(property.Name, aliases, property.PropertyType.FullName ?? property.PropertyType.Name, sets));
            }
            yield return (cmdlet, parameters);
        }
    }

    [Fact]
    public void No_parameter_or_alias_is_named_like_a_common_parameter_and_none_is_used_twice()
    {
        var problems = new List<string>();
        foreach (var (cmdlet, parameters) in Cmdlets())
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (string name in parameters.SelectMany(p => p.Aliases.Prepend(p.Name)))
            {
                if (CommonParameterNames.Contains(name))
                    problems.Add($"{cmdlet.Name}: -{name} is a common parameter name or alias");
                if (!seen.Add(name))
                    problems.Add($"{cmdlet.Name}: -{name} is declared twice (as a name or an alias)");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void On_off_parameters_are_switches_not_bool()
    {
        var booleans = Cmdlets().SelectMany(c => c.Parameters.Where(p => p.Type == "System.Boolean").Select(p => $"{c.Cmdlet.Name} -{p.Name}")).ToList();
        Assert.True(booleans.Count == 0, "use SwitchParameter: " + string.Join(", ", booleans));
    }

    [Fact]
    public void Every_cmdlet_with_parameter_sets_names_its_default_and_each_set_can_be_told_apart()
    {
        var problems = new List<string>();
        foreach (var (cmdlet, parameters) in Cmdlets())
        {
            var named = parameters.SelectMany(p => p.Sets.Select(s => s.Set)).Where(s => s != CmdletRules.AllParameterSets).Distinct().ToList();
            if (named.Count == 0)
                continue;
            // Without a default, a call that binds only shared parameters fails with "Parameter set cannot be resolved".
            if (named.Count > 1 && (cmdlet.DefaultParameterSetName is null || !named.Contains(cmdlet.DefaultParameterSetName)))
                problems.Add($"{cmdlet.Name}: sets {string.Join(", ", named)} but DefaultParameterSetName is '{cmdlet.DefaultParameterSetName}'");
            foreach (string set in named.Where(s => s != cmdlet.DefaultParameterSetName))
            {
                // A non-default set is chosen by a parameter that belongs to it and not to the default set.
                bool distinguishable = parameters.Any(p => p.Sets.Any(s => s.Set == set)
                    && !p.Sets.Any(s => s.Set == cmdlet.DefaultParameterSetName || s.Set == CmdletRules.AllParameterSets));
                if (!distinguishable)
                    problems.Add($"{cmdlet.Name}: set {set} has no parameter of its own, so it can never be selected");
            }
            foreach (string set in named)
            {
                var positions = parameters.SelectMany(p => p.Sets.Where(s => (s.Set == set || s.Set == CmdletRules.AllParameterSets) && s.Position != int.MinValue)
                    .Select(s => (p.Name, s.Position))).ToList();
                foreach (var clash in positions.GroupBy(p => p.Position).Where(g => g.Count() > 1))
                    problems.Add($"{cmdlet.Name}: position {clash.Key} is taken by {string.Join(" and ", clash.Select(c => c.Name))} in set {set}");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Pipeline_bound_parameters_find_their_property_on_at_least_one_CrmSync_output_type()
    {
        // ValueFromPipelineByPropertyName binds by the property's name (or an alias of the parameter); a name that no output
        // type carries never binds from CrmSync's own pipeline.
        var outputProperties = module.Cmdlets.SelectMany(c => c.OutputTypes)
            .Select(module.FindType).Where(t => t is not null)
            .SelectMany(t => t!.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var (cmdlet, _) in Cmdlets())
        {
            Type type = module.CmdletAssembly.GetType(cmdlet.ClassName, throwOnError: true)!;
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var attributes = property.GetCustomAttributesData();
                if (!attributes.Any(a => a.AttributeType.FullName == ParameterAttribute && Named(a, "ValueFromPipelineByPropertyName") is true))
                    continue;
                var names = attributes.Where(a => a.AttributeType.FullName == AliasAttribute).SelectMany(a => a.ConstructorArguments)
                    .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> items ? items.Select(i => (string)i.Value!) : [(string)arg.Value!])
                    .Prepend(property.Name);
                if (!names.Any(outputProperties.Contains))
                    problems.Add($"{cmdlet.Name} -{property.Name}");
            }
        }
        Assert.True(problems.Count == 0, "no CrmSync output type carries: " + string.Join(", ", problems));
    }

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => n.TypedValue.Value).FirstOrDefault();
}
