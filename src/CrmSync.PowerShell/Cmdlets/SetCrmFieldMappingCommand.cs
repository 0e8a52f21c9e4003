using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.PowerShell.Completion;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes a field mapping, or imports a reviewed mapping file, before the first sync.</para>
/// <para type="description">ByField: points -Object/-Field at another -Column of the same table, gives it a -Rule (TwoWay,
/// PreferCrmUnlessBlank, AlwaysCrm, AlwaysLocal, None), or breaks (-Disable) or restores (-Enable) it. FromFile: imports a JSON
/// file written by Get-CrmFieldMapping -Path, all or nothing. Once the sync has started the mappings are locked and every
/// change fails with ErrorId MappingLocked. Supports -WhatIf and -Confirm.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "CrmFieldMapping", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByField)]
[OutputType(typeof(CrmFieldMapping))]
public sealed class SetCrmFieldMappingCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>The CRM object of the mapping (binds ObjectName from Get-CrmFieldMapping).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ParameterSetNames.ByField)]
    [Alias("ObjectName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ObjectNameCompleter))]
    public string Object { get; set; } = "";

    /// <summary>The CRM API field name of the mapping (binds FieldName from Get-CrmFieldMapping).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ParameterSetNames.ByField)]
    [Alias("FieldName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FieldNameCompleter))]
    public string Field { get; set; } = "";

    /// <summary>An existing column of the same table, of a compatible type, to sync the field into.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    [ValidateNotNullOrEmpty]
    public string? Column { get; set; }

    /// <summary>The conflict rule.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    public FieldMappingRule? Rule { get; set; }

    /// <summary>Restore a broken mapping.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    public SwitchParameter Enable { get; set; }

    /// <summary>Break the mapping: the field stops syncing, its column stays.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.ByField)]
    public SwitchParameter Disable { get; set; }

    /// <summary>A mapping file written by Get-CrmFieldMapping -Path, to import (all or nothing).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.FromFile)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        if (Enable.IsPresent && Disable.IsPresent)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, "-Enable and -Disable cannot be given together.",
                "Give -Enable to restore the mapping or -Disable to break it.", $"{Object}.{Field}");
        bool fromFile = ParameterSetName == ParameterSetNames.FromFile;
        var options = new SetFieldMappingOptions
        {
            Profile = Profile, DatabasePath = ResolvedDatabasePath,
            ObjectName = fromFile ? null : Object, FieldName = fromFile ? null : Field, Column = Column, Rule = Rule,
            Enabled = Enable.IsPresent ? true : Disable.IsPresent ? false : null,
            ImportPath = fromFile ? ResolveFileSystemPath(Path, nameof(Path)) : null,
        };
        RunHandler(new SetFieldMappingCommand(
            new ProfileStore(new ProfileLocator(CrmSyncPaths.FromEnvironment(Environment.GetEnvironmentVariable))), options));
    }
}
