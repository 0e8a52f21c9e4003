using System.Management.Automation;
using System.Security;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Connects a CrmSync profile to a CRM: logs in for real, then saves the profile.</para>
/// <para type="description">Logs in to Salesforce as the sync user (-Credential and -SecurityToken; -ClientId/-ClientSecret for a
/// connected app; or -ClientCredentials -ClientId -ClientSecret -LoginUrl for the client-credentials grant) and saves nothing unless the login
/// works. -Scope CurrentUser (the default) saves the secrets encrypted for the current user so scheduled tasks run unattended;
/// -Scope Process keeps them in this session only. Outputs the connection (no secret in it). The Dynamics parameter set
/// (-Crm Dynamics -Url) is accepted but the engine refuses Dynamics 365 until its client lands. -WhatIf shows what would be
/// connected without logging in.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "CrmSync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSetNames.SalesforceUser)]
[OutputType(typeof(CrmConnectionInfo))]
public sealed class ConnectCrmSyncCommand : ConnectedCrmSyncCmdlet
{
    /// <summary>Which CRM. Salesforce (the default) or Dynamics (refused by the engine for now).</summary>
    [Parameter]
    public CrmKind Crm { get; set; } = CrmKind.Salesforce;

    /// <summary>The sync user's name and password.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Salesforce: the sync user's security token (not needed when the login IP range is trusted).</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    public SecureString? SecurityToken { get; set; }

    /// <summary>
    /// Salesforce: use the client-credentials grant (no user; -ClientId, -ClientSecret and a My Domain -LoginUrl). Selects the
    /// SalesforceClientCredentials parameter set: its other parameters also belong to the default SalesforceUser set, and
    /// PowerShell resolves such a call to the default set (and then asks for -Credential).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public SwitchParameter ClientCredentials { get; set; }

    /// <summary>Salesforce: log in at the sandbox host (test.salesforce.com) when -LoginUrl is not given.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public SwitchParameter Sandbox { get; set; }

    /// <summary>Salesforce: a My Domain or emulator login URL (https; plain http only to a loopback host).</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    public Uri? LoginUrl { get; set; }

    /// <summary>The connected app's consumer key (Salesforce) or the Entra application id (Dynamics).</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary>The connected app's consumer secret, or the application's client secret.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.SalesforceUser)]
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.SalesforceClientCredentials)]
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    public SecureString? ClientSecret { get; set; }

    /// <summary>Dynamics 365: the organization URL (https://org.crm.dynamics.com).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSetNames.Dynamics)]
    public Uri? Url { get; set; }

    /// <summary>Dynamics 365: the boolean field that limits which records sync.</summary>
    [Parameter(ParameterSetName = ParameterSetNames.Dynamics)]
    [ValidateNotNullOrEmpty]
    public string? SyncFilterField { get; set; }

    /// <summary>CurrentUser (default): save the secrets encrypted for the current user. Process: this session only.</summary>
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
        RunHandler(ConnectCommand.ForEnvironment(Environment.GetEnvironmentVariable, request));
    }
}
