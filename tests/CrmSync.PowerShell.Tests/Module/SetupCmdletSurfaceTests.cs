using System.Reflection;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// The parameter metadata of the setup-flow cmdlets (Connect-/Disconnect-CrmSync, Sync-CrmField, Get-CrmField,
/// Get-/Set-/Export-CrmFieldMapping) in the built DLL: sets, mandatory flags, types (no plain-string secret), output types and
/// completers. Read with MetadataLoadContext; nothing is executed.
/// </summary>
public sealed class SetupCmdletSurfaceTests : IClassFixture<BuiltModule>
{
    private const string ParameterAttribute = "System.Management.Automation.ParameterAttribute";
    private const string CompleterAttribute = "System.Management.Automation.ArgumentCompleterAttribute";
    private readonly BuiltModule module;

    public SetupCmdletSurfaceTests(BuiltModule module) => this.module = module;

    private CmdletFacts Cmdlet(string name) => Assert.Single(module.Cmdlets, c => c.Name == name);

    private ParameterFacts Parameter(string cmdlet, string name) => Assert.Single(Cmdlet(cmdlet).Parameters, p => p.Name == name);

    /// <summary>(set, mandatory) of each [Parameter] on the property.</summary>
    private IReadOnlyList<(string Set, bool Mandatory)> Declarations(string cmdlet, string parameter)
    {
        PropertyInfo property = module.CmdletAssembly.GetType(Cmdlet(cmdlet).ClassName, throwOnError: true)!.GetProperty(parameter)!;
        return property.GetCustomAttributesData().Where(a => a.AttributeType.FullName == ParameterAttribute)
            .Select(a => (
                a.NamedArguments.Where(n => n.MemberName == "ParameterSetName").Select(n => (string)n.TypedValue.Value!).FirstOrDefault() ?? CmdletRules.AllParameterSets,
                a.NamedArguments.Any(n => n.MemberName == "Mandatory" && (bool)n.TypedValue.Value!)))
            .OrderBy(d => d.Item1, StringComparer.Ordinal).ToList();
    }

