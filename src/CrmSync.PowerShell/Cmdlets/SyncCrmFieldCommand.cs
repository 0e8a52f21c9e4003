using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a local column for every CRM field the sync user can see. Permanent.</para>
/// <para type="description">Describes every synced object and writes the plan, one FieldPlanEntry per field: fields to create,
/// fields already created, fields gone from the CRM (kept, no longer synced), renamed fields (a new field) and changed types
/// (the old column kept). Confirming backs up the database and creates the tables, columns, catalog rows and default mappings
/// in one transaction. Created columns can never be deleted, so this asks for confirmation (ConfirmImpact High); -WhatIf
/// prints the plan and changes nothing. -ExcludeField takes wildcard patterns ('Lead.*SSN*', '*.Internal_*') that are
/// remembered for later runs; -ResetExclusions replaces the remembered ones.</para>
/// </summary>
[Cmdlet(VerbsData.Sync, "CrmField", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(FieldPlanEntry))]
public sealed class SyncCrmFieldCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Fields not to create: 'Object.Field' or 'Field' wildcard patterns.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] ExcludeField { get; set; } = [];

    /// <summary>Replace the exclusion patterns remembered from earlier runs by -ExcludeField (none given: clear them).</summary>
    [Parameter]
    public SwitchParameter ResetExclusions { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        var connector = ProfileConnector.ForEnvironment(Environment.GetEnvironmentVariable);
        var options = new SyncFieldsOptions
        {
            Profile = Profile, DatabasePath = ResolvedDatabasePath, ExcludeField = ExcludeField, ResetExclusions = ResetExclusions.IsPresent,
        };
        using var lease = new SchemaReaderLease(connector, ResolvedDatabasePath);
        RunHandler(new SyncFieldsCommand(connector.Profiles, options, lease.OpenAsync));
    }
}
