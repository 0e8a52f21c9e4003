namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// The declared surface of Start-/Stop-CrmSync and the report cmdlets in the built DLL (MetadataLoadContext): impacts,
/// output types from the engine, and the parameters that make <c>Get-CrmSyncStatus | Start-CrmSync | Get-CrmSyncError</c> bind.
/// </summary>
public sealed class SyncCmdletSurfaceTests : IClassFixture<BuiltModule>
{
    private readonly BuiltModule module;

    public SyncCmdletSurfaceTests(BuiltModule module) => this.module = module;

    private CmdletFacts Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    private void AssertOutputsEngineType(CmdletFacts cmdlet, string typeName)
    {
        Assert.Equal(typeName, Assert.Single(cmdlet.OutputTypes));
        Type? type = module.FindType(typeName);
        Assert.NotNull(type);
        Assert.Equal("CrmSync.Engine.dll", Path.GetFileName(type!.Assembly.Location));
    }

    [Fact]
    public void Start_CrmSync_is_ConfirmImpact_High_outputs_the_run_result_and_binds_the_profile_from_the_pipeline()
    {
        CmdletFacts start = Cmdlet("Start-CrmSync");

        Assert.True(start.SupportsShouldProcess);
        Assert.Equal(Impact.High, start.ConfirmImpact);
        AssertOutputsEngineType(start, "CrmSync.Engine.Sync.SyncRunResult");
        Assert.True(start.Parameters.Single(p => p.Name == "Profile").FromPipelineByPropertyName);
        Assert.True(start.Parameters.Single(p => p.Name == "DatabasePath").FromPipelineByPropertyName);
        Assert.Equal("System.Management.Automation.SwitchParameter", start.Parameters.Single(p => p.Name == "Continuous").TypeFullName);
        Assert.Equal("System.TimeSpan", start.Parameters.Single(p => p.Name == "Interval").TypeFullName);
        Assert.Equal("CrmSync.Engine.Crm.CrmFullReadStrategy", start.Parameters.Single(p => p.Name == "InitialStrategy").TypeFullName);
        Assert.Equal("System.Int64", start.Parameters.Single(p => p.Name == "BulkThreshold").TypeFullName);
    }

    [Fact]
    public void The_run_result_carries_what_the_next_cmdlets_bind_by_property_name()
    {
        Type result = module.FindType("CrmSync.Engine.Sync.SyncRunResult")!;
        var properties = result.GetProperties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("Profile", properties);
        Assert.Contains("DatabasePath", properties);
        Assert.Contains("RunId", properties);
        Assert.Contains("InitialSyncCompleted", properties);
        Assert.True(Cmdlet("Get-CrmSyncError").Parameters.Single(p => p.Name == "RunId").FromPipelineByPropertyName);
        Assert.True(Cmdlet("Get-CrmSyncConflict").Parameters.Single(p => p.Name == "RunId").FromPipelineByPropertyName);
    }

    [Fact]
    public void Stop_CrmSync_is_ConfirmImpact_Medium_and_outputs_the_status()
    {
        CmdletFacts stop = Cmdlet("Stop-CrmSync");

        Assert.True(stop.SupportsShouldProcess);
        Assert.Equal(Impact.Medium, stop.ConfirmImpact);
        AssertOutputsEngineType(stop, "CrmSync.Engine.Sync.SyncStatus");
    }

    [Fact]
    public void Get_CrmSyncError_asks_only_for_Purge_at_ConfirmImpact_Low()
    {
        CmdletFacts errors = Cmdlet("Get-CrmSyncError");

        Assert.True(errors.SupportsShouldProcess);
        Assert.Equal(Impact.Low, errors.ConfirmImpact);
        AssertOutputsEngineType(errors, "CrmSync.Engine.Reports.CrmSyncErrorInfo");
        Assert.Equal("System.Management.Automation.SwitchParameter", errors.Parameters.Single(p => p.Name == "Purge").TypeFullName);
        Assert.Equal("System.TimeSpan", errors.Parameters.Single(p => p.Name == "Retention").TypeFullName);
        Assert.Equal("CrmSync.Engine.Reports.SyncErrorLevelFilter", errors.Parameters.Single(p => p.Name == "Level").TypeFullName);
    }

    [Theory]
    [InlineData("Get-CrmSyncConflict", "CrmSync.Engine.Reports.CrmSyncConflictInfo")]
    [InlineData("Find-CrmDuplicate", "CrmSync.Engine.Reports.CrmDuplicateGroup")]
    public void The_other_reports_are_read_only(string name, string outputType)
    {
        CmdletFacts report = Cmdlet(name);

        Assert.False(report.SupportsShouldProcess);
        AssertOutputsEngineType(report, outputType);
    }
}
