namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>Salesforce behind the <see cref="ICrmProvider"/> seam.</summary>
internal sealed class SalesforceProvider : ICrmProvider
{
    /// <summary>The API usage source recorded for Salesforce responses (the header that reports it).</summary>
    public const string UsageSourceName = "Sforce-Limit-Info";

    private static readonly Uri ProductionLogin = new("https://login.salesforce.com");
    private static readonly Uri SandboxLogin = new("https://test.salesforce.com");

    public CrmKind Kind => CrmKind.Salesforce;
    public CrmDuplicateFields DuplicateFields { get; } = new("Email", "FirstName", "LastName", "Company", "AccountId", "Account", "Name");
    public bool ConnectAvailable => true;
    public bool SyncAvailable => true;
    public ICrmConnectionValidator ConnectionValidator { get; } = new SalesforceConnectionValidator();
    public string UsageSource => UsageSourceName;

    public ICrmClient CreateClient(CrmConnectionSettings settings, CrmClientOptions options) => new SalesforceClient(settings, options);

    /// <summary>The given login URL, else the production or sandbox login host; the profile keeps its scheme and host only.</summary>
    public CrmEndpoints ResolveEndpoints(Uri? loginUrl, Uri? organizationUrl, bool sandbox)
    {
        var url = loginUrl ?? (sandbox ? SandboxLogin : ProductionLogin);
        if (!url.IsAbsoluteUri)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The login URL '{url}' is not an absolute URL.",
                "Give a URL such as https://login.salesforce.com or https://mydomain.my.salesforce.com.", url.ToString());
        return new CrmEndpoints(url, url, null, url.GetLeftPart(UriPartial.Authority), null);
    }

    public CrmEndpoints SavedEndpoints(string profileUrl, string? authorityUrl)
    {
        var login = new Uri(profileUrl);
        return new CrmEndpoints(login, login, null, profileUrl, null);
    }

    /// <summary>Exactly, or the 15-character id as the case-sensitive prefix of the 18-character one.</summary>
    public bool SameOrganizationId(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (Math.Min(a.Length, b.Length) == 15 && Math.Max(a.Length, b.Length) == 18 && string.CompareOrdinal(a, 0, b, 0, 15) == 0);
}
