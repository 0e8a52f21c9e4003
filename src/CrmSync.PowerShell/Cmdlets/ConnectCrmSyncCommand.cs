using System.Management.Automation;
using System.Security;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>Connects a CrmSync profile to Salesforce: logs in as the sync user for real, then saves the profile and its credentials.</summary>
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
/// <para>The output is a CrmConnectionInfo: the user, org, instance, API version, scope and database path, and no secret.
/// -WhatIf shows what would be connected without logging in. The Dynamics parameter set (-Crm Dynamics -Url) is accepted
/// but refused by the engine until Dynamics 365 support lands.</para>
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
/// <parameter name="WhatIf">Shows which profile would be connected to which CRM, as which user and in which scope. Nothing
/// is logged in to and nothing is saved.</parameter>
/// <seealso cref="DisconnectCrmSyncCommand"/>
/// <seealso cref="SyncCrmFieldCommand"/>
/// <seealso cref="GetCrmSyncStatusCommand"/>
[Cmdlet(VerbsCommunications.Connect, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.SalesforceUser)]
[OutputType(typeof(CrmConnectionInfo))]
public sealed class ConnectCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>
    /// Which CRM to connect to. Salesforce is the only one supported today; Dynamics is accepted together with -Url but
    /// refused by the engine until Dynamics 365 support lands. -Url and -SyncFilterField without -Crm Dynamics, or -Crm
    /// Dynamics without -Url, are refused with ErrorId InvalidArgument.
    /// </summary>
    /// <default>Salesforce</default>
    [Parameter]
    public CrmKind Crm { get; set; } = CrmKind.Salesforce;

    /// <summary>
    /// The Salesforce sync user's name and password, as a PSCredential (Get-Credential). Mandatory in the default
    /// SalesforceUser parameter set. The password never appears in any output and is saved only encrypted (-Scope).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>
    /// The sync user's Salesforce security token, as a SecureString (Read-Host -AsSecureString). Leave it out when the login
    /// IP range is trusted for the user's profile. Never accepted as a plain string.
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    public SecureString? SecurityToken { get; set; }

    /// <summary>
    /// Logs in with the Salesforce client-credentials grant: no user, the connected app's -ClientId and -ClientSecret at a
    /// My Domain -LoginUrl. Selects the SalesforceClientCredentials parameter set; without it PowerShell resolves
    /// -ClientId/-ClientSecret/-LoginUrl to the default SalesforceUser set and asks for -Credential.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public SwitchParameter ClientCredentials { get; set; }

    /// <summary>Logs in at the Salesforce sandbox host (test.salesforce.com) instead of login.salesforce.com, when -LoginUrl is not given.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public SwitchParameter Sandbox { get; set; }

    /// <summary>
    /// The Salesforce login URL: a My Domain (https://acme.my.salesforce.com) or the CrmSync emulator. https only; plain http
    /// is refused with ErrorId InsecureTransport except to a loopback host. Mandatory with -ClientCredentials.
    /// </summary>
    /// <default>https://login.salesforce.com (https://test.salesforce.com with -Sandbox)</default>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public Uri? LoginUrl { get; set; }

    /// <summary>
    /// The connected app's consumer key (Salesforce) or the Entra application id (Dynamics). With -Credential it selects the OAuth
    /// password grant (without it, the SOAP partner login is used); mandatory with -ClientCredentials.
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary>
    /// The connected app's consumer secret (or the Entra application's client secret), as a SecureString. Goes with
    /// -ClientId; mandatory with -ClientCredentials. Saved only encrypted, never written to any output.
    /// </summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    public SecureString? ClientSecret { get; set; }

    /// <summary>Dynamics 365: the organization URL (https://org.crm.dynamics.com). Selects the Dynamics parameter set, which the engine refuses for now.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.Dynamics)]
    public Uri? Url { get; set; }

    /// <summary>Dynamics 365: the boolean field that limits which records sync. Dynamics parameter set only.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
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
        bool dynamicsSet = ParameterSetName == ParameterSetNames.Dynamics;
        if (dynamicsSet != (Crm == CrmKind.Dynamics))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                dynamicsSet ? "-Url and -SyncFilterField are Dynamics 365 parameters; give -Crm Dynamics with them."
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
            ClientId = ClientId, ClientSecret = SecretConversion.ToSecretValue(ClientSecret), Url = Url, SyncFilterField = SyncFilterField,
        };
        RunHandler(Handlers.Connect(request));
    }
}
