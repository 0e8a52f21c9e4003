using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Creates a local column for every CRM field the sync user can see. Permanent: review the plan with -WhatIf first.</summary>
/// <remarks>
/// <para>Sync-CrmField is the second setup step, after Connect-CrmSync. It describes every synced object in the CRM and
/// writes the plan, one FieldPlanEntry per field: fields to create, fields already created, fields gone from the CRM (kept,
/// no longer synced), renamed fields (a new field) and changed types (the old column is kept). Leads and contacts share the
/// person table; accounts, opportunities, campaigns and custom objects get tables of their own.</para>
/// <para>Confirming backs the database up (VACUUM INTO) and creates the tables, columns, catalog rows and default mappings
/// in one transaction. Created columns can never be deleted, so Sync-CrmField asks for confirmation (ConfirmImpact High);
/// -WhatIf prints the plan and a "What if:" text listing every field that would be created, and changes nothing at all
/// (no backup, no table, no remembered exclusion).</para>
/// <para>-ExcludeField takes wildcard patterns ('Lead.*SSN*', '*.Internal_*') for fields that must never get a column; the
/// patterns are remembered for later runs, and -ResetExclusions replaces the remembered ones. Run Sync-CrmField again
/// whenever the CRM gains fields: it only ever adds. It needs a connected profile (Connect-CrmSync).</para>
/// <para>-Field selects the fields to sync (include only, like Marketo's "Select fields to sync"): with the same wildcard
/// patterns ('Lead.*', '*.emailaddress1', 'contact.new_*'), only matching fields get a column, plus the fields the sync
/// itself needs (record id, modification stamp, delete flag, merge and conversion fields, external key, sync filter
/// field); -ExcludeField still applies on top. The selection is remembered in the profile (setting includeFields) and
/// the schema refresh of every sync cycle applies it, so a field the CRM adds later is created only when it is selected.
/// A later -Field adds its patterns to the remembered selection; -ResetFieldSelection replaces it by the -Field patterns
/// given (narrowing it), and without -Field clears it (every field is selected again, so the plan creates the fields the
/// selection left out). Fields outside the selection show in the plan as Action Excluded with the selection in their Note;
/// the -WhatIf text names the remembered selection. Fields created before are never dropped: narrowing only stops fields
/// that were not created yet from being created; a created field outside the new selection keeps its column and keeps
/// syncing (a warning lists them; Set-CrmFieldMapping -Disable stops one before the first Start-CrmSync).</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="FieldPlanEntry">The plan, one entry per field: Action, ObjectName, FieldName, Label, CrmType, NativeType,
/// Table, Column, SqliteType, Direction, Note and the field's createable/updateable/calculated/external-id flags.</output>
/// <example>
/// <title>Review the plan, then create the columns</title>
/// <code>
/// PS&gt; Sync-CrmField -WhatIf
/// PS&gt; Sync-CrmField
/// </code>
/// <para>The first command writes the plan and changes nothing; the second writes it again, asks once for confirmation,
/// and creates the columns.</para>
/// </example>
/// <example>
/// <title>Keep sensitive fields out of the database</title>
/// <code>
/// PS&gt; Sync-CrmField -Profile prod -ExcludeField 'Lead.*SSN*', '*.Internal_*' -WhatIf
/// PS&gt; Sync-CrmField -Profile prod -ExcludeField 'Lead.*SSN*', '*.Internal_*'
/// </code>
/// <para>No column is created for Lead fields whose name contains SSN or for fields of any object that start with
/// Internal_; the patterns are remembered for the next Sync-CrmField of 'prod'.</para>
/// </example>
/// <example>
/// <title>Sync only selected fields</title>
/// <code>
/// PS&gt; Sync-CrmField -Profile prod -Field 'Lead.*', '*.Email' -ExcludeField 'Lead.*SSN*' -WhatIf
/// PS&gt; Sync-CrmField -Profile prod -Field 'Lead.*', '*.Email' -ExcludeField 'Lead.*SSN*'
/// </code>
/// <para>Creates every Lead field except those containing SSN, the Email field of the other objects and the fields the
/// sync needs; nothing else. The selection is remembered: later runs and the daily schema refresh create new CRM
/// fields only when they match it.</para>
/// </example>
/// <example>
/// <title>Narrow or clear the remembered field selection</title>
/// <code>
/// PS&gt; Sync-CrmField -Profile prod -Field 'lead.emailaddress1', 'lead.lastname' -ResetFieldSelection -WhatIf
/// PS&gt; Sync-CrmField -Profile prod -Field 'lead.emailaddress1', 'lead.lastname' -ResetFieldSelection
/// PS&gt; Sync-CrmField -Profile prod -ResetFieldSelection
/// </code>
/// <para>The first two commands replace the remembered selection by the two patterns: fields the CRM adds later are
/// created only when they match them. Fields created before stay and keep syncing (a warning lists those outside the new
/// selection). The third command clears the selection: every field the sync user can see is selected again, and the
/// plan shows the fields it creates before asking.</para>
/// </example>
/// <example>
/// <title>Only the fields that would be created, in a script</title>
/// <code>
/// PS&gt; Sync-CrmField -Profile prod -WhatIf | Where-Object Action -eq 'Create' | Format-Table ObjectName, FieldName, Column, SqliteType
/// PS&gt; Sync-CrmField -Profile prod -Confirm:$false
/// </code>
/// <para>Filters the plan to the new columns; after review, -Confirm:$false creates them without a prompt (for
/// automation).</para>
/// </example>
/// <parameter name="WhatIf">Writes the plan and a "What if:" text listing every field that would be created. Nothing is
/// backed up, created or remembered.</parameter>
/// <seealso cref="ConnectCrmSyncCommand"/>
/// <seealso cref="GetCrmFieldCommand"/>
/// <seealso cref="GetCrmFieldMappingCommand"/>
[Cmdlet(VerbsData.Sync, "CrmField", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(FieldPlanEntry))]
public sealed class SyncCrmFieldCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Fields that must not get a column: 'Object.Field' or 'Field' wildcard patterns ('Lead.*SSN*', '*.Internal_*'). Added to the patterns remembered from earlier runs.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] ExcludeField { get; set; } = [];

    /// <summary>Selects the fields to sync (include only): 'Object.Field' or 'Field' wildcard patterns ('Lead.*', '*.emailaddress1', 'contact.new_*'). Only matching fields and the fields the sync needs get a column; -ExcludeField still applies. Added to the selection remembered from earlier runs, which every schema refresh applies too; fields created before are kept.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Field { get; set; } = [];

    /// <summary>Replaces the exclusion patterns remembered from earlier runs with -ExcludeField; without -ExcludeField it clears them.</summary>
    [Parameter]
    public SwitchParameter ResetExclusions { get; set; }

    /// <summary>Replaces the field selection remembered from earlier runs with -Field (narrowing it); without -Field it clears the selection, so every field is selected again. Fields created before keep their columns and keep syncing; only fields not created yet follow the new selection.</summary>
    [Parameter]
    public SwitchParameter ResetFieldSelection { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        RunHandler(Handlers.SyncFields(new SyncFieldsOptions
        {
            Profile = Profile, DatabasePath = ResolvedDatabasePath, ExcludeField = ExcludeField, Field = Field, ResetExclusions = ResetExclusions.IsPresent,
            ResetFieldSelection = ResetFieldSelection.IsPresent,
        }));
    }
}
