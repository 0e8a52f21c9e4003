using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;
using CrmSync.Engine.Tests.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Push;

/// <summary>An in-memory CRM that can also be written to (the pull fakes plus <see cref="FakeRecordWriter"/>).</summary>
internal sealed class PushFakeClient : ICrmClient
{
    public PushFakeClient(FakeChangeSource source)
    {
        Source = source;
        FakeWriter = new FakeRecordWriter(source, FakeSchema);
    }

    public FakeChangeSource Source { get; }
    public FakeSession FakeSession { get; } = new();
    public FakeSchemaReader FakeSchema { get; } = new();
    public FakeRecordWriter FakeWriter { get; }
    public CrmKind Kind => CrmKind.Salesforce;
    public ICrmSession Session => FakeSession;
    public ICrmSchemaReader Schema => FakeSchema;
    public ICrmChangeSource Changes => Source;
    public ICrmRecordWriter Writer => FakeWriter;
    public Task<CrmApiUsage?> GetApiUsageAsync(CancellationToken cancellationToken) => Task.FromResult(FakeSession.ApiUsage);
    public void Dispose() { }
}

/// <summary>
/// A profile whose person table is created the real way (Schema API) from a Lead and a Contact that both carry the External
/// ID field CrmSync_Key__c, a writable in-memory CRM, and a <see cref="PushPhase"/> wired into the orchestrator.
/// </summary>
internal sealed class PushTestBed : IDisposable
{
    public static readonly string Key = SyncedObjectCatalog.Salesforce.ExternalIdField;
    private readonly TempDirectory _home = new("crmsync-push");

