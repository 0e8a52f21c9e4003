namespace CrmSync.PowerShell.Tests.Module;

/// <summary>The built DLL's cmdlets follow the module's rules (read with MetadataLoadContext; nothing is executed).</summary>
public sealed class CmdletSurfaceTests : IClassFixture<BuiltModule>
{
    /// <summary>
    /// The ConfirmImpact each cmdlet must declare; null = read-only, no ShouldProcess. Every cmdlet in the DLL must be
    /// listed; lowering an entry (above all a High one) is a product decision, never a fix for a failing test.
    /// Entries for cmdlets that do not exist yet are the decisions already taken (PRODUCT.md, and the handlers in
    /// src/CrmSync.Engine/Commands that are waiting for their cmdlets).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Impact?> ExpectedConfirmImpact = new Dictionary<string, Impact?>
    {
        ["Get-CrmSyncStatus"] = null,
        ["Get-CrmSyncNotification"] = null,
        ["Set-CrmSyncNotification"] = Impact.Medium, // reversible settings; -Test sends one mail
        ["Get-CrmSyncError"] = Impact.Low, // ShouldProcess guards -Purge only; listing is a read
        ["Get-CrmFieldMapping"] = null,
        ["Find-CrmDuplicate"] = null,
        ["Get-CrmField"] = null,
        ["Get-CrmSyncConflict"] = null,
        ["Connect-CrmSync"] = Impact.Medium,
        ["Disconnect-CrmSync"] = Impact.Medium,
        ["Set-CrmFieldMapping"] = Impact.Medium,
        ["Export-CrmFieldMapping"] = Impact.Medium, // writes (and may overwrite) a file, as Export-Csv
        ["Sync-CrmField"] = Impact.High,
        ["Start-CrmSync"] = Impact.High,
        ["Stop-CrmSync"] = Impact.Medium,
        ["Test-CrmSyncConnection"] = null, // reads only (the login records API usage, as every command does)
    };

    private readonly BuiltModule module;

    public CmdletSurfaceTests(BuiltModule module) => this.module = module;

    [Fact]
    public void The_module_has_cmdlets()
    {
        Assert.Contains(module.Cmdlets, c => c.Name == "Get-CrmSyncStatus");
    }

