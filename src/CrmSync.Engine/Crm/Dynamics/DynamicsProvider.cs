using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Dynamics 365 (Dataverse) behind the <see cref="ICrmProvider"/> seam: it builds the client, knows the connection rules,
/// checks a connection (<see cref="DataverseConnectionValidator"/>) and supplies the synced-object catalog; field selection,
/// the pull and the push handle it (<see cref="SyncAvailable"/>, issue 13).
/// </summary>
internal sealed class DynamicsProvider : ICrmProvider
{
    /// <summary>The API usage source recorded for Dynamics 365 responses.</summary>
    public const string UsageSourceName = "Dynamics 365 Web API";

    public CrmKind Kind => CrmKind.Dynamics;

    /// <summary>
    /// The person fields Find-CrmDuplicate compares: emailaddress1, firstname, lastname and companyname, and a contact's
    /// company from its parent account's name (parentcustomerid → account.name; a parent that is a contact finds no account).
    /// </summary>
    public CrmDuplicateFields? DuplicateFields { get; } = new("emailaddress1", "firstname", "lastname", "companyname", "parentcustomerid", "account", "name");
    public bool ConnectAvailable => true;
    /// <summary>Field selection, pull and push handle Dynamics (issue 13).</summary>
    public bool SyncAvailable => true;
    public ICrmConnectionValidator ConnectionValidator { get; } = new DataverseConnectionValidator();
    public string UsageSource => UsageSourceName;

    /// <summary>The CrmSync key column (a text column with an alternate key on it) creates upsert on, with <c>If-None-Match: *</c>.</summary>
    public const string ExternalIdFieldName = "new_crmsynckey";

    /// <summary>
    /// Dataverse's list, ready for the Dynamics sync (DYNAMICS.md): two-way lead and contact (table person; a local create
    /// becomes a lead, which needs lastname and companyname, a contact lastname), marketing lists (list) and their members
    /// (listmember: the person in the polymorphic lookup entityid, the list in listid); one way account, opportunity and
    /// systemuser, and every custom entity with change tracking. Leads, contacts and lists upsert on the alternate key.
    /// </summary>
    public SyncedObjectCatalog SyncedObjects { get; } = new(CrmKind.Dynamics,
    [
        new("lead", SyncedObjectCatalog.PersonTable, MappingDirection.TwoWay, PersonKind.Lead),
        new("contact", SyncedObjectCatalog.PersonTable, MappingDirection.TwoWay, PersonKind.Contact),
        new("list", "list", MappingDirection.TwoWay),
        new("listmember", "list_member", MappingDirection.TwoWay),
        new("account", "account", MappingDirection.CrmToLocal),
        new("systemuser", "systemuser", MappingDirection.CrmToLocal),
        new("opportunity", "opportunity", MappingDirection.CrmToLocal),
    ],
    o => o.Custom && o.Queryable && o.SupportsChangeTracking,
    ExternalIdFieldName,
    new CrmPersonRules(
        [new(PersonKind.Lead, "lead", ["lastname", "companyname"]), new(PersonKind.Contact, "contact", ["lastname"])],
        CreateKind: PersonKind.Lead,
        EmailField: "emailaddress1",
        new CrmMembershipRules("listmember", "list", "listid",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [PersonKind.Lead] = "entityid", [PersonKind.Contact] = "entityid" })))
    {
        PushOrder = ["lead", "contact", "list"],
        DefaultSyncFilterField = "new_synctomkto",
        UpsertOnKey = new HashSet<string>(["lead", "contact", "list"], StringComparer.OrdinalIgnoreCase),
        SystemFields = new HashSet<string>(["createdon", "modifiedon", "versionnumber"], StringComparer.OrdinalIgnoreCase),
    };

    /// <summary>The primary id is <c>&lt;entity&gt;id</c>; modifiedon, createdon and masterid where the entity has them.</summary>
    public IReadOnlyDictionary<string, CrmFieldRole> RolesFromNames(string objectName, IReadOnlyCollection<string> fieldNames)
    {
        var roles = new Dictionary<string, CrmFieldRole>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in fieldNames)
        {
            var role = string.Equals(name, objectName + "id", StringComparison.OrdinalIgnoreCase) ? CrmFieldRole.PrimaryId
                : string.Equals(name, "modifiedon", StringComparison.OrdinalIgnoreCase) ? CrmFieldRole.ModificationStamp
                : string.Equals(name, "createdon", StringComparison.OrdinalIgnoreCase) ? CrmFieldRole.CreatedDate
                : string.Equals(name, "masterid", StringComparison.OrdinalIgnoreCase) ? CrmFieldRole.MergedInto
                : CrmFieldRole.None;
            if (role != CrmFieldRole.None)
                roles[name] = role;
        }
        return roles;
    }

    public ICrmClient CreateClient(CrmConnectionSettings settings, CrmClientOptions options) => new DataverseClient(settings, options);

    /// <summary>The organization URL (required) is what the profile keeps; -LoginUrl, when given, is the Entra authority.</summary>
    public CrmEndpoints ResolveEndpoints(Uri? loginUrl, Uri? organizationUrl, bool sandbox)
    {
        var url = organizationUrl ?? throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            "Connecting to Dynamics 365 needs the organization URL.", $"Give {ShellParameter.For(ActionParameter.Url)} https://<org>.crm.dynamics.com.");
        return new CrmEndpoints(url, loginUrl, url, url.AbsoluteUri, loginUrl?.AbsoluteUri);
    }

    public CrmEndpoints SavedEndpoints(string profileUrl, string? authorityUrl)
    {
        var organization = new Uri(profileUrl);
        return new CrmEndpoints(organization, authorityUrl is null ? null : new Uri(authorityUrl), organization, profileUrl, authorityUrl);
    }

    /// <summary>Exactly, or as GUIDs in any case or format.</summary>
    public bool SameOrganizationId(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal) || (Guid.TryParse(a, out var ga) && Guid.TryParse(b, out var gb) && ga == gb);
}
