using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Sync;

namespace CrmSync.Engine.Tests.Push;

public sealed class ChangeCaptureTests
{
    private const string Ames = "00Q000000000001AAA";

    private static async Task<PushTestBed> CopiedAsync()
    {
        var bed = new PushTestBed();
        bed.Lead(Ames, "Ames", "ames@example.com");
        bed.Contact("003000000000001AAA", "Smith", "smith@example.com", "CEO");
        await bed.SucceededCycleAsync();
        return bed;
    }

    [Fact]
    public async Task The_sync_own_pull_writes_never_echo_into_the_outbox()
    {
        using var bed = await CopiedAsync();
        bed.EditInCrm("Lead", Ames, ("Email", "new@example.com"));
        await bed.SucceededCycleAsync();

        Assert.Equal("new@example.com", bed.Scalar($"SELECT Email FROM person WHERE _crm_id = '{Ames}'"));
        Assert.Empty(bed.Outbox());
        Assert.Empty(bed.Writer.CallLog);
    }

    [Fact]
    public async Task An_update_from_another_connection_queues_only_the_changed_columns()
    {
        using var bed = await CopiedAsync();

        bed.ExternalSql($"UPDATE person SET Email = 'x@example.com', LastName = LastName, Company = 'Acme' WHERE _crm_id = '{Ames}';");

        var entry = Assert.Single(bed.Outbox());
        Assert.Equal(["Email"], entry.ChangedColumns);
        Assert.Equal(OutboxOperation.Update, entry.Operation);
        Assert.Equal("Lead", entry.CrmObject);
        Assert.Equal(Ames, entry.CrmId);
        Assert.Equal("ames@example.com", bed.Scalar($"SELECT old_value FROM {ChangeCapture.BaseTable} WHERE column_name = 'Email'"));
        Assert.NotNull(bed.Scalar($"SELECT _local_updated_at FROM person WHERE _crm_id = '{Ames}'"));
    }

    [Fact]
    public async Task An_update_of_system_columns_only_or_to_the_same_value_queues_nothing()
    {
        using var bed = await CopiedAsync();

        bed.ExternalSql($"UPDATE person SET _synced_at = 'x', Email = Email WHERE _crm_id = '{Ames}';");

        Assert.Empty(bed.Outbox());
    }

    [Fact]
    public async Task An_insert_gets_a_client_key_and_one_insert_entry_and_its_own_key_update_queues_nothing_more()
    {
        using var bed = await CopiedAsync();

        bed.ExternalSql("INSERT INTO person (LastName, Email) VALUES ('New', 'new@example.com');");

        var entry = Assert.Single(bed.Outbox());
        Assert.Equal(OutboxOperation.Insert, entry.Operation);
        Assert.Null(entry.CrmId);
        Assert.Equal(["LastName", "Email"], entry.ChangedColumns.Order(StringComparer.Ordinal).Reverse().ToList());
        var key = (string)bed.Scalar("SELECT _client_key FROM person WHERE LastName = 'New'")!;
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.Equal(key, entry.ClientKey);
    }

    [Fact]
    public async Task Many_updates_of_one_row_are_coalesced_into_one_push_with_the_merged_columns()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Email = 'a@example.com' WHERE _crm_id = '{Ames}';");
        bed.ExternalSql($"UPDATE person SET NumberOfEmployees = 99 WHERE _crm_id = '{Ames}';");
        bed.ExternalSql($"UPDATE person SET Email = 'b@example.com' WHERE _crm_id = '{Ames}';");
        Assert.Equal(3, bed.Outbox().Count);

        await bed.SucceededCycleAsync();

        var sent = Assert.Single(bed.Writer.Sent);
        Assert.Equal(Ames, sent.Id);
        Assert.Equal(new Dictionary<string, object?> { ["Email"] = "b@example.com", ["NumberOfEmployees"] = 99L }, sent.Values.ToDictionary(p => p.Key, p => p.Value));
        Assert.Equal(["Update Lead 1"], bed.Writer.CallLog);
        Assert.All(bed.Outbox(), e => Assert.Equal(OutboxState.Done, e.State));
    }

    [Fact]
    public async Task Triggers_cover_a_column_added_later_by_the_schema_api()
    {
        using var bed = await CopiedAsync();
        var catalog = SyncedObjectCatalog.Salesforce;
        var lead = (CrmObjectSchema)bed.Client.FakeSchema.Objects["Lead"];
        lead = SyncTestBed.Schema("Lead", [.. lead.Fields, SyncTestBed.Field("Rating", CrmFieldType.Picklist, "picklist", writable: true)]);
        bed.Client.FakeSchema.Objects["Lead"] = lead;
        var snapshot = new CrmSchemaSnapshot(
        [
            new DescribedObject(catalog.FindStandard("Lead")!, lead),
            new DescribedObject(catalog.FindStandard("Contact")!, bed.Client.FakeSchema.Objects["Contact"]),
        ], []);
        new FieldSyncApplier(bed.Store, catalog).Apply(new FieldSyncPlanner(catalog).Plan(snapshot, FieldSyncState.Read(bed.Store), FieldExclusionSet.Empty));
        await bed.SucceededCycleAsync(); // the push refreshes the triggers

        bed.ExternalSql($"UPDATE person SET Rating = 'Hot' WHERE _crm_id = '{Ames}';");

        Assert.Equal(["Rating"], Assert.Single(bed.Outbox(), e => e.State == OutboxState.Pending).ChangedColumns);
        await bed.SucceededCycleAsync();
        Assert.Equal("Hot", bed.Source.Get("Lead", Ames).Values["Rating"]);
    }

    [Fact]
    public async Task Installing_twice_changes_nothing()
    {
        using var bed = await CopiedAsync();
        var map = PushFieldMap.Read(bed.Store, SyncedObjectCatalog.Salesforce, PushTestBed.Key);

        Assert.Equal(0, ChangeCapture.Install(bed.Store, map));
        Assert.Equal(3L, bed.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'crmsync_capture_person_%'")); // insert, update, delete
        Assert.DoesNotContain(PushTestBed.Key, map.TableColumns["person"]);
    }
}
