using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Changes a field mapping, or imports a reviewed mapping file, before the first sync of a CrmSync profile.</summary>
/// <remarks>
/// <para>ByField (the default parameter set) edits one mapping, named by -Object and -Field: -Column points the field at
/// another existing column of the same table with a compatible type; -Rule sets the conflict rule; -Disable breaks the
/// mapping (the field stops syncing, its column and data stay) and -Enable restores it. The rules: TwoWay (Marketo's
/// default: a Lead's local change wins, a Contact's CRM value wins), PreferCrmUnlessBlank (the CRM value wins unless it is
/// blank), AlwaysCrm, AlwaysLocal and None (the field is not synced).</para>
/// <para>FromFile imports a JSON file written by Export-CrmFieldMapping, all or nothing: every change is validated
/// first, then applied in one transaction after one confirmation. An unknown field or column, an incompatible type, a
/// pushing rule on a one-way or read-only field or an invalid file fails with ErrorId MappingInvalid and changes
/// nothing.</para>
/// <para>The mappings can only be changed before the first Start-CrmSync: from then on they are locked and every change
/// fails with ErrorId MappingLocked. Supports -WhatIf and -Confirm (ConfirmImpact Medium). Writes the changed mappings.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <input cref="CrmFieldMapping">A piped mapping (Get-CrmFieldMapping) binds ObjectName to -Object and FieldName to -Field,
/// and its Profile to -Profile.</input>
/// <output cref="CrmFieldMapping">Each changed mapping as it is now: ObjectName, FieldName, TableName, ColumnName, Rule,
/// Direction, Enabled and the other mapping properties.</output>
/// <example>
/// <title>Let the CRM always win for one field</title>
/// <code>
/// PS&gt; Set-CrmFieldMapping -Object Lead -Field Rating -Rule AlwaysCrm
/// </code>
/// <para>From now on a Lead's Rating always takes the CRM's value when both sides changed it.</para>
/// </example>
/// <example>
/// <title>Stop syncing a field, after a preview</title>
/// <code>
/// PS&gt; Set-CrmFieldMapping -Object Contact -Field Birthdate -Disable -WhatIf
/// PS&gt; Set-CrmFieldMapping -Object Contact -Field Birthdate -Disable
/// </code>
/// <para>-WhatIf shows the change and makes none; the second command breaks the mapping. The Birthdate column and its
/// data stay in the database.</para>
/// </example>
/// <example>
/// <title>Review the mappings in a file, then import them</title>
/// <code>
/// PS&gt; Export-CrmFieldMapping -Profile prod -Path ./prod-mapping.json
/// PS&gt; code ./prod-mapping.json
/// PS&gt; Set-CrmFieldMapping -Profile prod -Path ./prod-mapping.json -WhatIf
/// PS&gt; Set-CrmFieldMapping -Profile prod -Path ./prod-mapping.json
/// </code>
/// <para>Exports the mappings, edits them, previews the import (the changed mappings are listed) and imports them all or
/// nothing.</para>
/// </example>
/// <seealso cref="GetCrmFieldMappingCommand"/>
/// <seealso cref="ExportCrmFieldMappingCommand"/>
/// <seealso cref="SyncCrmFieldCommand"/>
/// <seealso cref="StartCrmSyncCommand"/>
[Cmdlet(VerbsCommon.Set, "CrmFieldMapping", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByField)]
[OutputType(typeof(CrmFieldMapping))]
public sealed class SetCrmFieldMappingCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>The CRM object of the mapping to change (Lead, Contact, Account, a custom object's API name). Binds the ObjectName property of a piped Get-CrmFieldMapping result; Tab completes from the local catalog.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ParameterSetNames.ByField)]
    [Alias("ObjectName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ObjectNameCompleter))]
    public string Object { get; set; } = "";

    /// <summary>The CRM API field name of the mapping to change. Binds the FieldName property of a piped Get-CrmFieldMapping result; Tab completes from the local catalog.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ParameterSetNames.ByField)]
    [Alias("FieldName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FieldNameCompleter))]
    public string Field { get; set; } = "";

    /// <summary>Syncs the field into this existing column of the same table instead; its type must be compatible with the field's, or the change fails with ErrorId MappingInvalid.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    [ValidateNotNullOrEmpty]
    public string? Column { get; set; }

    /// <summary>The conflict rule: TwoWay (a Lead's local change wins, a Contact's CRM value wins), PreferCrmUnlessBlank, AlwaysCrm, AlwaysLocal or None (not synced). A rule that pushes is refused for a one-way or read-only field.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    public FieldMappingRule? Rule { get; set; }

    /// <summary>Restores a mapping broken with -Disable: the field syncs again. Cannot be combined with -Disable.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    public SwitchParameter Enable { get; set; }

    /// <summary>Breaks the mapping: the field stops syncing; its column and data stay. Cannot be combined with -Enable.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    public SwitchParameter Disable { get; set; }

    /// <summary>A JSON mapping file written by Export-CrmFieldMapping (and possibly edited), to import all or nothing. Selects the FromFile parameter set. A relative path is relative to the current PowerShell location.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.FromFile)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        bool fromFile = ParameterSetName == ParameterSetNames.FromFile;
        var options = new SetFieldMappingOptions
        {
            Profile = Profile, DatabasePath = ResolvedDatabasePath,
            ObjectName = fromFile ? null : Object, FieldName = fromFile ? null : Field, Column = Column, Rule = Rule,
            Enable = Enable.IsPresent, Disable = Disable.IsPresent,
            ImportPath = fromFile ? ResolveFileSystemPath(Path, nameof(Path)) : null,
        };
        RunHandler(Handlers.SetFieldMapping(options));
    }
}
