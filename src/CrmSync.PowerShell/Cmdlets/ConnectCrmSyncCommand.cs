using System.Management.Automation;
using System.Security;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Connects a CrmSync profile to Salesforce or Dynamics 365: logs in as the sync user for real, then saves the profile and its credentials.</summary>
/// <remarks>
/// <para>Connect-CrmSync is the first step of the setup. It logs in to Salesforce and saves nothing unless the login works:
/// a wrong password or security token fails with ErrorId InvalidCredentials and says to check both. On success it creates
/// the profile (with its SQLite database) or connects an existing profile of the same org again; a profile that belongs to
/// another org is refused, never overwritten.</para>
/// <para>Three ways to log in. The sync user (the default SalesforceUser parameter set): -Credential with the user name and
/// password, plus -SecurityToken unless the login IP range is trusted; add -ClientId and -ClientSecret to log in through
/// your own connected app. The client-credentials grant (no user): -ClientCredentials with -ClientId, -ClientSecret and the
/// My Domain -LoginUrl. -Sandbox logs in at test.salesforce.com; -LoginUrl at a My Domain (https only; plain http is refused
/// except to a loopback host, such as the CrmSync emulator).</para>
/// <para>Secrets are only accepted as PSCredential and SecureString, never as plain strings, and are never written to the
/// verbose, debug or error output. -Scope CurrentUser (the default) saves them encrypted for the current user (DPAPI on
/// Windows, AES-GCM under an owner-only key file elsewhere) so that scheduled tasks of the same account run unattended;
/// -Scope Process keeps them in this PowerShell session only. The secrets never go into the database.</para>
/// <para>Dynamics 365 (-Crm Dynamics -Url with the organization URL, as Marketo's "Step 3 of 3" form): the sync user's
/// -Credential (user@domain or DOMAIN\user; the Entra password grant, so MFA must be off for this user: an MFA-required
/// answer fails with ErrorId CrmMfaRequired), with the app registration's -ClientId and -ClientSecret when you have one
/// (optional, as in Marketo's form). Or the Application User (server to server): -ClientCredentials with -TenantId, -ClientId and
/// -ClientSecret. The login is real: a token, then WhoAmI, then one read of each synced entity; the sync user's id is kept.
/// A wrong password (InvalidCredentials), a wrong client secret (CrmClientRejected), a URL that is not a Dataverse org
/// (NotACrmEndpoint) and a user without Read on a synced entity (CrmPermissionDenied, naming the entity) each fail with
/// their own error, and nothing is saved. A Dynamics 365 profile is then tested (Test-CrmSyncConnection), shown,
/// disconnected and synced (Sync-CrmField, Start-CrmSync) like a Salesforce one.</para>
/// <para>The output is a CrmConnectionInfo: the user, org, instance, API version, scope and database path, and no secret.
/// -WhatIf shows what would be connected without logging in.</para>
/// </remarks>
/// <input cref="string">Profile and DatabasePath bind by property name from a piped object (for example a saved
/// connection's CrmConnectionInfo or Get-CrmSyncStatus output).</input>
/// <output cref="CrmConnectionInfo">The connection that was made: Profile, Crm, UserName, UserId, OrganizationId, LoginUrl,
/// InstanceUrl, ApiVersion, Sandbox, AuthMethod, Scope, DatabasePath, SecretsStoredAt, ProfileCreated and ConnectedAt.
/// It holds no password, token, client secret or session id.</output>
/// <example>
/// <title>Connect with a credential and a security token</title>
/// <code>
/// PS&gt; $cred = Get-Credential sync.user@example.com
/// PS&gt; $token = Read-Host -AsSecureString 'Security token'
/// PS&gt; Connect-CrmSync -Credential $cred -SecurityToken $token
/// </code>
/// <para>Asks for the sync user's password and security token without echoing them, logs in to login.salesforce.com and
/// saves the 'default' profile with its secrets encrypted for the current user. The output shows who is connected to
/// which org, and where the database is.</para>
/// </example>
/// <example>
/// <title>Connect a sandbox as a second profile, for this session only</title>
/// <code>
/// PS&gt; Connect-CrmSync -Profile uat -Sandbox -Credential $cred -SecurityToken $token -Scope Process
/// </code>
/// <para>Logs in at test.salesforce.com and keeps the secrets in memory: when this PowerShell session ends, the 'uat'
/// profile needs Connect-CrmSync again before it can sync.</para>
/// </example>
/// <example>
/// <title>Client-credentials grant through a connected app, with a preview first</title>
/// <code>
/// PS&gt; $secret = Read-Host -AsSecureString 'Consumer secret'
/// PS&gt; Connect-CrmSync -ClientCredentials -ClientId $appId -ClientSecret $secret -LoginUrl https://acme.my.salesforce.com -WhatIf
/// PS&gt; Connect-CrmSync -ClientCredentials -ClientId $appId -ClientSecret $secret -LoginUrl https://acme.my.salesforce.com
/// </code>
/// <para>The first command only says what would be connected; the second logs in as the connected app's integration user
/// (no user password) and saves the profile.</para>
/// </example>
/// <example>
/// <title>Connect Dynamics 365 as the sync user</title>
/// <code>
/// PS&gt; $cred = Get-Credential sync@contoso.onmicrosoft.com
/// PS&gt; Connect-CrmSync -Profile d365 -Crm Dynamics -Url https://contoso.crm.dynamics.com -Credential $cred
/// </code>
/// <para>Gets a token for the sync user from Entra ID (the password grant), checks it with WhoAmI and that the user can read
/// lead, contact, account, opportunity, systemuser, list and listmember, then saves the 'd365' profile with the password
/// encrypted for the current user. Add -ClientId and -ClientSecret to sign in through your own app registration.</para>
/// </example>
/// <example>
/// <title>Connect Dynamics 365 as the Application User (server to server)</title>
/// <code>
/// PS&gt; $secret = Read-Host -AsSecureString 'Client secret'
/// PS&gt; Connect-CrmSync -Profile d365 -Crm Dynamics -Url https://contoso.crm.dynamics.com -ClientCredentials -TenantId $tenantId -ClientId $appId -ClientSecret $secret
/// </code>
/// <para>Signs in with the client-credentials grant of the app registration; Dataverse acts as the Application User that the
/// app is mapped to. No user password is involved, so MFA does not apply.</para>
/// </example>
/// <parameter name="WhatIf">Shows which profile would be connected to which CRM, as which user and in which scope. Nothing
/// is logged in to and nothing is saved.</parameter>
/// <seealso cref="TestCrmSyncConnectionCommand"/>
/// <seealso cref="DisconnectCrmSyncCommand"/>
/// <seealso cref="SyncCrmFieldCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
[Cmdlet(VerbsCommunications.Connect, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.SalesforceUser)]
[OutputType(typeof(CrmConnectionInfo))]
public sealed class ConnectCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>
    /// Which CRM to connect to: Salesforce (the default) or Dynamics (Dynamics 365, with -Url). -Url, -TenantId and
    /// -SyncFilterField without -Crm Dynamics, or -Crm Dynamics without -Url, are refused with ErrorId InvalidArgument.
    /// </summary>
    /// <default>Salesforce</default>
    [Parameter]
    public CrmKind Crm { get; set; } = CrmKind.Salesforce;

    /// <summary>
    /// The sync user's name and password, as a PSCredential (Get-Credential). Mandatory in the default SalesforceUser
    /// parameter set and in the DynamicsUser set (Dynamics 365: user@domain or DOMAIN\user). The password never appears in
    /// any output and is saved only encrypted (-Scope).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>
    /// The sync user's Salesforce security token, as a SecureString (Read-Host -AsSecureString). Leave it out when the login
    /// IP range is trusted for the user's profile. Never accepted as a plain string.
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    public SecureString? SecurityToken { get; set; }

    /// <summary>
    /// Logs in with the client-credentials grant, without a user. Salesforce: the connected app's -ClientId and -ClientSecret
    /// at a My Domain -LoginUrl (the SalesforceClientCredentials set). Dynamics 365: the app registration's -TenantId,
    /// -ClientId and -ClientSecret, acting as its Application User (the DynamicsClientCredentials set). Without it
    /// PowerShell resolves -ClientId/-ClientSecret to a user set and asks for -Credential.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    public SwitchParameter ClientCredentials { get; set; }

    /// <summary>Logs in at the Salesforce sandbox host (test.salesforce.com) instead of login.salesforce.com, when -LoginUrl is not given.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public SwitchParameter Sandbox { get; set; }

    /// <summary>
    /// Salesforce: the login URL, a My Domain (https://acme.my.salesforce.com) or the CrmSync emulator; mandatory with
    /// -ClientCredentials. Dynamics 365: the Entra ID authority the token comes from (the CrmSync emulator's URL; leave it
    /// out for https://login.microsoftonline.com). https only; plain http is refused with ErrorId InsecureTransport except to
    /// a loopback host.
    /// </summary>
    /// <default>https://login.salesforce.com (https://test.salesforce.com with -Sandbox); Dynamics: https://login.microsoftonline.com</default>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    public Uri? LoginUrl { get; set; }

    /// <summary>
    /// The connected app's consumer key (Salesforce) or the Entra app registration's application (client) id (Dynamics 365).
    /// Salesforce: with -Credential it selects the OAuth password grant (without it, the SOAP partner login is used).
    /// Dynamics 365: optional with -Credential (Microsoft's public Dataverse sample app id is used without it). Mandatory with
    /// -ClientCredentials.
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary>
    /// The connected app's consumer secret (or the Entra application's client secret), as a SecureString. Goes with
    /// -ClientId; mandatory with -ClientCredentials. Saved only encrypted, never written to any output.
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    public SecureString? ClientSecret { get; set; }

    /// <summary>
    /// Dynamics 365: the organization URL (https://contoso.crm.dynamics.com, from the Power Platform admin center). Selects a
    /// Dynamics parameter set. A URL that does not answer as a Dataverse org fails with ErrorId NotACrmEndpoint.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    public Uri? Url { get; set; }

    /// <summary>
    /// Dynamics 365: the Entra ID tenant (its id, a GUID, or its domain such as contoso.onmicrosoft.com). Mandatory with
    /// -ClientCredentials; optional with -Credential (the 'organizations' endpoint is used without it).
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    [ValidateNotNullOrEmpty]
    public string? TenantId { get; set; }

    /// <summary>
    /// Dynamics 365: the logical name of the Two Options field that keeps records out of the sync (Marketo's sync filter),
    /// kept in the profile; Test-CrmSyncConnection checks it. Only an explicit No skips a record: a record without the field
    /// or with an empty value syncs. No to Yes creates or updates the record locally at the next cycle; Yes to No leaves the
    /// local row as it was (stale, never deleted). Skipped records are counted as Filtered in the run counts and in
    /// Get-CrmSyncStatus.
    /// </summary>
    /// <default>new_synctomkto</default>
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsUser)]
    [Parameter(ParameterSetName = ParameterSetNames.DynamicsClientCredentials)]
    [ValidateNotNullOrEmpty]
    public string? SyncFilterField { get; set; }

    /// <summary>
    /// Where the secrets are kept. CurrentUser: saved encrypted for the current user (secrets/&lt;profile&gt;.json in the
    /// data folder), so later sessions and scheduled tasks of the same account can sync unattended. Process: kept in this
    /// PowerShell session only, nothing is written.
    /// </summary>
    /// <default>CurrentUser</default>
    [Parameter]
    public ConnectionScope Scope { get; set; } = ConnectionScope.CurrentUser;

    /// <inheritdoc />
    protected override void ExecuteCmdlet()
    {
        bool dynamicsSet = ParameterSetName is ParameterSetNames.DynamicsUser or ParameterSetNames.DynamicsClientCredentials;
        if (dynamicsSet != (Crm == CrmKind.Dynamics))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                dynamicsSet ? "-Url, -TenantId and -SyncFilterField are Dynamics 365 parameters; give -Crm Dynamics with them."
                            : "-Crm Dynamics needs the organization URL (-Url).",
                "See Get-Help Connect-CrmSync -Parameter Crm for the parameters of each CRM.", Crm);
        string who = Credential?.UserName ?? ClientId ?? "(no user)";
        if (!ShouldProcess($"CrmSync profile '{Profile}'", $"Log in to {Crm} as {who} and save the connection ({Scope} scope)"))
            return;
        using var request = new ConnectionRequest
        {
            Crm = Crm, Profile = Profile, DatabasePath = ResolvedDatabasePath, Scope = Scope,
            Username = Credential?.UserName, Password = SecretConversion.ToSecretValue(Credential?.Password),
            SecurityToken = SecretConversion.ToSecretValue(SecurityToken), Sandbox = Sandbox.IsPresent, LoginUrl = LoginUrl,
            ClientId = ClientId, ClientSecret = SecretConversion.ToSecretValue(ClientSecret), Url = Url, TenantId = TenantId, SyncFilterField = SyncFilterField,
            AuthMethod = ClientCredentials.IsPresent ? CrmAuthMethod.ClientCredentials : null,
        };
        RunHandler(Handlers.Connect(request));
    }
}
