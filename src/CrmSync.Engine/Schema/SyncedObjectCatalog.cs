using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Schema;

/// <summary>One CRM object that CrmSync keeps in a local table.</summary>
/// <param name="ObjectName">The CRM API name.</param>
/// <param name="TableName">The local table, e.g. person, opportunity_contact_role, or a custom object's API name.</param>
/// <param name="Direction">TwoWay for objects whose changes are pushed (persons, campaigns and their members); CrmToLocal otherwise.</param>
/// <param name="PersonKind">For the objects merged into the person table, the local kind of their records (<see cref="Crm.PersonKind"/>); null otherwise.</param>
/// <param name="IsCustom">True for a custom object discovered by the provider's rule (not listed by name).</param>
/// <param name="RequiredFields">Fields the sync itself needs on this object beyond its role fields; never excludable.</param>
public sealed record SyncedObject(
    string ObjectName,
    string TableName,
    MappingDirection Direction,
    string? PersonKind = null,
    bool IsCustom = false,
    IReadOnlyList<string>? RequiredFields = null)
{
    /// <summary>True when local changes of this object are pushed to the CRM.</summary>
    public bool IsTwoWay => Direction == MappingDirection.TwoWay;

    /// <summary>True for the objects merged into the person table.</summary>
    public bool IsPerson => PersonKind is not null;
}

/// <summary>
/// Which CRM objects sync, to which local table, in which direction, and the CRM's rules around them: data, not code,
/// supplied by each CRM's provider (<see cref="ICrmProvider.SyncedObjects"/>). The Salesforce list follows PRODUCT.md,
/// "Directions".
/// </summary>
public sealed class SyncedObjectCatalog
{
    /// <summary>The local table that holds leads and contacts together.</summary>
    public const string PersonTable = "person";

    private readonly Dictionary<string, SyncedObject> _standard;
    private readonly Func<CrmObjectSummary, bool> _isSyncedCustomObject;

    /// <summary>A catalog of synced objects.</summary>
    /// <param name="crm">The CRM the list is for.</param>
    /// <param name="standardObjects">Objects synced by name, in processing order (person objects first, in precedence order).</param>
    /// <param name="isSyncedCustomObject">Which other listed objects are custom objects to copy one way (table named by the API name).</param>
    /// <param name="externalIdField">The external-key field creates upsert on (<see cref="ExternalIdField"/>).</param>
    /// <param name="persons">The person rules; their objects must be among <paramref name="standardObjects"/>.</param>
    public SyncedObjectCatalog(CrmKind crm, IReadOnlyList<SyncedObject> standardObjects, Func<CrmObjectSummary, bool> isSyncedCustomObject,
        string externalIdField, CrmPersonRules persons)
    {
        ArgumentNullException.ThrowIfNull(standardObjects);
        ArgumentException.ThrowIfNullOrWhiteSpace(externalIdField);
        Crm = crm;
        StandardObjects = standardObjects;
        _isSyncedCustomObject = isSyncedCustomObject ?? throw new ArgumentNullException(nameof(isSyncedCustomObject));
        ExternalIdField = externalIdField;
        Persons = persons ?? throw new ArgumentNullException(nameof(persons));
        _standard = standardObjects.ToDictionary(o => o.ObjectName, StringComparer.OrdinalIgnoreCase);
        PersonObjects = standardObjects.Where(o => o.IsPerson).Select(o => o.ObjectName).ToList();
        foreach (var o in standardObjects)
            SqlIdentifier.Quote(o.TableName);
    }

    /// <summary>
    /// The External ID (alternate key) text field CrmSync upserts on for idempotent creates (issue 6). Never excludable when present.
    /// </summary>
    public string ExternalIdField { get; }

    /// <summary>The person rules: person objects and kinds, what a local create becomes, required fields, the membership object.</summary>
    public CrmPersonRules Persons { get; }

    /// <summary>The two-way objects pushed first, in this order (persons before the groups their memberships name); the rest follow.</summary>
    public IReadOnlyList<string> PushOrder { get; init; } = [];

