using CrmSync.Engine.Schema;

namespace CrmSync.Engine.Crm;

/// <summary>
/// Everything CRM-specific that the neutral layers ask about one CRM, behind one seam: the client, the connection rules
/// (login vs organization URL, what a profile keeps, how org ids compare), the API-usage source, the synced objects with
/// the external-key field and the person rules (<see cref="SyncedObjects"/>), the duplicate-report fields and whether the
/// sync can run against it yet. <see cref="CrmProviders.For"/> gives the provider of a <see cref="CrmKind"/>; a new CRM plugs in
/// by adding its provider there (see docs/architecture.md).
/// </summary>
public interface ICrmProvider
{
    /// <summary>The CRM this provider serves.</summary>
    CrmKind Kind { get; }

    /// <summary>
    /// True when a profile of this CRM can be connected (Connect-CrmSync signs in and keeps it) and checked (Test-CrmSyncConnection);
    /// status and disconnect work on any connected profile. False: connecting refuses it before anything is sent or saved.
    /// </summary>
    bool ConnectAvailable { get; }

    /// <summary>
    /// False while the field selection, pull and push do not handle this CRM yet: the field sync and the sync refuse a profile
    /// of this CRM at their start (<see cref="CrmProviders.EnsureSyncAvailable"/>), before anything is sent.
    /// </summary>
    bool SyncAvailable { get; }

    /// <summary>The checks of Test-CrmSyncConnection and the read-access check of a new connection, for this CRM.</summary>
    ICrmConnectionValidator ConnectionValidator { get; }

    /// <summary>The source name the API usage of this CRM is recorded under (crmsync_api_usage.source).</summary>
    string UsageSource { get; }

    /// <summary>Creates a client; nothing is sent until the first call.</summary>
    ICrmClient CreateClient(CrmConnectionSettings settings, CrmClientOptions options);

    /// <summary>
    /// Where a new connection signs in, from what the user gave: <paramref name="loginUrl"/> (-LoginUrl),
    /// <paramref name="organizationUrl"/> (-Url) and <paramref name="sandbox"/>. Throws InvalidArgument when something needed is missing.
    /// </summary>
    CrmEndpoints ResolveEndpoints(Uri? loginUrl, Uri? organizationUrl, bool sandbox);

    /// <summary>The endpoints of a saved profile: its row's login URL and the authority URL kept in its settings.</summary>
    CrmEndpoints SavedEndpoints(string profileUrl, string? authorityUrl);

    /// <summary>True when two organization ids name the same org (the CRM's own id rules).</summary>
    bool SameOrganizationId(string a, string b);

    /// <summary>The person fields the duplicate report compares; null while the CRM's person rules are not known (the report refuses it).</summary>
    CrmDuplicateFields? DuplicateFields { get; }

    /// <summary>
    /// Which objects sync, to which local table and in which direction, and the CRM's rules the pull and push follow: the
    /// external-key field creates upsert on, which objects upsert on it, the push order, the person rules (person objects
    /// and their kinds, what a local create becomes, required-on-create fields, the membership object and its references).
    /// </summary>
    SyncedObjectCatalog SyncedObjects { get; }

    /// <summary>
    /// The roles the schema reader would report for <paramref name="fieldNames"/> of <paramref name="objectName"/>, from the
    /// names alone (only fields with a role are returned): fills the roles of field catalogues written before they were
    /// stored (store migration 6).
    /// </summary>
    IReadOnlyDictionary<string, CrmFieldRole> RolesFromNames(string objectName, IReadOnlyCollection<string> fieldNames);
}

/// <summary>The endpoints of one connection.</summary>
/// <param name="Shown">The URL whose host is named in progress messages ("Logging in to ... at host").</param>
/// <param name="LoginUrl">The client's <see cref="CrmConnectionSettings.LoginUrl"/>.</param>
/// <param name="OrganizationUrl">The client's <see cref="CrmConnectionSettings.OrganizationUrl"/>.</param>
/// <param name="ProfileUrl">What the profile row keeps as its login URL.</param>
/// <param name="AuthorityUrl">What the profile's settings keep as the sign-in authority, when the CRM has one apart from the org.</param>
public sealed record CrmEndpoints(Uri Shown, Uri? LoginUrl, Uri? OrganizationUrl, string ProfileUrl, string? AuthorityUrl);
