using System.Management.Automation;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Forgets the saved credentials of a CrmSync profile and keeps all its data.</summary>
/// <remarks>
/// <para>Deletes the profile's encrypted secrets (secrets/&lt;profile&gt;.json in the data folder) and this session's
/// in-memory connection (-Scope Process). The profile's database, its field catalog, mappings, sync state and every local
/// record are kept: Connect-CrmSync connects the profile again and the sync resumes where it stopped.</para>
/// <para>Until then, Start-CrmSync for the profile fails with ErrorId CredentialsNotSaved. Disconnect-CrmSync asks for
/// confirmation only when $ConfirmPreference is Medium or lower (ConfirmImpact Medium); -WhatIf shows what would be
/// forgotten. An unknown profile is a terminating ProfileNotFound error.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object, such as the output of
/// Get-CrmSyncStatus, Connect-CrmSync or Start-CrmSync.</input>
/// <output cref="CrmDisconnectionInfo">Profile, DatabasePath (kept), SavedSecretsForgotten, ProcessConnectionForgotten and a
/// Message saying what happened.</output>
/// <example>
/// <title>Forget the credentials of a profile, after a preview</title>
/// <code>
/// PS&gt; Disconnect-CrmSync -Profile uat -WhatIf
/// PS&gt; Disconnect-CrmSync -Profile uat
/// </code>
/// <para>The first command says which saved credentials would be forgotten; the second forgets them. The 'uat' database
/// stays as it is.</para>
/// </example>
/// <example>
/// <title>Rotate the sync user's password</title>
/// <code>
/// PS&gt; Disconnect-CrmSync -Profile prod -Confirm:$false
/// PS&gt; Connect-CrmSync -Profile prod -Credential (Get-Credential sync.user@example.com) -SecurityToken (Read-Host -AsSecureString 'Security token')
/// </code>
/// <para>Forgets the old secrets without a prompt and saves the new ones; the data and the sync position are untouched.</para>
/// </example>
/// <seealso cref="ConnectCrmSyncCommand"/>
/// <seealso cref="StopCrmSyncCommand"/>
[Cmdlet(VerbsCommunications.Disconnect, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.ByProfile)]
[OutputType(typeof(CrmDisconnectionInfo))]
public sealed class DisconnectCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <inheritdoc />
    protected override void ExecuteCmdlet() =>
        RunHandler(Handlers.Disconnect(Profile, ResolvedDatabasePath));
}