    [Fact]
    public void Every_cmdlet_follows_the_rules()
    {
        var problems = module.Cmdlets
            .SelectMany(c => CmdletRules.Check(c, ExpectedConfirmImpact, module.ParameterSetNameConstants))
            .ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_permanent_operations_stay_ConfirmImpact_High_in_the_expected_table()
    {
        // PRODUCT.md: Sync-CrmField creates fields that can never be deleted; the first Start-CrmSync locks the mappings.
        Assert.Equal(Impact.High, ExpectedConfirmImpact["Sync-CrmField"]);
        Assert.Equal(Impact.High, ExpectedConfirmImpact["Start-CrmSync"]);
    }

    [Fact]
    public void Every_cmdlet_stands_on_the_base_cmdlet_ladder()
    {
        Assert.All(module.Cmdlets, c => Assert.Contains("CrmSync.PowerShell.Hosting.CrmSyncCmdlet", c.BaseClasses));
    }

    [Fact]
    public void Connected_cmdlets_take_Profile_and_DatabasePath_from_the_pipeline_by_property_name()
    {
        var connected = module.Cmdlets.Where(c => c.BaseClasses.Contains("CrmSync.PowerShell.Hosting.ConnectedCrmSyncCmdlet")).ToList();
        Assert.NotEmpty(connected);
        foreach (CmdletFacts cmdlet in connected)
        {
            Assert.True(cmdlet.Parameters.Single(p => p.Name == "Profile").FromPipelineByPropertyName, cmdlet.Name);
            Assert.True(cmdlet.Parameters.Single(p => p.Name == "DatabasePath").FromPipelineByPropertyName, cmdlet.Name);
        }
    }

    [Fact]
    public void The_module_registers_its_native_library_resolver_on_import()
    {
        Type hook = module.CmdletAssembly.GetType("CrmSync.PowerShell.Loading.ModuleImportHook", throwOnError: true)!;
        Assert.True(hook.IsPublic);
        var interfaces = hook.GetInterfaces().Select(i => i.FullName).ToList();
        Assert.Contains("System.Management.Automation.IModuleAssemblyInitializer", interfaces);
        Assert.Contains("System.Management.Automation.IModuleAssemblyCleanup", interfaces);
        Assert.NotNull(hook.GetConstructor(Type.EmptyTypes));
    }

    [Fact]
    public void Get_CrmSyncStatus_has_the_connected_parameters_and_outputs_the_engines_status_type()
    {
        CmdletFacts status = module.Cmdlets.Single(c => c.Name == "Get-CrmSyncStatus");
        Assert.Equal(["DatabasePath", "Profile"], status.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(status.Parameters, p => Assert.Equal("System.String", p.TypeFullName));
        string output = Assert.Single(status.OutputTypes);
        Type? outputType = module.FindType(output);
        Assert.NotNull(outputType);
        Assert.Equal("CrmSync.Engine.dll", Path.GetFileName(outputType!.Assembly.Location));
        Assert.False(status.SupportsShouldProcess);
    }
}

/// <summary>The rules catch what they are meant to catch (so a passing surface test means something).</summary>
public sealed class CmdletRulesTests
{
    private static readonly IReadOnlySet<string> SetNames = new HashSet<string> { "ByProfile" };

    private static CmdletFacts Good(string verb = "Start", string noun = "CrmSync", bool shouldProcess = true,
        Impact impact = Impact.High, params ParameterFacts[] parameters) =>
        new($"CrmSync.PowerShell.Cmdlets.{verb}{noun}Command", verb, noun, IsPublic: true, IsSealed: true, shouldProcess, impact,
            DefaultParameterSetName: null, OutputTypes: ["CrmSync.Engine.Sync.SyncResult"],
            Parameters: parameters.Length == 0 ? [new ParameterFacts("Profile", "System.String", ["__AllParameterSets"])] : parameters);

    private static IReadOnlyList<string> Check(CmdletFacts facts) =>
        CmdletRules.Check(facts, CmdletSurfaceTests.ExpectedConfirmImpact, SetNames);

    [Fact]
    public void A_well_formed_cmdlet_has_no_problems() => Assert.Empty(Check(Good()));

    [Fact]
    public void Lowering_a_High_ConfirmImpact_fails() =>
        Assert.Contains(Check(Good(impact: Impact.Medium)), p => p.Contains("ConfirmImpact is Medium, expected High", StringComparison.Ordinal));

    [Fact]
    public void A_state_changing_verb_without_ShouldProcess_fails() =>
        Assert.Contains(Check(Good(shouldProcess: false)), p => p.Contains("does not declare SupportsShouldProcess", StringComparison.Ordinal));

    [Fact]
    public void An_unapproved_verb_fails() =>
        Assert.Contains(Check(Good(verb: "Fetch", noun: "CrmThing")), p => p.Contains("not an approved", StringComparison.Ordinal));

    [Fact]
    public void A_noun_without_the_Crm_prefix_or_in_plural_fails()
    {
        Assert.Contains(Check(Good(verb: "Get", noun: "SyncStatus", shouldProcess: false)), p => p.Contains("does not start with 'Crm'", StringComparison.Ordinal));
        Assert.Contains(Check(Good(verb: "Sync", noun: "CrmFields")), p => p.Contains("plural", StringComparison.Ordinal));
        Assert.False(CmdletRules.IsPlural("CrmSyncStatus"));
        Assert.False(CmdletRules.IsPlural("CrmAccess"));
    }

    [Fact]
    public void A_cmdlet_missing_from_the_impact_table_fails() =>
        Assert.Contains(Check(Good(verb: "Remove", noun: "CrmProfile")), p => p.Contains("missing from the expected ConfirmImpact table", StringComparison.Ordinal));

    [Fact]
    public void A_missing_OutputType_fails() =>
        Assert.Contains(Check(Good() with { OutputTypes = [] }), p => p.Contains("[OutputType]", StringComparison.Ordinal));

    [Theory]
    [InlineData("Password")]
    [InlineData("ClientSecret")]
    [InlineData("SecurityToken")]
    [InlineData("ApiKey")]
    public void A_secret_parameter_typed_as_plain_string_fails(string name) =>
        Assert.Contains(Check(Good(parameters: new ParameterFacts(name, "System.String", ["__AllParameterSets"]))),
            p => p.Contains($"-{name} carries a secret", StringComparison.Ordinal));

    [Fact]
    public void A_secret_parameter_typed_as_SecureString_passes() =>
        Assert.Empty(Check(Good(parameters: new ParameterFacts("SecurityToken", "System.Security.SecureString", ["__AllParameterSets"]))));

    [Fact]
    public void A_parameter_set_name_that_is_not_a_constant_fails()
    {
        Assert.Contains(Check(Good(parameters: new ParameterFacts("Profile", "System.String", ["ByName"]))),
            p => p.Contains("parameter set 'ByName'", StringComparison.Ordinal));
        Assert.Contains(Check(Good() with { DefaultParameterSetName = "Typo" }), p => p.Contains("DefaultParameterSetName 'Typo'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_read_only_cmdlet_that_declares_ShouldProcess_fails() =>
        Assert.Contains(Check(Good(verb: "Get", noun: "CrmSyncStatus", shouldProcess: true)), p => p.Contains("expected to be read-only", StringComparison.Ordinal));
}
