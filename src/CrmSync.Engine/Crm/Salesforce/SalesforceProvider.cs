using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

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

    /// <summary>The External ID text field CrmSync upserts on (Text(64), External ID, Unique), on Lead, Contact and Campaign.</summary>
    public const string ExternalIdFieldName = "CrmSync_Key__c";

    /// <summary>
    /// Two-way Lead and Contact (table person), Campaign, CampaignMember; one way Account, User, Opportunity,
    /// OpportunityContactRole, Task, Event, and every custom object (<c>*__c</c>, queryable, replicateable). A local create
    /// becomes a Lead; Salesforce requires LastName and Company on a lead, LastName on a contact; a campaign member names
    /// its person in LeadId or ContactId and its campaign in CampaignId; leads, contacts and campaigns upsert on the key.
    /// </summary>
    public SyncedObjectCatalog SyncedObjects { get; } = new(CrmKind.Salesforce,
    [
        new("Lead", SyncedObjectCatalog.PersonTable, MappingDirection.TwoWay, PersonKind.Lead,
            RequiredFields: [SalesforceFieldRoles.IsConverted, SalesforceFieldRoles.ConvertedContactId]),
        new("Contact", SyncedObjectCatalog.PersonTable, MappingDirection.TwoWay, PersonKind.Contact),
        new("Campaign", "campaign", MappingDirection.TwoWay),
        new("CampaignMember", "campaign_member", MappingDirection.TwoWay),
        new("Account", "account", MappingDirection.CrmToLocal),
        new("User", "user", MappingDirection.CrmToLocal),
        new("Opportunity", "opportunity", MappingDirection.CrmToLocal),
        new("OpportunityContactRole", "opportunity_contact_role", MappingDirection.CrmToLocal),
        new("Task", "task", MappingDirection.CrmToLocal),
        new("Event", "event", MappingDirection.CrmToLocal),
    ],
    o => o.Name.EndsWith("__c", StringComparison.OrdinalIgnoreCase) && o.Queryable && o.SupportsChangeTracking,
    ExternalIdFieldName,
    new CrmPersonRules(
        [new(PersonKind.Lead, "Lead", ["LastName", "Company"]), new(PersonKind.Contact, "Contact", ["LastName"])],
        CreateKind: PersonKind.Lead,
        EmailField: "Email",
        new CrmMembershipRules("CampaignMember", "Campaign", "CampaignId",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [PersonKind.Lead] = "LeadId", [PersonKind.Contact] = "ContactId" })))
    {
        PushOrder = ["Lead", "Contact", "Campaign"],
        UpsertOnKey = new HashSet<string>(["Lead", "Contact", "Campaign"], StringComparer.OrdinalIgnoreCase),
        SystemFields = SalesforceFieldRoles.SystemFields,
    };

    public IReadOnlyDictionary<string, CrmFieldRole> RolesFromNames(string objectName, IReadOnlyCollection<string> fieldNames) =>
        SalesforceFieldRoles.FromNames(fieldNames);

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