    /// <summary>
    /// The sync-filter field used when the profile names none (<c>Connect</c>'s sync filter field setting): a Two Options field
    /// whose explicit No keeps a record out of the sync (<see cref="Sync.SyncFilterRules"/>). Null: the CRM has no default filter.
    /// </summary>
    public string? DefaultSyncFilterField { get; init; }

    /// <summary>The objects whose creates are always upserts on <see cref="ExternalIdField"/> (others only where the catalog has it as an external id).</summary>
    public IReadOnlySet<string> UpsertOnKey { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Fields the CRM maintains itself (id, stamps): a local value in them is never reported as "not pushed".</summary>
    public IReadOnlySet<string> SystemFields { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Salesforce's list (for tests and benchmarks that build a Salesforce store without a provider at hand).</summary>
    public static SyncedObjectCatalog Salesforce => CrmProviders.Salesforce.SyncedObjects;

    /// <summary>The push position of <paramref name="objectName"/> (<see cref="PushOrder"/>; objects not listed come last).</summary>
    public int PushRank(string objectName)
    {
        for (var i = 0; i < PushOrder.Count; i++)
            if (string.Equals(PushOrder[i], objectName, StringComparison.OrdinalIgnoreCase))
                return i;
        return PushOrder.Count;
    }

    /// <summary>The local table of <paramref name="objectName"/> when it is a standard synced object, else null.</summary>
    public string? TableOf(string? objectName) => objectName is null ? null : FindStandard(objectName)?.TableName;

    /// <summary>The CRM this list is for.</summary>
    public CrmKind Crm { get; }

    /// <summary>The objects synced by name.</summary>
    public IReadOnlyList<SyncedObject> StandardObjects { get; }

    /// <summary>The objects that make up the person table, in precedence order (the first keeps a shared column name).</summary>
    public IReadOnlyList<string> PersonObjects { get; }

    /// <summary>The list for <paramref name="crm"/>, from its provider.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.CrmNotSupported"/> for a CRM whose field discovery is not available yet.</exception>
    public static SyncedObjectCatalog For(CrmKind crm)
    {
        var provider = CrmProviders.For(crm);
        if (!provider.SyncAvailable)
            throw new CrmSyncException(ErrorIds.CrmNotSupported, ErrorKind.InvalidOperation,
                $"Field discovery for {crm} is not available in this version of CrmSync; only Salesforce profiles can sync fields.",
                "Use a Salesforce profile, or update CrmSync to a version that supports " + crm + ".", crm.ToString());
        return provider.SyncedObjects;
    }

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
    /// modification stamp, the delete flag, the merged-into field, the conversion fields, <see cref="ExternalIdField"/>, the
    /// default sync-filter field (<see cref="DefaultSyncFilterField"/>: excluding it would sync records set to No) and the
    /// object's <see cref="SyncedObject.RequiredFields"/>, as far as the object has them. A profile's own sync-filter field
    /// (<paramref name="syncFilterField"/>, Connect's -SyncFilterField) is protected the same way: it is how the filter works.
    /// </summary>
    public IReadOnlyList<string> CriticalFields(SyncedObject syncedObject, CrmObjectSchema schema, string? syncFilterField = null)
    {
        ArgumentNullException.ThrowIfNull(syncedObject);
        ArgumentNullException.ThrowIfNull(schema);
        var names = new List<string?> { schema.PrimaryIdField, schema.ModificationStampField, schema.DeletedFlagField, schema.MergedIntoField, ExternalIdField, DefaultSyncFilterField,
            string.IsNullOrWhiteSpace(syncFilterField) ? null : syncFilterField.Trim() };
        names.AddRange(syncedObject.RequiredFields ?? []);
        names.AddRange(schema.ConvertedIntoFields);
        return names.Where(n => n is not null && schema.FindField(n) is not null)
            .Select(n => schema.FindField(n!)!.Name)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }
}
