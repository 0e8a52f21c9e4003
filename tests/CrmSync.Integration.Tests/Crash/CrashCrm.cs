using System.Globalization;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// A CRM record as the crash checks compare it: its id as the local <c>_crm_id</c> holds it, its values by field name (the
/// names of <c>crmsync_field_catalog.field_name</c>), and whether the local row may be stale (a Dynamics record set from
/// Yes to No after it was synced: the row stays, never deleted, never updated, so its values are not compared).
/// </summary>
internal sealed record CrashRecord(string Id, IReadOnlyDictionary<string, object?> Values, bool Stale = false)
{
    public object? this[string field] => Values.GetValueOrDefault(field);
}

/// <summary>What the crash checks need to know of the CRM behind a <see cref="CrashBed"/>: which records each local table must hold.</summary>
internal abstract class CrashCrm
{
    /// <summary>The person object a local insert becomes (it must be among the synced objects).</summary>
    public abstract string PersonObject { get; }

    /// <summary>Text fields whose values are sampled and compared (those of an object that it has).</summary>
    public abstract IReadOnlyCollection<string> SampleFields { get; }

    /// <summary>The CRM's records of an object that the local table must hold, live (not flagged deleted).</summary>
    public abstract IReadOnlyList<CrashRecord> Expected(string objectName);

    /// <summary>What the CRM holds for an id (for failure messages).</summary>
    public virtual string Describe(string objectName, string id) => id;

    /// <summary>A CRM value as the local column holds it (text).</summary>
    public virtual string Text(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}

/// <summary>The emulator's Salesforce org: every live record, less converted leads (a converted lead lives on as its contact).</summary>
internal sealed class SalesforceCrashCrm(EmulatorHost emulator) : CrashCrm
{
    public override string PersonObject => "Lead";

    public override IReadOnlyCollection<string> SampleFields { get; } = ["Name", "FirstName", "LastName", "Email", "Title", "Company", "Status", "Subject", "StageName"];

    public override IReadOnlyList<CrashRecord> Expected(string objectName) =>
        emulator.Data.List(objectName)
            .Where(r => objectName != "Lead" || r.GetValueOrDefault("IsConverted") is not true)
            .Select(r => new CrashRecord((string)r["Id"]!, r))
            .ToList();
}

/// <summary>
/// The emulator's Dataverse org. Expected locally: every row of the entity that syncs by the filter (DYNAMICS.md §2.3: only
/// an explicit No keeps a record out; rows known to have gone Yes → No after they were synced are expected as stale rows),
/// less merge losers (kept by Dataverse, deactivated, <c>merged</c>; flagged deleted locally) and leads qualified into a
/// contact that syncs (the person is that contact). Deleted rows are gone from the store.
/// </summary>
internal sealed class DynamicsCrashCrm(DynamicsOrg org, string filterField = "new_synctomkto") : CrashCrm
{
    /// <summary>Ids (as text) the test set from Yes to No after they were synced: still local, stale.</summary>
    public HashSet<string> StaleIds { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Ids (as text) of leads the push created from local inserts: they are local by birth. Dataverse gives a created row the
    /// Two Options column's default, No, when the push does not send the filter field, so they are not expected by the filter.
    /// </summary>
    public HashSet<string> PushedIds { get; } = new(StringComparer.OrdinalIgnoreCase);

    public override string PersonObject => "lead";

    public override IReadOnlyCollection<string> SampleFields { get; } =
        ["firstname", "lastname", "emailaddress1", "jobtitle", "companyname", "subject", "name", "listname", "new_name"];

    public static string Id(Guid id) => id.ToString("D");

    public bool Syncs(DvRecord record) => record.Get(filterField) is not false;

    private readonly HashSet<Guid> convertedLeads = [];

    /// <summary>True for a contact that Qualify made from a lead (it has an originatingleadid).</summary>
    public bool MadeFromLead(Guid contactId) => org.Store.Find("contact", contactId)?.Get("originatingleadid") is EntityRef;

    /// <summary>
    /// Remembers the leads whose qualification the sync has applied (their contact syncs): call at a settled check. Such a
    /// lead is that contact locally for good, so it is not expected back as a lead when the contact is later deleted in
    /// Dataverse (the person ends flagged deleted, DYNAMICS.md 2.6), which the live rows alone can no longer tell.
    /// </summary>
    public void RememberConversions()
    {
        foreach (var contact in org.Store.Snapshot("contact"))
            if (Syncs(contact) && contact.Get("originatingleadid") is EntityRef lead)
                convertedLeads.Add(lead.Id);
    }

    public override IReadOnlyList<CrashRecord> Expected(string objectName)
    {
        var rows = org.Store.Snapshot(objectName);
        var qualified = objectName == "lead"
            // A lead qualified into a contact that syncs is that contact locally from then on, also once the contact is merged
            // away (the loser is kept, marked merged): the lead never comes back as a lead (DYNAMICS.md 2.4 and 2.5).
            ? org.Store.Snapshot("contact").Where(c => Syncs(c) && c.Get("originatingleadid") is EntityRef)
                .Select(c => ((EntityRef)c.Get("originatingleadid")!).Id).ToHashSet()
            : [];
        var expected = new List<CrashRecord>();
        foreach (var row in rows)
        {
            var id = Id(row.Id);
            if (row.Get("merged") is true || qualified.Contains(row.Id) || convertedLeads.Contains(row.Id))
                continue;
            var stale = StaleIds.Contains(id);
            if (!Syncs(row) && !stale && !PushedIds.Contains(id))
                continue;
            expected.Add(new CrashRecord(id, new Dictionary<string, object?>(row.Values, StringComparer.Ordinal), stale));
        }
        return expected;
    }

    public override string Describe(string objectName, string id)
    {
        if (!Guid.TryParse(id, out var guid))
            return id;
        if (org.Store.Find(objectName, guid) is { } row)
            return $"{id} ({objectName}: {filterField} {Text(row.Get(filterField))}, statecode {Text(row.Get("statecode"))}, merged {Text(row.Get("merged"))}, " +
                   $"masterid {Text(row.Get("masterid"))}{(StaleIds.Contains(id) ? ", stale" : "")}" +
                   (row.Get("originatingleadid") is EntityRef lead ? $", qualified from {Describe("lead", Id(lead.Id))})" : ")")
                   + (objectName == "lead" ? QualifiedInto(guid) : "");
        return org.Store.Tombstones(objectName).Any(t => t.Id == guid) ? $"{id} ({objectName}: deleted)" : $"{id} (not a {objectName})";
    }

    /// <summary>The contacts a lead was qualified into (with their filter, merge and deletion state), for a failure's message.</summary>
    private string QualifiedInto(Guid lead)
    {
        var contacts = org.Store.Snapshot("contact").Where(c => c.Get("originatingleadid") is EntityRef r && r.Id == lead)
            .Select(c => $"contact {Id(c.Id)}: {filterField} {Text(c.Get(filterField))}, merged {Text(c.Get("merged"))}, masterid {Text(c.Get("masterid"))}, statecode {Text(c.Get("statecode"))}")
            .ToList();
        return contacts.Count == 0 ? " [qualified into no live contact]" : " [qualified into " + string.Join("; ", contacts) + "]";
    }

    public override string Text(object? value) => value switch
    {
        EntityRef reference => Id(reference.Id),
        Guid guid => Id(guid),
        _ => base.Text(value),
    };
}
