using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Exports the field mappings of a CrmSync profile to a JSON file, for review and Set-CrmFieldMapping -Path.</summary>
/// <remarks>
/// <para>Writes the mappings (filtered with -Object and -Field, wildcards allowed) to a JSON file: per mapping the CRM object
/// and field, the local column, the conflict rule and whether it is enabled. The file is stable (the same mappings always
/// give the same bytes), so it diffs well under version control. Review or edit it, then import it with Set-CrmFieldMapping
/// -Path before the first Start-CrmSync; after that the mappings are locked.</para>
/// <para>Like Export-Csv, an existing file is overwritten; -NoClobber refuses it instead, and a read-only file is only
/// overwritten with -Force. Supports -WhatIf and -Confirm (ConfirmImpact Medium, as Export-Csv): -WhatIf writes no file. A literal -Object
/// without mappings writes a non-terminating ObjectNotSynced error. Local only: the CRM is not contacted.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="void">None. -Verbose says how many mappings were written where.</output>
/// <example>
/// <title>Export the mappings for review</title>
/// <code>
/// PS&gt; Export-CrmFieldMapping -Profile prod -Path ./prod-mapping.json
/// </code>
/// <para>Writes all mappings of 'prod' to prod-mapping.json, to be reviewed, edited and imported with Set-CrmFieldMapping
/// -Path.</para>
/// </example>
/// <example>
/// <title>Export the Lead mappings without overwriting a file</title>
/// <code>
/// PS&gt; Export-CrmFieldMapping -Object Lead -Path ./lead-mapping.json -NoClobber
/// </code>
/// <para>Writes the Lead mappings of the 'default' profile, or fails if lead-mapping.json already exists.</para>
/// </example>
/// <seealso cref="SetCrmFieldMappingCommand"/>
/// <seealso cref="GetCrmFieldMappingCommand"/>
[Cmdlet(VerbsData.Export, "CrmFieldMapping", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(void))]
public sealed class ExportCrmFieldMappingCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>The JSON file to write, for review and Set-CrmFieldMapping -Path. A relative path is relative to the current PowerShell location. An existing file is overwritten unless -NoClobber is given.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Only mappings of these CRM objects (Lead, Contact, Account, a custom object's API name) or wildcard patterns. None exports every object.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ObjectNameCompleter))]
    public string[] Object { get; set; } = [];

    /// <summary>Only mappings of these CRM API field names or wildcard patterns. None exports every field.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FieldNameCompleter))]
    public string[] Field { get; set; } = [];

    /// <summary>Refuses to overwrite an existing file: the export fails and the file stays as it is.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Overwrites a read-only file (clearing its read-only attribute). Does not override -NoClobber.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.ExportFieldMappings(new ExportFieldMappingOptions
        {
            Profile = Profile, DatabasePath = ResolvedDatabasePath, Object = Object, Field = Field,
            Path = ResolveFileSystemPath(Path, nameof(Path)), NoClobber = NoClobber.IsPresent, Force = Force.IsPresent,
        }));
}
