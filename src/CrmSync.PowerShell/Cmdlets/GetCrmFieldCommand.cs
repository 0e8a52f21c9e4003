using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Lists the CRM fields that have a local column.</para>
/// <para type="description">Reads the profile's field catalog (never the network): each created field with its table, column,
/// types, whether it is orphaned or its type changed, and whether it syncs. Filter with -Object and -Name (wildcards).
/// Reads only.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CrmField", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmFieldInfo))]
public sealed class GetCrmFieldCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>CRM object names (Lead, Contact, Account, a custom object's API name); wildcards allowed.</summary>
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
    public string[] Name { get; set; } = [];

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(new GetFieldCommand(
            new ProfileStore(new ProfileLocator(CrmSyncPaths.FromEnvironment(Environment.GetEnvironmentVariable))),
            new GetFieldOptions { Profile = Profile, DatabasePath = ResolvedDatabasePath, Object = Object, Name = Name }));
}
