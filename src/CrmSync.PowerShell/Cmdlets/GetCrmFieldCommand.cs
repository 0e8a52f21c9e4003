using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Lists the CRM fields that have a local column in a CrmSync profile's database.</summary>
/// <remarks>
/// <para>Reads the profile's field catalog, which Sync-CrmField fills; never the network. Each field is written with its
/// CRM object and API name, label, local table and column, CRM and SQLite types, direction (TwoWay or CrmToLocal) and
/// whether it syncs. A field that is gone from the CRM is kept and shown as orphaned (IsOrphaned, OrphanedAt); a field
/// whose CRM type changed shows the replaced type (ReplacedType).</para>
/// <para>Filter with -Object and -Name, both wildcard patterns; Tab completes them from the local catalog. A literal
/// -Object without created fields writes a non-terminating ObjectNotSynced error, a literal -Name that matches nothing a
/// CrmFieldNotFound error; a profile whose fields were never synced writes a warning to run Sync-CrmField. An unknown
/// profile is a terminating ProfileNotFound error. Reads only.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="CrmFieldInfo">One catalog entry per field: Profile, ObjectName, FieldName, Label, TableName, ColumnName,
/// CrmType, SqliteType, ReplacedType, IsOrphaned, OrphanedAt, IsCreateable, IsUpdateable, IsCalculated, IsExternalId,
/// Direction, IsSynced and CreatedAt.</output>
/// <example>
/// <title>The e-mail fields of leads (a Salesforce profile; object names are the CRM's own)</title>
/// <code>
/// PS&gt; Get-CrmField -Object Lead -Name *Email*
/// </code>
/// <para>Lists the fields of the CRM object Lead whose API name contains Email, with the column each one syncs into.</para>
/// </example>
/// <example>
/// <title>Fields that no longer exist in the CRM</title>
/// <code>
/// PS&gt; Get-CrmField -Profile prod | Where-Object IsOrphaned | Select-Object ObjectName, FieldName, ColumnName, OrphanedAt
/// </code>
/// <para>Their columns and data are kept, but they no longer sync.</para>
/// </example>
/// <seealso cref="SyncCrmFieldCommand"/>
/// <seealso cref="GetCrmFieldMappingCommand"/>
[Cmdlet(VerbsCommon.Get, "CrmField", DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmFieldInfo))]
public sealed class GetCrmFieldCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Only fields of these CRM objects (their API names, e.g. Account or a custom object's), or wildcard patterns. None lists every object.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ObjectNameCompleter))]
    public string[] Object { get; set; } = [];

    /// <summary>Only fields with these CRM API names (e.g. Email) or wildcard patterns. None lists every field.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FieldNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.GetFields(new GetFieldOptions { Profile = Profile, DatabasePath = ResolvedDatabasePath, Object = Object, Name = Name }));
}
