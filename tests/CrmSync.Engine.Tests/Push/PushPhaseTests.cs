using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Push;

public sealed class PushPhaseTests
{
    private const string Ames = "00Q000000000001AAA";
    private const string Smith = "003000000000001AAA";

    private static async Task<PushTestBed> CopiedAsync(bool withExternalId = true)
    {
        var bed = new PushTestBed(withExternalId);
        bed.Lead(Ames, "Ames", "ames@example.com");
        bed.Contact(Smith, "Smith", "smith@example.com", "CEO");
        await bed.SucceededCycleAsync();
        return bed;
    }

    private static SyncOperationCount Count(SyncRunResult result, string objectName, RunOperation operation) =>
        result.Counts.Single(c => c.ObjectName == objectName && c.Operation == operation);

    [Fact]
    public async Task An_insert_asking_for_a_type_that_is_not_synced_is_refused_with_a_clear_error_and_never_created_as_a_lead()
    {
        using var bed = new PushTestBed();
        bed.Lead(Ames, "Ames", "ames@example.com");
        bed.ExternalSql("UPDATE crmsync_field_mapping SET enabled = 0 WHERE object_name = 'Contact';"); // Contact is not synced
        await bed.SucceededCycleAsync();
        bed.ExternalSql("INSERT INTO person (LastName, Email, _crm_type) VALUES ('Tact', 'tact@example.com', 'Contact');");

        var result = await bed.SucceededCycleAsync();

        Assert.DoesNotContain(bed.Writer.CallLog, c => c.StartsWith("Upsert", StringComparison.Ordinal) || c.StartsWith("Create", StringComparison.Ordinal));
        Assert.Null(bed.Scalar("SELECT _crm_id FROM person WHERE Email = 'tact@example.com'"));
        var error = Assert.Single(bed.Store.Errors.List(), e => e.ErrorId == ErrorIds.RecordPushFailed);
        Assert.Contains("asks to be created as a Contact", error.Message, StringComparison.Ordinal);
        Assert.Contains("not as another type", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Count(result, "Contact", RunOperation.PushNew).Failed);
        Assert.Contains(result.Warnings, w => w.Contains("which is not synced", StringComparison.Ordinal));
        Assert.Equal(0, bed.Store.Outbox.CountBacklog());
    }

    [Fact]
    public async Task An_update_made_with_plain_sql_reaches_the_crm_in_the_next_cycle_with_only_the_changed_field()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Title = 'CTO' WHERE _crm_id = '{Smith}';");

        var result = await bed.SucceededCycleAsync();

        Assert.Equal("CTO", bed.Source.Get("Contact", Smith).Values["Title"]);
        var sent = Assert.Single(bed.Writer.Sent);
        Assert.Equal(["Title"], sent.Values.Keys.ToList());
        Assert.Equal(1, Count(result, "Contact", RunOperation.PushUpdates).Updated);
        Assert.Equal(0, bed.Store.Outbox.CountBacklog());

