namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// Every parameter-set name used by a CrmSync cmdlet. Attributes refer to these constants only;
/// a test over the built DLL checks that no other name appears.
/// </summary>
public static class ParameterSetNames
{
    /// <summary>The set of a cmdlet that works on a saved connection profile (by name, or by database path).</summary>
    public const string ByProfile = "ByProfile";

    /// <summary>Set-CrmFieldMapping: edit one mapping (-Object, -Field and what to change).</summary>
    public const string ByField = "ByField";

    /// <summary>Set-CrmFieldMapping: import a reviewed mapping file (-Path).</summary>
    public const string FromFile = "FromFile";

    /// <summary>Connect-CrmSync to Salesforce as the sync user (-Credential, -SecurityToken; optional connected app).</summary>
    public const string SalesforceUser = "SalesforceUser";

    /// <summary>Connect-CrmSync to Salesforce with the client-credentials grant (-ClientId, -ClientSecret, -LoginUrl; no user).</summary>
    public const string SalesforceClientCredentials = "SalesforceClientCredentials";

    /// <summary>Connect-CrmSync to Dynamics 365 as the sync user (-Url, -Credential; optional -ClientId/-ClientSecret): Entra ROPC.</summary>
    public const string DynamicsUser = "DynamicsUser";

    /// <summary>Connect-CrmSync to Dynamics 365 as the Application User (-Url, -ClientCredentials, -TenantId, -ClientId, -ClientSecret).</summary>
    public const string DynamicsClientCredentials = "DynamicsClientCredentials";
}
