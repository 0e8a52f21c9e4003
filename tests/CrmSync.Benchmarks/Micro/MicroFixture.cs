using System.Globalization;
using System.Text;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Benchmarks.Micro;

/// <summary>
/// A Lead described with the emulator's typical field mix (ids, text, e-mail, picklists, numbers, dates, booleans), a
/// profile database whose person table was created from it by the Schema API, and generated records / bulk CSV.
/// </summary>
internal sealed class MicroFixture : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "crmsync-micro-" + Guid.NewGuid().ToString("N")[..8]);

    public MicroFixture()
    {
        Directory.CreateDirectory(_home);
        Store = new ProfileStore(new ProfileLocator(new CrmSyncPaths(_home))).Create(new ProfileInfo
        {
            Name = "micro",
            Crm = CrmKind.Salesforce,
            LoginUrl = "https://login.salesforce.com",
            InstanceUrl = "https://micro.my.salesforce.com",
            UserName = "sync@micro.example",
            ApiVersion = "62.0",
        });
        var catalog = SyncedObjectCatalog.Salesforce;
        var snapshot = new CrmSchemaSnapshot([new DescribedObject(catalog.FindStandard("Lead")!, Lead)], []);
        new FieldSyncApplier(Store, catalog).Apply(new FieldSyncPlanner(catalog).Plan(snapshot, FieldSyncState.Read(Store), FieldExclusionSet.Empty));
        Plan = SyncedObjectPlan.ReadAll(Store, catalog).Single(p => p.ObjectName == "Lead");
    }

    public CrmSyncStore Store { get; }
    public SyncedObjectPlan Plan { get; }

    public static readonly CrmObjectSchema Lead = new("Lead", "Lead", false, true, true, true, true,
    [
        Field("Id", CrmFieldType.Id), Field("IsDeleted", CrmFieldType.Boolean), Field("MasterRecordId", CrmFieldType.Reference),
        Field("LastName", CrmFieldType.String, true), Field("FirstName", CrmFieldType.String, true), Field("Salutation", CrmFieldType.Picklist, true),
        Field("Title", CrmFieldType.String, true), Field("Company", CrmFieldType.String, true), Field("Street", CrmFieldType.TextArea, true),
        Field("City", CrmFieldType.String, true), Field("State", CrmFieldType.String, true), Field("PostalCode", CrmFieldType.String, true),
        Field("Country", CrmFieldType.String, true), Field("Phone", CrmFieldType.Phone, true), Field("MobilePhone", CrmFieldType.Phone, true),
        Field("Email", CrmFieldType.Email, true), Field("Website", CrmFieldType.Url, true), Field("LeadSource", CrmFieldType.Picklist, true),
        Field("Status", CrmFieldType.Picklist, true), Field("Industry", CrmFieldType.Picklist, true), Field("Rating", CrmFieldType.Picklist, true),
        Field("AnnualRevenue", CrmFieldType.Currency, true), Field("NumberOfEmployees", CrmFieldType.Integer, true),
        Field("HasOptedOutOfEmail", CrmFieldType.Boolean, true), Field("IsConverted", CrmFieldType.Boolean),
        Field("ConvertedContactId", CrmFieldType.Reference), Field("ConvertedDate", CrmFieldType.Date),
        Field("OwnerId", CrmFieldType.Reference, true), Field("CreatedDate", CrmFieldType.DateTime), Field("CreatedById", CrmFieldType.Reference),
        Field("LastModifiedDate", CrmFieldType.DateTime), Field("LastModifiedById", CrmFieldType.Reference), Field("SystemModstamp", CrmFieldType.DateTime),
    ])
    {
        SupportsChangeTracking = true,
        ModificationStampField = "SystemModstamp",
        DeletedFlagField = "IsDeleted",
        MergedIntoField = "MasterRecordId",
    };

    private static CrmFieldSchema Field(string name, CrmFieldType type, bool writable = false) =>
        new(name, name, type, type.ToString().ToLowerInvariant(), 0, 0, 0, writable, writable, true, false, false, false, false, [], []);

    private static readonly string[] Columns = Lead.Fields.Select(f => f.Name).ToArray();

    /// <summary>Values of generated lead number <paramref name="i"/>, as text (a bulk CSV cell; "" is null).</summary>
    public static string[] Cells(long i, DateTimeOffset stamp)
    {
        var id = "00Q" + i.ToString("D12", CultureInfo.InvariantCulture) + "AAA";
        var when = stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);
        return
        [
            id, "false", "", "Lastname" + i, "Firstname" + (i % 977), "Mr.", "Manager, Operations", "Company " + (i % 5003) + " Inc.",
            (i % 999) + " Main Street\nSuite " + (i % 40), "Springfield", "CA", (10000 + i % 89999).ToString(CultureInfo.InvariantCulture), "USA",
            "+1 555 " + (i % 10000).ToString("D4", CultureInfo.InvariantCulture), "", "lead" + i + "@example.com", "https://example.com/" + (i % 100),
            "Web", "Open - Not Contacted", "Technology", "Warm", ((i % 1000) * 1000.5m).ToString(CultureInfo.InvariantCulture),
            (i % 5000).ToString(CultureInfo.InvariantCulture), i % 7 == 0 ? "true" : "false", "false", "", "", "005000000000001AAA", when,
            "005000000000001AAA", when, "005000000000001AAA", when,
        ];
    }

    /// <summary>A Bulk API 2.0 results chunk (header + <paramref name="count"/> rows, every value quoted, LF) as the emulator writes it.</summary>
    public static byte[] BulkCsv(int count, DateTimeOffset stamp)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Columns.Select(Quote)).Append('\n');
        for (var i = 0; i < count; i++)
            sb.AppendJoin(',', Cells(i, stamp).Select(Quote)).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Records <paramref name="first"/>..first+count-1 as the bulk parser returns them.</summary>
    public static List<CrmRecord> Records(long first, int count, DateTimeOffset stamp)
    {
        var list = new List<CrmRecord>(count);
        for (var i = first; i < first + count; i++)
        {
            var cells = Cells(i, stamp);
            var values = new Dictionary<string, object?>(Columns.Length, StringComparer.OrdinalIgnoreCase);
            for (var c = 0; c < Columns.Length; c++)
                values[Columns[c]] = CrmValueConverter.FromText(cells[c], Lead.Fields[c].Type);
            list.Add(new CrmRecord("Lead", (string)values["Id"]!, (DateTimeOffset?)values["SystemModstamp"], false, null, values));
        }
        return list;
    }

    public void Dispose()
    {
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }
}