        // The pushed record comes back with the next pull without echoing or colliding.
        var next = await bed.SucceededCycleAsync();
        Assert.Single(bed.Writer.Sent);
        Assert.Empty(bed.Store.Conflicts.List());
        Assert.DoesNotContain(next.Counts, c => c.Operation is RunOperation.PushNew or RunOperation.PushUpdates);
    }

    [Fact]
    public async Task An_insert_creates_exactly_one_lead_upserted_on_the_client_key_with_the_placeholders_for_empty_required_fields()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql("INSERT INTO person (Email) VALUES ('new@example.com');");
        var key = (string)bed.Scalar("SELECT _client_key FROM person WHERE Email = 'new@example.com'")!;

        var result = await bed.SucceededCycleAsync();

        Assert.Equal(["Upsert Lead CrmSync_Key__c 1"], bed.Writer.CallLog);
        var created = Assert.Single(bed.Writer.All("Lead"), r => Equals(r.Values.GetValueOrDefault(PushTestBed.Key), key));
        Assert.Equal("[not provided]", created.Values["LastName"]);
        Assert.Equal("[not provided]", created.Values["Company"]);
        Assert.Equal("new@example.com", created.Values["Email"]);
        Assert.Equal(created.Id, bed.Scalar("SELECT _crm_id FROM person WHERE Email = 'new@example.com'"));
        Assert.Equal("Lead", bed.Scalar("SELECT _crm_type FROM person WHERE Email = 'new@example.com'"));
        Assert.Equal(1, Count(result, "Lead", RunOperation.PushNew).New);

        // The next cycle pulls the lead into the same row and pushes nothing again.
        await bed.SucceededCycleAsync();
        Assert.Single(bed.Writer.CallLog);
        Assert.Equal(1L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{created.Id}'"));
        Assert.Equal("[not provided]", bed.Scalar("SELECT LastName FROM person WHERE Email = 'new@example.com'"));
        Assert.Equal(2, bed.Writer.All("Lead").Count);
    }

    [Fact]
    public async Task A_crash_after_the_crm_accepted_the_upsert_never_creates_a_second_record()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql("INSERT INTO person (LastName, Company, Email) VALUES ('Crash', 'Crash Co', 'crash@example.com');");
        bed.Writer.AfterWrite = _ => throw new IOException("the process died before the local commit (simulated)");

        var crashed = await bed.CycleAsync();

        Assert.Equal(RunState.Failed, crashed.State);
        Assert.Single(bed.Writer.All("Lead"), r => Equals(r.Values.GetValueOrDefault("LastName"), "Crash"));
        Assert.Null(bed.Scalar("SELECT _crm_id FROM person WHERE LastName = 'Crash' AND _client_key IS NOT NULL"));

        bed.Writer.AfterWrite = null;
        var retried = await bed.SucceededCycleAsync(); // the pull recognises the lead by its key as the local row; the push updates it

        var record = Assert.Single(bed.Writer.All("Lead"), r => Equals(r.Values.GetValueOrDefault("LastName"), "Crash"));
        Assert.Equal(1, bed.Writer.CallLog.Count(c => c.StartsWith("Upsert Lead", StringComparison.Ordinal)));
        Assert.Equal(0L, Count(retried, "Lead", RunOperation.PullUpdates).New); // no second local copy
        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM person WHERE LastName = 'Crash'")); // no residue row at all
        Assert.Equal(1L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{record.Id}'"));
        Assert.Equal(record.Id, bed.Scalar("SELECT _crm_id FROM person WHERE _client_key IS NOT NULL AND LastName = 'Crash'"));
        Assert.Equal(0, bed.Store.Outbox.CountBacklog());

        await bed.SucceededCycleAsync();
        Assert.Single(bed.Writer.All("Lead"), r => Equals(r.Values.GetValueOrDefault("LastName"), "Crash"));
        Assert.Equal(1L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{record.Id}'"));
    }

    [Fact]
    public async Task Per_record_failures_never_stop_the_batch_and_a_transient_one_succeeds_in_a_later_cycle()
    {
        using var bed = new PushTestBed();
        var ids = Enumerable.Range(1, 5).Select(i => $"00Q00000000000{i}AAA").ToList();
        foreach (var id in ids)
            bed.Lead(id, "Lead" + id[^4], id + "@example.com");
        await bed.SucceededCycleAsync();
        bed.ExternalSql("UPDATE person SET NumberOfEmployees = 500;");
        bed.Writer.Fail = (_, change) => change.Id == ids[1]
            ? new CrmWriteError("REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]", ["Company"], false)
            : change.Id == ids[3] ? new CrmWriteError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", [], true)
            : null;

        var result = await bed.SucceededCycleAsync();

        Assert.Equal(["Update Lead 5"], bed.Writer.CallLog);
        var tally = Count(result, "Lead", RunOperation.PushUpdates);
        Assert.Equal((3L, 2L), (tally.Updated, tally.Failed));
        foreach (var id in new[] { ids[0], ids[2], ids[4] })
            Assert.Equal(500L, bed.Source.Get("Lead", id).Values["NumberOfEmployees"]);
        var permanent = Assert.Single(bed.Store.Errors.List(), e => e.CrmErrorCode == "REQUIRED_FIELD_MISSING");
        Assert.Equal((SyncErrorLevel.Record, ErrorIds.RecordPushFailed, "Lead", ids[1]), (permanent.Level, permanent.ErrorId, permanent.ObjectName, permanent.CrmId));
        Assert.Contains("Required fields are missing", permanent.Message, StringComparison.Ordinal);
        Assert.NotNull(permanent.LocalKey);
        Assert.Single(bed.Outbox("state = 'Failed'"));
        var waiting = Assert.Single(bed.Outbox("state = 'Pending'"));
        Assert.NotNull(waiting.NextAttemptAt);

        bed.Writer.Fail = null;
        await bed.SucceededCycleAsync(); // 30 s later: still backing off
        Assert.Single(bed.Writer.CallLog);

        bed.Time.Advance(TimeSpan.FromMinutes(2));
        var later = await bed.SucceededCycleAsync();
        Assert.Equal(500L, bed.Source.Get("Lead", ids[3]).Values["NumberOfEmployees"]);
        Assert.Equal(1, Count(later, "Lead", RunOperation.PushUpdates).Updated);
        Assert.Equal(0, bed.Store.Outbox.CountBacklog());
        Assert.NotNull(Assert.Single(bed.Store.Errors.List(), e => e.CrmErrorCode == "UNABLE_TO_LOCK_ROW").ResolvedAt);
        Assert.Null(Assert.Single(bed.Store.Errors.List(), e => e.CrmErrorCode == "REQUIRED_FIELD_MISSING").ResolvedAt);
    }

    [Fact]
    public async Task A_missing_external_id_field_stops_the_push_before_any_write()
    {
        using var bed = await CopiedAsync(withExternalId: false);
        bed.ExternalSql($"UPDATE person SET Title = 'CTO' WHERE _crm_id = '{Smith}';");
        bed.ExternalSql("INSERT INTO person (LastName, Company) VALUES ('New', 'New Co');");

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Failed, result.State);
        Assert.Equal(ErrorIds.ExternalIdFieldMissing, result.Error!.ErrorId);
        Assert.Contains("CrmSync_Key__c", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("Lead", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("Text(64), External ID, Unique", result.Error.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("Contact", result.Error.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(bed.Writer.CallLog);
        Assert.Equal(2, bed.Store.Outbox.CountBacklog());
    }

    [Fact]
    public async Task A_local_edit_of_a_read_only_field_is_reported_and_never_pushed()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Score__c = 99, Email = 'pushed@example.com' WHERE _crm_id = '{Ames}';");

        var result = await bed.SucceededCycleAsync();

        var sent = Assert.Single(bed.Writer.Sent);
        Assert.Equal(["Email"], sent.Values.Keys.ToList());
        var report = Assert.Single(bed.Store.Errors.List(), e => e.ErrorId == ErrorIds.LocalEditNotPushed);
        Assert.Equal((SyncErrorLevel.Record, "Lead", Ames), (report.Level, report.ObjectName, report.CrmId));
        Assert.Contains("Score__c", report.Message, StringComparison.Ordinal);
        Assert.Contains(result.Warnings, w => w.Contains("Lead.Score__c", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_read_only_edit_alone_is_reported_and_costs_no_call()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Score__c = 99 WHERE _crm_id = '{Ames}';");

        var result = await bed.SucceededCycleAsync();

        Assert.Empty(bed.Writer.CallLog);
        Assert.Single(bed.Store.Errors.List(), e => e.ErrorId == ErrorIds.LocalEditNotPushed);
        Assert.Equal(1, Count(result, "Lead", RunOperation.PushUpdates).Skipped);
        Assert.Equal(0, bed.Store.Outbox.CountBacklog());
    }

    [Fact]
    public async Task A_collision_on_a_lead_keeps_the_local_value_pushes_it_and_is_journaled()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Email = 'local@example.com' WHERE _crm_id = '{Ames}';");
        bed.EditInCrm("Lead", Ames, ("Email", "crm@example.com"), ("NumberOfEmployees", 77L));

        var result = await bed.SucceededCycleAsync();

        Assert.Equal("local@example.com", bed.Source.Get("Lead", Ames).Values["Email"]);
        Assert.Equal("local@example.com", bed.Scalar($"SELECT Email FROM person WHERE _crm_id = '{Ames}'"));
        Assert.Equal(77L, bed.Scalar($"SELECT NumberOfEmployees FROM person WHERE _crm_id = '{Ames}'")); // the CRM's other change lands
        var conflict = Assert.Single(bed.Store.Conflicts.List());
        Assert.Equal((result.RunId, "Lead", Ames, "Email", "local@example.com", "crm@example.com", ConflictWinner.Local),
            (conflict.RunId, conflict.ObjectName, conflict.CrmId, conflict.FieldName, conflict.LocalValue, conflict.CrmValue, conflict.Winner));
        Assert.Contains("Marketo", conflict.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collision_on_a_contact_takes_the_crm_value_and_drops_the_local_change()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Title = 'Local title', Email = 'mine@example.com' WHERE _crm_id = '{Smith}';");
        bed.EditInCrm("Contact", Smith, ("Title", "CRM title"));

        var result = await bed.SucceededCycleAsync();

        Assert.Equal("CRM title", bed.Source.Get("Contact", Smith).Values["Title"]);
        Assert.Equal("CRM title", bed.Scalar($"SELECT Title FROM person WHERE _crm_id = '{Smith}'"));
        var sent = Assert.Single(bed.Writer.Sent);
        Assert.Equal(["Email"], sent.Values.Keys.ToList()); // the non-colliding local change still goes
        var conflict = Assert.Single(bed.Store.Conflicts.List());
        Assert.Equal((result.RunId, "Contact", "Title", "Local title", "CRM title", ConflictWinner.Crm),
            (conflict.RunId, conflict.ObjectName, conflict.FieldName, conflict.LocalValue, conflict.CrmValue, conflict.Winner));
    }

    [Fact]
    public async Task A_crm_change_of_another_field_is_no_collision_and_keeps_the_local_change()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Title = 'Local title' WHERE _crm_id = '{Smith}';");
        bed.EditInCrm("Contact", Smith, ("Email", "crm@example.com"));

        await bed.SucceededCycleAsync();

        Assert.Empty(bed.Store.Conflicts.List());
        Assert.Equal("Local title", bed.Source.Get("Contact", Smith).Values["Title"]);
        Assert.Equal("crm@example.com", bed.Scalar($"SELECT Email FROM person WHERE _crm_id = '{Smith}'"));
        Assert.Equal("Local title", bed.Scalar($"SELECT Title FROM person WHERE _crm_id = '{Smith}'"));
    }

    [Fact]
    public async Task Pushed_outbox_entries_are_deleted_after_the_retention_and_not_before()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE person SET Title = 'CTO' WHERE _crm_id = '{Smith}';");
        await bed.SucceededCycleAsync();
        await bed.SucceededCycleAsync();
        Assert.Equal(OutboxState.Done, Assert.Single(bed.Outbox()).State);

        // The triggers stamp entries with SQLite's clock; the store's clock jumps past the 7-day retention.
        bed.Time.SetUtcNow(DateTimeOffset.UtcNow.AddDays(8));
        await bed.SucceededCycleAsync();

        Assert.Empty(bed.Outbox());
    }

    [Fact]
    public async Task Pushes_go_in_collections_of_at_most_200_and_report_progress()
    {
        using var bed = new PushTestBed();
        for (var i = 0; i < 450; i++)
            bed.Lead($"00Q{i:D12}AAA", "L" + i, $"l{i}@example.com");
        await bed.SucceededCycleAsync();
        bed.ExternalSql("UPDATE person SET NumberOfEmployees = 1;");
        var progress = new List<SyncProgress>();

        var result = await bed.CycleAsync(new InlineProgressFor(progress));

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Equal(["Update Lead 200", "Update Lead 200", "Update Lead 50"], bed.Writer.CallLog);
        Assert.Equal(450, Count(result, "Lead", RunOperation.PushUpdates).Updated);
        Assert.Equal([200L, 400L, 450L], progress.Where(p => p.Phase == SyncPhase.Push).Select(p => p.Done).ToList());
        // 450 records in 3 requests: about 6.7 calls per 1,000 at this size, 5 per 1,000 in full collections of 200.
    }

    private sealed class InlineProgressFor(List<SyncProgress> list) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => list.Add(value);
    }
}
