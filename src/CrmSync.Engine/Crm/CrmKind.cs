namespace CrmSync.Engine.Crm;

/// <summary>Which CRM a connection talks to.</summary>
public enum CrmKind
{
    Salesforce,
    Dynamics,
}

/// <summary>
/// How the sync user signs in. The same three shapes exist on both CRMs:
/// Salesforce: SOAP login() with password + security token / OAuth password grant / OAuth client credentials;
/// Dynamics: Entra ID ROPC with a public client id / ROPC with a confidential client / client credentials.
/// </summary>
public enum CrmAuthMethod
{
    /// <summary>User name and password (Salesforce: the SOAP partner login with the security token appended).</summary>
    Password,
    /// <summary>OAuth 2.0 password grant with a client id (consumer key) and client secret.</summary>
    OAuthPassword,
    /// <summary>OAuth 2.0 client-credentials grant (no user password; the integration user is configured in the CRM).</summary>
    ClientCredentials,
}
