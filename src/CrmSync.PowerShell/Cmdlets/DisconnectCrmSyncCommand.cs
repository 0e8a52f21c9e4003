using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Forgets the saved credentials of a CrmSync profile.</para>
/// <para type="description">Deletes the profile's encrypted secrets and this session's connection. The profile's database and
/// all local data are kept; Connect-CrmSync connects it again. Supports -WhatIf and -Confirm.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmDisconnectionInfo))]
public sealed class DisconnectCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(DisconnectCommand.ForEnvironment(Environment.GetEnvironmentVariable, Profile, ResolvedDatabasePath));
}
