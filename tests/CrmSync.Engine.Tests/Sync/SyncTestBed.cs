using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>
/// A profile database in a temp folder whose tables, catalog and mappings are created the one real way (the Schema
/// API: FieldSyncPlanner + FieldSyncApplier over described objects), an in-memory CRM, and an orchestrator factory.
/// </summary>
internal sealed class SyncTestBed : IDisposable
{
    private readonly TempDirectory _home = new("crmsync-sync");

    public SyncTestBed(TimeProvider? time = null, bool withLeadFormula = true)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        Store = TestProfiles.CreateStore(_home, Time);
        Source = new FakeChangeSource();
        Client = new FakeCrmClient(Source);
        CreateSchema(withLeadFormula);
    }

    public TimeProvider Time { get; }
    public FakeTimeProvider? FakeTime => Time as FakeTimeProvider;
    public CrmSyncStore Store { get; }
    public FakeChangeSource Source { get; }
    public FakeCrmClient Client { get; }
    public List<SyncEvent> Events { get; } = [];

    public SyncOrchestrator Orchestrator(SyncOptions? options = null, IPushPhase? push = null) =>
        new(Store, Client, options ?? new SyncOptions { PageSize = 2 }, push, new ListSink(Events));

    public Task<SyncRunResult> CycleAsync(SyncOptions? options = null, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Orchestrator(options).RunCycleAsync(progress, cancellationToken);

    public static CrmObjectSchema LeadSchema(bool withFormula) => Schema("Lead",
    [
        Field("Id", CrmFieldType.Id, "id"),
        Field("SystemModstamp", CrmFieldType.DateTime, "datetime"),
        Field("IsDeleted", CrmFieldType.Boolean, "boolean"),
        Field("MasterRecordId", CrmFieldType.Reference, "reference"),
        Field("CreatedDate", CrmFieldType.DateTime, "datetime"),
        Field("LastName", CrmFieldType.String, "string", writable: true),
        Field("Email", CrmFieldType.Email, "email", writable: true),
        Field("Company", CrmFieldType.String, "string", writable: true),
        Field("NumberOfEmployees", CrmFieldType.Integer, "int", writable: true),
        Field("HasOptedOutOfEmail", CrmFieldType.Boolean, "boolean", writable: true),
        Field("IsConverted", CrmFieldType.Boolean, "boolean"),
        Field("ConvertedContactId", CrmFieldType.Reference, "reference"),
        .. withFormula ? [Field("Score__c", CrmFieldType.Double, "double", calculated: true)] : Array.Empty<CrmFieldSchema>(),
    ]);

    public static CrmObjectSchema ContactSchema() => Schema("Contact",
    [
        Field("Id", CrmFieldType.Id, "id"),
        Field("SystemModstamp", CrmFieldType.DateTime, "datetime"),
        Field("IsDeleted", CrmFieldType.Boolean, "boolean"),
        Field("MasterRecordId", CrmFieldType.Reference, "reference"),
        Field("CreatedDate", CrmFieldType.DateTime, "datetime"),
        Field("LastName", CrmFieldType.String, "string", writable: true),
        Field("Email", CrmFieldType.Email, "email", writable: true),
        Field("Title", CrmFieldType.String, "string", writable: true),
        Field("Birthdate", CrmFieldType.Date, "date", writable: true),
    ]);

    public static CrmObjectSchema AccountSchema() => Schema("Account",
    [
        Field("Id", CrmFieldType.Id, "id"),
        Field("SystemModstamp", CrmFieldType.DateTime, "datetime"),
        Field("IsDeleted", CrmFieldType.Boolean, "boolean"),
        Field("MasterRecordId", CrmFieldType.Reference, "reference"),
        Field("Name", CrmFieldType.String, "string", writable: true),
        Field("AnnualRevenue", CrmFieldType.Currency, "currency", writable: true),
        Field("Tier__c", CrmFieldType.String, "string", calculated: true),
    ]);

    private void CreateSchema(bool withLeadFormula)
    {
        var catalog = SyncedObjectCatalog.Salesforce;
        var snapshot = new CrmSchemaSnapshot(
        [
            new DescribedObject(catalog.FindStandard("Lead")!, LeadSchema(withLeadFormula)),
            new DescribedObject(catalog.FindStandard("Contact")!, ContactSchema()),
            new DescribedObject(catalog.FindStandard("Account")!, AccountSchema()),
        ], []);
        foreach (var described in snapshot.Objects)
            Client.FakeSchema.Objects[described.Schema.Name] = described.Schema;
        var plan = new FieldSyncPlanner(catalog).Plan(snapshot, FieldSyncState.Read(Store), FieldExclusionSet.Empty);
        new FieldSyncApplier(Store, catalog).Apply(plan);
    }

    public static CrmObjectSchema Schema(string name, IReadOnlyList<CrmFieldSchema> fields) =>
        new(name, name, false, true, true, true, true, fields)
        {
            SupportsChangeTracking = true,
            ModificationStampField = "SystemModstamp",
            DeletedFlagField = "IsDeleted",
            MergedIntoField = "MasterRecordId",
            // as the Salesforce schema reader reports them (field roles are data: Sync-CrmField stores them in the catalog)
            CreatedDateField = fields.Any(f => f.Name == "CreatedDate") ? "CreatedDate" : null,
            ConvertedIntoFields = fields.Any(f => f.Name == "IsConverted") && fields.Any(f => f.Name == "ConvertedContactId") ? ["IsConverted", "ConvertedContactId"] : [],
        };

    public static CrmFieldSchema Field(string name, CrmFieldType type, string native, bool writable = false, bool calculated = false) =>
        new(name, name, type, native, 0, 0, 0, writable, writable, true, name.EndsWith("__c", StringComparison.Ordinal), calculated, false, false, [], []);

    // ---- CRM data helpers ----

    public CrmRecord Lead(string id, string lastName, string? email = null, string? company = "Acme", long? employees = null, DateTimeOffset? stamp = null,
        bool converted = false, string? contactId = null, decimal? score = null) =>
        Source.Put("Lead", id, new Dictionary<string, object?>
        {
            ["LastName"] = lastName, ["Email"] = email, ["Company"] = company, ["NumberOfEmployees"] = employees,
            ["HasOptedOutOfEmail"] = false, ["IsConverted"] = converted, ["ConvertedContactId"] = contactId, ["Score__c"] = score,
            ["CreatedDate"] = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 600, TimeSpan.Zero),
        }, stamp);

    public CrmRecord Contact(string id, string lastName, string? email = null, string? title = null, DateTimeOffset? stamp = null) =>
        Source.Put("Contact", id, new Dictionary<string, object?>
        {
            ["LastName"] = lastName, ["Email"] = email, ["Title"] = title, ["Birthdate"] = new DateOnly(1980, 5, 17),
            ["CreatedDate"] = new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.Zero),
        }, stamp);

    public CrmRecord Account(string id, string name, decimal? revenue = null, string? tier = null, DateTimeOffset? stamp = null) =>
        Source.Put("Account", id, new Dictionary<string, object?> { ["Name"] = name, ["AnnualRevenue"] = revenue, ["Tier__c"] = tier }, stamp);

    // ---- local database helpers ----

    public List<Dictionary<string, object?>> Rows(string table, string where = "1 = 1")
    {
        using var connection = Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE {where} ORDER BY _row_id;";
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < reader.FieldCount; i++)
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public Dictionary<string, object?> Row(string table, string crmId) =>
        Rows(table).Single(r => Equals(r["_crm_id"], crmId));

    public object? Scalar(string sql)
    {
        using var connection = Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public void Execute(string sql)
    {
        using var connection = Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        Client.Dispose();
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    private sealed class ListSink(List<SyncEvent> events) : ISyncEventSink
    {
        public void Report(SyncEvent syncEvent)
        {
            lock (events) events.Add(syncEvent);
        }
    }
}

internal sealed class InlineProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
