using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Schema;

/// <summary>One CRM object that CrmSync keeps in a local table.</summary>
/// <param name="ObjectName">The CRM API name, e.g. Lead, Invoice__c.</param>
/// <param name="TableName">The local table, e.g. person, opportunity_contact_role, Invoice__c.</param>
/// <param name="Direction">TwoWay for objects whose changes are pushed (Lead, Contact, Campaign, CampaignMember); CrmToLocal otherwise.</param>
/// <param name="IsPerson">True for the objects merged into the person table (Lead, Contact).</param>
/// <param name="IsCustom">True for a custom object discovered by its name (Salesforce <c>*__c</c>).</param>
/// <param name="RequiredFields">Fields the sync itself needs on this object beyond id, stamp and delete flag; never excludable.</param>
public sealed record SyncedObject(
    string ObjectName,
    string TableName,
    MappingDirection Direction,
    bool IsPerson = false,
    bool IsCustom = false,
    IReadOnlyList<string>? RequiredFields = null)
{
    /// <summary>True when local changes of this object are pushed to the CRM.</summary>
    public bool IsTwoWay => Direction == MappingDirection.TwoWay;
}

/// <summary>
/// Which CRM objects sync, to which local table, in which direction: data, not code, so that another CRM
/// (Dynamics 365) plugs in with its own list. The Salesforce list follows PRODUCT.md, "Directions".
/// </summary>
public sealed class SyncedObjectCatalog
{
    /// <summary>The local table that holds leads and contacts together.</summary>
    public const string PersonTable = "person";

    /// <summary>
    /// The External ID text field CrmSync upserts on for idempotent creates (issue 6). Never excludable when present.
    /// </summary>
    public const string ExternalIdFieldName = "CrmSync_Key__c";

    private readonly Dictionary<string, SyncedObject> _standard;
    private readonly Func<CrmObjectSummary, bool> _isSyncedCustomObject;

    /// <summary>A catalog of synced objects.</summary>
    /// <param name="crm">The CRM the list is for.</param>
    /// <param name="standardObjects">Objects synced by name, in processing order (person objects first, in precedence order).</param>
    /// <param name="isSyncedCustomObject">Which other listed objects are custom objects to copy one way (table named by the API name).</param>
    public SyncedObjectCatalog(CrmKind crm, IReadOnlyList<SyncedObject> standardObjects, Func<CrmObjectSummary, bool> isSyncedCustomObject)
    {
        ArgumentNullException.ThrowIfNull(standardObjects);
        Crm = crm;
        StandardObjects = standardObjects;
        _isSyncedCustomObject = isSyncedCustomObject ?? throw new ArgumentNullException(nameof(isSyncedCustomObject));
        _standard = standardObjects.ToDictionary(o => o.ObjectName, StringComparer.OrdinalIgnoreCase);
        PersonObjects = standardObjects.Where(o => o.IsPerson).Select(o => o.ObjectName).ToList();
        foreach (var o in standardObjects)
            SqlIdentifier.Quote(o.TableName);
    }

    /// <summary>The CRM this list is for.</summary>
    public CrmKind Crm { get; }

    /// <summary>The objects synced by name.</summary>
    public IReadOnlyList<SyncedObject> StandardObjects { get; }

    /// <summary>The objects that make up the person table, in precedence order (the first keeps a shared column name).</summary>
    public IReadOnlyList<string> PersonObjects { get; }

    /// <summary>
    /// Salesforce: two-way Lead and Contact (table person), Campaign, CampaignMember; one way Account, User,
    /// Opportunity, OpportunityContactRole, Task, Event, and every custom object (<c>*__c</c>, queryable, replicateable).
    /// </summary>
    public static SyncedObjectCatalog Salesforce { get; } = new(CrmKind.Salesforce,
    [
        new("Lead", PersonTable, MappingDirection.TwoWay, IsPerson: true, RequiredFields: ["IsConverted", "ConvertedContactId"]),
        new("Contact", PersonTable, MappingDirection.TwoWay, IsPerson: true),
        new("Campaign", "campaign", MappingDirection.TwoWay),
        new("CampaignMember", "campaign_member", MappingDirection.TwoWay),
        new("Account", "account", MappingDirection.CrmToLocal),
        new("User", "user", MappingDirection.CrmToLocal),
        new("Opportunity", "opportunity", MappingDirection.CrmToLocal),
        new("OpportunityContactRole", "opportunity_contact_role", MappingDirection.CrmToLocal),
        new("Task", "task", MappingDirection.CrmToLocal),
        new("Event", "event", MappingDirection.CrmToLocal),
    ],
    o => o.Name.EndsWith("__c", StringComparison.OrdinalIgnoreCase) && o.Queryable && o.SupportsChangeTracking);

    /// <summary>The list for <paramref name="crm"/>.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.CrmNotSupported"/> for a CRM whose field discovery is not available yet.</exception>
    public static SyncedObjectCatalog For(CrmKind crm) => crm switch
    {
        CrmKind.Salesforce => Salesforce,
        _ => throw new CrmSyncException(ErrorIds.CrmNotSupported, ErrorKind.InvalidOperation,
            $"Field discovery for {crm} is not available in this version of CrmSync; only Salesforce profiles can sync fields.",
            "Use a Salesforce profile, or update CrmSync to a version that supports " + crm + ".", crm.ToString()),
    };

    /// <summary>The synced object named <paramref name="objectName"/> among the standard ones, or null.</summary>
    public SyncedObject? FindStandard(string objectName) => _standard.GetValueOrDefault(objectName);

    /// <summary>The synced object for a listed CRM object, or null when it does not sync.</summary>
    public SyncedObject? Resolve(CrmObjectSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (_standard.TryGetValue(summary.Name, out var standard))
            return standard with { ObjectName = summary.Name };
        if (!_isSyncedCustomObject(summary))
            return null;
        return new SyncedObject(summary.Name, summary.Name, MappingDirection.CrmToLocal, IsCustom: true);
    }

    /// <summary>
    /// The synced object a catalogued field belongs to (by object name), whether or not the CRM still lists it.
    /// Unknown names are treated as one-way custom objects.
    /// </summary>
    public SyncedObject ForCatalogObject(string objectName, string tableName) =>
        _standard.TryGetValue(objectName, out var standard)
            ? standard
            : new SyncedObject(objectName, tableName, MappingDirection.CrmToLocal, IsCustom: true);

    /// <summary>
    /// The fields of <paramref name="schema"/> that the sync needs and that may never be excluded: the id, the
    /// modification stamp, the delete flag, the merged-into field, <see cref="ExternalIdFieldName"/> and the object's
    /// <see cref="SyncedObject.RequiredFields"/>, as far as the object has them.
    /// </summary>
    public static IReadOnlyList<string> CriticalFields(SyncedObject syncedObject, CrmObjectSchema schema)
    {
        ArgumentNullException.ThrowIfNull(syncedObject);
        ArgumentNullException.ThrowIfNull(schema);
        var names = new List<string?> { schema.PrimaryIdField, schema.ModificationStampField, schema.DeletedFlagField, schema.MergedIntoField, ExternalIdFieldName };
        names.AddRange(syncedObject.RequiredFields ?? []);
        return names.Where(n => n is not null && schema.FindField(n) is not null)
            .Select(n => schema.FindField(n!)!.Name)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }
}
