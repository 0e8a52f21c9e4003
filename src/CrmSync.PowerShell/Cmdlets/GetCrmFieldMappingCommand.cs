using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Gets the field mappings of a CrmSync profile: which local column each CRM field syncs into, and by which rule.</summary>
/// <remarks>
/// <para>Sync-CrmField creates a default mapping for every field it creates. Get-CrmFieldMapping lists them, filtered with
/// -Object and -Field (wildcards): the CRM object and field, the local table and column, the SQLite type, the conflict rule
/// (TwoWay, PreferCrmUnlessBlank, AlwaysCrm, AlwaysLocal, None), the direction and whether the mapping is enabled.</para>
/// <para>Changes nothing: to write the mappings to a file for review and Set-CrmFieldMapping -Path, use
/// Export-CrmFieldMapping. A literal -Object without mappings writes a non-terminating ObjectNotSynced error. Local only: the
/// CRM is not contacted.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="CrmFieldMapping">One mapping per field: Profile, ObjectName, FieldName, CrmType, TableName, ColumnName,
/// SqliteType, Rule, Direction, Enabled, IsOrphaned, IsPushable and IsSynced.</output>
/// <example>
/// <title>The mappings of leads and contacts</title>
/// <code>
/// PS&gt; Get-CrmFieldMapping -Object Lead, Contact
/// </code>
/// <para>Lists every Lead and Contact field mapping of the 'default' profile.</para>
/// </example>
/// <example>
/// <title>Pipe mappings into Set-CrmFieldMapping</title>
/// <code>
/// PS&gt; Get-CrmFieldMapping -Object Lead -Field *Score* | Set-CrmFieldMapping -Rule AlwaysCrm -WhatIf
/// </code>
/// <para>ObjectName and FieldName bind to -Object and -Field: shows how every Lead score field would change to AlwaysCrm.</para>
/// </example>
/// <seealso cref="SetCrmFieldMappingCommand"/>
/// <seealso cref="ExportCrmFieldMappingCommand"/>
/// <seealso cref="GetCrmFieldCommand"/>
[Cmdlet(VerbsCommon.Get, "CrmFieldMapping", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmFieldMapping))]
public sealed class GetCrmFieldMappingCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Only mappings of these CRM objects (Lead, Contact, Account, a custom object's API name) or wildcard patterns. None lists every object.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ObjectNameCompleter))]
    public string[] Object { get; set; } = [];

    /// <summary>Only mappings of these CRM API field names or wildcard patterns. None lists every field.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FieldNameCompleter))]
    public string[] Field { get; set; } = [];

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.GetFieldMappings(new GetFieldMappingOptions
            {
                Profile = Profile, DatabasePath = ResolvedDatabasePath, Object = Object, Field = Field,
            }));
}
