using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the field mappings: which local column each CRM field syncs into, and by which rule.</para>
/// <para type="description">Lists the mappings of the profile (filter with -Object and -Field, wildcards). With -Path, writes the
/// (filtered) mappings to a reviewable JSON file instead, which Set-CrmFieldMapping -Path imports after editing. Local only.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CrmFieldMapping", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmFieldMapping))]
public sealed class GetCrmFieldMappingCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>CRM object names; wildcards allowed.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ObjectNameCompleter))]
    public string[] Object { get; set; } = [];

    /// <summary>CRM API field names; wildcards allowed.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FieldNameCompleter))]
    public string[] Field { get; set; } = [];

    /// <summary>Export the mappings to this JSON file (overwritten) instead of writing them to the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(new GetFieldMappingCommand(
            new ProfileStore(new ProfileLocator(CrmSyncPaths.FromEnvironment(Environment.GetEnvironmentVariable))),
            new GetFieldMappingOptions
            {
                Profile = Profile, DatabasePath = ResolvedDatabasePath, Object = Object, Field = Field,
                ExportPath = Path is null ? null : ResolveFileSystemPath(Path, nameof(Path)),
            }));
}