    private string? CompleterOf(string cmdlet, string parameter)
    {
        for (Type? type = module.CmdletAssembly.GetType(Cmdlet(cmdlet).ClassName, throwOnError: true); type is not null; type = type.BaseType)
        {
            PropertyInfo? property = type.GetProperty(parameter, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
            if (property is null)
                continue;
            var completer = property.GetCustomAttributesData().SingleOrDefault(a => a.AttributeType.FullName == CompleterAttribute);
            return (completer?.ConstructorArguments.Single().Value as Type)?.FullName;
        }
        return null;
    }

    [Theory]
    [InlineData("Connect-CrmSync", "CrmSync.Engine.Connections.CrmConnectionInfo")]
    [InlineData("Disconnect-CrmSync", "CrmSync.Engine.Connections.CrmDisconnectionInfo")]
    [InlineData("Sync-CrmField", "CrmSync.Engine.Schema.FieldPlanEntry")]
    [InlineData("Get-CrmField", "CrmSync.Engine.Schema.CrmFieldInfo")]
    [InlineData("Get-CrmFieldMapping", "CrmSync.Engine.Schema.CrmFieldMapping")]
    [InlineData("Set-CrmFieldMapping", "CrmSync.Engine.Schema.CrmFieldMapping")]
    public void Each_setup_cmdlet_outputs_the_engines_type(string cmdlet, string outputType)
    {
        Assert.Equal([outputType], Cmdlet(cmdlet).OutputTypes);
        Assert.NotNull(module.FindType(outputType));
    }

    [Theory]
    [InlineData("Connect-CrmSync", "Medium")]
    [InlineData("Disconnect-CrmSync", "Medium")]
    [InlineData("Set-CrmFieldMapping", "Medium")]
    [InlineData("Export-CrmFieldMapping", "Medium")]
    [InlineData("Sync-CrmField", "High")]
    public void State_changing_setup_cmdlets_support_ShouldProcess_with_their_impact(string cmdlet, string impact)
    {
        Assert.True(Cmdlet(cmdlet).SupportsShouldProcess);
        Assert.Equal(Enum.Parse<Impact>(impact), Cmdlet(cmdlet).ConfirmImpact);
    }

    [Theory]
    [InlineData("Get-CrmField")]
    [InlineData("Get-CrmFieldMapping")]
    public void The_Get_cmdlets_are_read_only(string cmdlet) => Assert.False(Cmdlet(cmdlet).SupportsShouldProcess);

    [Fact]
    public void Connect_takes_secrets_only_as_PSCredential_and_SecureString()
    {
        Assert.Equal("System.Management.Automation.PSCredential", Parameter("Connect-CrmSync", "Credential").TypeFullName);
        Assert.Equal("System.Security.SecureString", Parameter("Connect-CrmSync", "SecurityToken").TypeFullName);
        Assert.Equal("System.Security.SecureString", Parameter("Connect-CrmSync", "ClientSecret").TypeFullName);
        Assert.DoesNotContain(Cmdlet("Connect-CrmSync").Parameters, p => p.Name.Contains("Password", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("CrmSync.Engine.Crm.CrmKind", Parameter("Connect-CrmSync", "Crm").TypeFullName);
        Assert.Equal("CrmSync.Engine.Connections.ConnectionScope", Parameter("Connect-CrmSync", "Scope").TypeFullName);
        Assert.Equal("System.Uri", Parameter("Connect-CrmSync", "LoginUrl").TypeFullName);
        Assert.Equal("System.Management.Automation.SwitchParameter", Parameter("Connect-CrmSync", "Sandbox").TypeFullName);
    }

    [Fact]
    public void Connect_has_a_user_set_and_a_client_credentials_set_for_each_CRM()
    {
        Assert.Equal("SalesforceUser", Cmdlet("Connect-CrmSync").DefaultParameterSetName);
        Assert.Equal([("DynamicsUser", true), ("SalesforceUser", true)], Declarations("Connect-CrmSync", "Credential"));
        Assert.Equal([("DynamicsClientCredentials", false), ("DynamicsUser", false), ("SalesforceClientCredentials", true), ("SalesforceUser", false)],
            Declarations("Connect-CrmSync", "LoginUrl"));
        Assert.Equal([("DynamicsClientCredentials", true), ("DynamicsUser", false), ("SalesforceClientCredentials", true), ("SalesforceUser", false)],
            Declarations("Connect-CrmSync", "ClientSecret"));
        Assert.Equal([("DynamicsClientCredentials", true), ("DynamicsUser", false), ("SalesforceClientCredentials", true), ("SalesforceUser", false)],
            Declarations("Connect-CrmSync", "ClientId"));
        Assert.Equal([("SalesforceUser", false)], Declarations("Connect-CrmSync", "SecurityToken"));
        Assert.Equal([("DynamicsClientCredentials", true), ("DynamicsUser", true)], Declarations("Connect-CrmSync", "Url"));
        Assert.Equal([("DynamicsClientCredentials", true), ("DynamicsUser", false)], Declarations("Connect-CrmSync", "TenantId"));
        Assert.Equal([(CmdletRules.AllParameterSets, false)], Declarations("Connect-CrmSync", "Scope"));
        // the switch that makes the client-credentials sets reachable
        Assert.Equal([("DynamicsClientCredentials", true), ("SalesforceClientCredentials", true)], Declarations("Connect-CrmSync", "ClientCredentials"));
    }

    [Fact]
    public void Sync_CrmField_takes_wildcard_exclusions_and_a_reset_switch()
    {
        Assert.Equal("System.String[]", Parameter("Sync-CrmField", "ExcludeField").TypeFullName);
        Assert.Equal("System.Management.Automation.SwitchParameter", Parameter("Sync-CrmField", "ResetExclusions").TypeFullName);
        Assert.Equal("System.String[]", Parameter("Sync-CrmField", "Field").TypeFullName); // the remembered include selection
        Assert.Equal("System.Management.Automation.SwitchParameter", Parameter("Sync-CrmField", "ResetFieldSelection").TypeFullName); // narrows or clears it
        Assert.Equal(["DatabasePath", "ExcludeField", "Field", "Profile", "ResetExclusions", "ResetFieldSelection"], Cmdlet("Sync-CrmField").Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Export_CrmFieldMapping_writes_a_file_like_Export_Csv_and_Get_CrmFieldMapping_writes_none()
    {
        Assert.Equal(["DatabasePath", "Field", "Force", "NoClobber", "Object", "Path", "Profile"],
            Cmdlet("Export-CrmFieldMapping").Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal([(CmdletRules.AllParameterSets, true)], Declarations("Export-CrmFieldMapping", "Path"));
        Assert.Equal("System.Management.Automation.SwitchParameter", Parameter("Export-CrmFieldMapping", "NoClobber").TypeFullName);
        Assert.Equal("System.Management.Automation.SwitchParameter", Parameter("Export-CrmFieldMapping", "Force").TypeFullName);
        Assert.Equal(["System.Void"], Cmdlet("Export-CrmFieldMapping").OutputTypes);
        // A Get verb changes nothing: the export moved to Export-CrmFieldMapping (the module is pre-1.0).
        Assert.DoesNotContain(Cmdlet("Get-CrmFieldMapping").Parameters, p => p.Name == "Path");
    }

    [Fact]
    public void Set_CrmFieldMapping_edits_one_field_or_imports_a_file()
    {
        Assert.Equal("ByField", Cmdlet("Set-CrmFieldMapping").DefaultParameterSetName);
        Assert.Equal([("ByField", true)], Declarations("Set-CrmFieldMapping", "Object"));
        Assert.Equal([("ByField", true)], Declarations("Set-CrmFieldMapping", "Field"));
        Assert.Equal([("FromFile", true)], Declarations("Set-CrmFieldMapping", "Path"));
        Assert.Equal([("ByField", false)], Declarations("Set-CrmFieldMapping", "Column"));
        Assert.StartsWith("System.Nullable`1[[CrmSync.Engine.Store.FieldMappingRule", Parameter("Set-CrmFieldMapping", "Rule").TypeFullName, StringComparison.Ordinal);
        Assert.Equal("System.Management.Automation.SwitchParameter", Parameter("Set-CrmFieldMapping", "Disable").TypeFullName);
        // Get-CrmFieldMapping | Set-CrmFieldMapping -Rule AlwaysCrm binds the object and field by property name
        Assert.True(Parameter("Set-CrmFieldMapping", "Object").FromPipelineByPropertyName);
        Assert.True(Parameter("Set-CrmFieldMapping", "Field").FromPipelineByPropertyName);
    }

    [Theory]
    [InlineData("Get-CrmField", "Object", "ObjectNameCompleter")]
    [InlineData("Get-CrmField", "Name", "FieldNameCompleter")]
    [InlineData("Get-CrmFieldMapping", "Object", "ObjectNameCompleter")]
    [InlineData("Get-CrmFieldMapping", "Field", "FieldNameCompleter")]
    [InlineData("Export-CrmFieldMapping", "Object", "ObjectNameCompleter")]
    [InlineData("Export-CrmFieldMapping", "Field", "FieldNameCompleter")]
    [InlineData("Set-CrmFieldMapping", "Object", "ObjectNameCompleter")]
    [InlineData("Set-CrmFieldMapping", "Field", "FieldNameCompleter")]
    [InlineData("Sync-CrmField", "Profile", "ProfileCompleter")]
    [InlineData("Get-CrmSyncStatus", "Profile", "ProfileCompleter")]
    public void Names_complete_from_the_local_catalog(string cmdlet, string parameter, string completer) =>
        Assert.Equal($"CrmSync.PowerShell.Completion.{completer}", CompleterOf(cmdlet, parameter));

    [Fact]
    public void The_completers_are_PowerShell_argument_completers()
    {
        foreach (string name in new[] { "ProfileCompleter", "ObjectNameCompleter", "FieldNameCompleter" })
        {
            Type completer = module.CmdletAssembly.GetType($"CrmSync.PowerShell.Completion.{name}", throwOnError: true)!;
            Assert.Contains("System.Management.Automation.IArgumentCompleter", completer.GetInterfaces().Select(i => i.FullName));
            Assert.NotNull(completer.GetConstructor(Type.EmptyTypes));
        }
    }
}