    public PushTestBed(bool withExternalId = true, PushOptions? options = null, bool withCampaigns = false)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
        Store = TestProfiles.CreateStore(_home, Time);
        Source = new FakeChangeSource();
        Client = new PushFakeClient(Source);
        var catalog = SyncedObjectCatalog.Salesforce;
        var lead = SyncTestBed.LeadSchema(withFormula: true);
        var contact = SyncTestBed.ContactSchema();
        if (withExternalId)
        {
            lead = SyncTestBed.Schema("Lead", [.. lead.Fields, ExternalIdField()]);
            contact = SyncTestBed.Schema("Contact", [.. contact.Fields, ExternalIdField()]);
        }
        var snapshot = new CrmSchemaSnapshot(
        [
            new DescribedObject(catalog.FindStandard("Lead")!, lead),
            new DescribedObject(catalog.FindStandard("Contact")!, contact),
            .. withCampaigns
                ? [new DescribedObject(catalog.FindStandard("Campaign")!, CampaignSchema()), new DescribedObject(catalog.FindStandard("CampaignMember")!, MemberSchema())]
                : Array.Empty<DescribedObject>(),
        ], []);
        foreach (var described in snapshot.Objects)
            Client.FakeSchema.Objects[described.Schema.Name] = described.Schema;
        var plan = new FieldSyncPlanner(catalog).Plan(snapshot, FieldSyncState.Read(Store), FieldExclusionSet.Empty);
        new FieldSyncApplier(Store, catalog).Apply(plan);
        Push = new PushPhase(Store, options ?? new PushOptions { RetryBaseDelay = TimeSpan.FromMinutes(1) });
    }

    public static CrmFieldSchema ExternalIdField() =>
        new(Key, "CrmSync Key", CrmFieldType.String, "string", 64, 0, 0, true, true, true, true, false, ExternalId: true, Unique: true, [], []);

    public static CrmObjectSchema CampaignSchema() => SyncTestBed.Schema("Campaign",
    [
        SyncTestBed.Field("Id", CrmFieldType.Id, "id"),
        SyncTestBed.Field("SystemModstamp", CrmFieldType.DateTime, "datetime"),
        SyncTestBed.Field("IsDeleted", CrmFieldType.Boolean, "boolean"),
        SyncTestBed.Field("Name", CrmFieldType.String, "string", writable: true),
        ExternalIdField(),
    ]) with { MergedIntoField = null };

    public static CrmObjectSchema MemberSchema() => SyncTestBed.Schema("CampaignMember",
    [
        SyncTestBed.Field("Id", CrmFieldType.Id, "id"),
        SyncTestBed.Field("SystemModstamp", CrmFieldType.DateTime, "datetime"),
        SyncTestBed.Field("IsDeleted", CrmFieldType.Boolean, "boolean"),
        CreateOnly("CampaignId"),
        CreateOnly("LeadId"),
        CreateOnly("ContactId"),
        SyncTestBed.Field("Status", CrmFieldType.Picklist, "picklist", writable: true),
    ]) with { MergedIntoField = null };

    private static CrmFieldSchema CreateOnly(string name) =>
        new(name, name, CrmFieldType.Reference, "reference", 18, 0, 0, Createable: true, Updateable: false, true, false, false, false, false, [], []);

    public CrmRecord Campaign(string id, string name)
    {
        Writer.Know("Campaign", id);
        return Source.Put("Campaign", id, new Dictionary<string, object?> { ["Name"] = name });
    }

    public CrmRecord Member(string id, string campaignId, string? leadId, string? contactId, string status)
    {
        Writer.Know("CampaignMember", id);
        return Source.Put("CampaignMember", id, new Dictionary<string, object?>
        {
            ["CampaignId"] = campaignId, ["LeadId"] = leadId, ["ContactId"] = contactId, ["Status"] = status,
        });
    }

    public FakeTimeProvider Time { get; }
    public CrmSyncStore Store { get; }
    public FakeChangeSource Source { get; }
    public PushFakeClient Client { get; }
    public FakeRecordWriter Writer => Client.FakeWriter;
    public PushPhase Push { get; set; }
    public List<SyncEvent> Events { get; } = [];

    public async Task<SyncRunResult> CycleAsync(IProgress<SyncProgress>? progress = null)
    {
        var orchestrator = new SyncOrchestrator(Store, Client, new SyncOptions { PageSize = 50, SchemaRefreshInterval = null }, Push, new ListSink(Events));
        var result = await orchestrator.RunCycleAsync(progress, CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(30));
        return result;
    }

    public async Task<SyncRunResult> SucceededCycleAsync()
    {
        var result = await CycleAsync();
        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        return result;
    }

    public CrmRecord Lead(string id, string lastName, string? email = null, string? company = "Acme")
    {
        Writer.Know("Lead", id);
        return Source.Put("Lead", id, new Dictionary<string, object?>
        {
            ["LastName"] = lastName, ["Email"] = email, ["Company"] = company, ["NumberOfEmployees"] = 10L, ["HasOptedOutOfEmail"] = false,
            ["IsConverted"] = false, ["ConvertedContactId"] = null, ["Score__c"] = 5.0,
            ["CreatedDate"] = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        });
    }

    public CrmRecord Contact(string id, string lastName, string? email = null, string? title = null)
    {
        Writer.Know("Contact", id);
        return Source.Put("Contact", id, new Dictionary<string, object?>
        {
            ["LastName"] = lastName, ["Email"] = email, ["Title"] = title, ["Birthdate"] = new DateOnly(1980, 5, 17),
            ["CreatedDate"] = new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.Zero),
        });
    }

    /// <summary>Changes fields of a CRM record as a CRM user would (new stamp).</summary>
    public void EditInCrm(string objectName, string id, params (string Field, object? Value)[] changes)
    {
        var existing = Source.Get(objectName, id);
        var values = existing.Values.Where(p => p.Key is not ("Id" or "SystemModstamp" or "IsDeleted" or "MasterRecordId"))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var (field, value) in changes)
            values[field] = value;
        Source.Put(objectName, id, values);
    }

    /// <summary>Runs SQL over a plain connection of its own, as the sqlite3 command line or another tool would.</summary>
    public int ExternalSql(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Store.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000; " + sql;
        return command.ExecuteNonQuery();
    }

    public object? Scalar(string sql)
    {
        using var connection = Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public List<OutboxEntry> Outbox(string where = "1 = 1")
    {
        var ids = new List<long>();
        using (var connection = Store.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT id FROM crmsync_outbox WHERE {where} ORDER BY id;";
            using var reader = command.ExecuteReader();
            while (reader.Read()) ids.Add(reader.GetInt64(0));
        }
        return ids.Select(id => Store.Outbox.Get(id)!).ToList();
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
