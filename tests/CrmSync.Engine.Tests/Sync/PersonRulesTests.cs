using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

public sealed class PersonRulesTests
{
    private const string LeadId = "00Q000000000001AAA";
    private const string ContactId = "003000000000009AAA";

    [Fact]
    public async Task A_lead_converted_into_a_new_contact_leaves_one_person_of_type_contact()
    {
        using var bed = new SyncTestBed();
        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme");
        await bed.CycleAsync();
        var leadRowId = bed.Row("person", LeadId)["_row_id"];

        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme", converted: true, contactId: ContactId);
        bed.Contact(ContactId, "Ames", "ames@example.com", "CTO");
        var result = await bed.CycleAsync();

        var persons = bed.Rows("person");
        var person = Assert.Single(persons);
        Assert.Equal(leadRowId, person["_row_id"]);
        Assert.Equal(ContactId, person["_crm_id"]);
        Assert.Equal("Contact", person["_crm_type"]);
        Assert.Equal(LeadId, person["_converted_from_lead_id"]);
        Assert.Equal("CTO", person["Title"]);
        Assert.Equal(0L, person["_crm_is_deleted"]);
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullConversions).Updated);

        var again = await bed.CycleAsync(); // the overlap reads the converted lead again
        Assert.Single(bed.Rows("person"));
        Assert.Equal(1, again.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullConversions).Skipped);
    }

    [Fact]
    public async Task When_the_contact_arrived_before_the_conversion_the_two_rows_collapse_into_the_older_lead_row()
    {
        using var bed = new SyncTestBed();
        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme", employees: 50);
        await bed.CycleAsync();
        bed.Execute($"UPDATE person SET Company = 'Acme (local note)' WHERE _crm_id = '{LeadId}'"); // local-only data on the lead row
        bed.Contact(ContactId, "Ames", "ames@corp.example", "CTO");
        await bed.CycleAsync(); // the contact is seen before the conversion
        Assert.Equal(2, bed.Rows("person").Count);

        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme", employees: 50, converted: true, contactId: ContactId);
        var result = await bed.CycleAsync();

        var live = bed.Rows("person", "_crm_is_deleted = 0");
        var person = Assert.Single(live);
        Assert.Equal(ContactId, person["_crm_id"]);
        Assert.Equal("Contact", person["_crm_type"]);
        Assert.Equal(LeadId, person["_converted_from_lead_id"]);
        Assert.Equal("ames@corp.example", person["Email"]); // the contact's CRM values win
        Assert.Equal("CTO", person["Title"]);
        Assert.Equal("Acme (local note)", person["Company"]); // kept where the contact has no value
        Assert.Equal(50L, person["NumberOfEmployees"]);
        var redundant = Assert.Single(bed.Rows("person", "_crm_is_deleted = 1"));
        Assert.Null(redundant["_crm_id"]);
        Assert.Equal(ContactId, redundant["_merged_into"]);
        Assert.Equal(2, bed.Rows("person").Count); // nothing deleted
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullConversions).Updated);

        bed.Contact(ContactId, "Ames", "ames@corp.example", "VP"); // later contact updates land on the surviving row
        await bed.CycleAsync();
        Assert.Equal("VP", Assert.Single(bed.Rows("person", "_crm_is_deleted = 0"))["Title"]);
    }

    [Fact]
    public async Task A_lead_converted_into_an_older_existing_contact_is_merged_into_that_contact()
    {
        using var bed = new SyncTestBed();
        bed.Contact(ContactId, "Ames", "ames@corp.example", title: null);
        await bed.CycleAsync();
        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme");
        await bed.CycleAsync();

        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme", converted: true, contactId: ContactId);
        await bed.CycleAsync();

        var person = Assert.Single(bed.Rows("person", "_crm_is_deleted = 0"));
        Assert.Equal(ContactId, person["_crm_id"]);
        Assert.Equal("ames@corp.example", person["Email"]);
        Assert.Equal("Acme", person["Company"]); // blank on the contact row: taken from the lead row
        Assert.Equal(LeadId, person["_converted_from_lead_id"]);
        var lead = bed.Row("person", LeadId);
        Assert.Equal(1L, lead["_crm_is_deleted"]);
        Assert.Equal(ContactId, lead["_merged_into"]);
        Assert.Equal("Lead", lead["_crm_type"]);
    }

    [Fact]
    public async Task Two_leads_converted_into_one_existing_contact_leave_that_one_contact()
    {
        using var bed = new SyncTestBed();
        bed.Contact(ContactId, "Ames", "ames@corp.example");
        await bed.CycleAsync();
        bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com", company: "Acme");
        bed.Lead("00Q000000000002AAA", "Ames", "a.ames@example.com", company: "Acme Two");
        await bed.CycleAsync();

        bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com", company: "Acme", converted: true, contactId: ContactId);
        bed.Lead("00Q000000000002AAA", "Ames", "a.ames@example.com", company: "Acme Two", converted: true, contactId: ContactId);
        await bed.CycleAsync();
        await bed.CycleAsync(); // the overlap reads both conversions again: nothing moves

        var person = Assert.Single(bed.Rows("person", "_crm_is_deleted = 0"));
        Assert.Equal(ContactId, person["_crm_id"]);
        Assert.Equal("00Q000000000001AAA", person["_converted_from_lead_id"]); // the first conversion stays recorded
        Assert.Equal("Acme", person["Company"]);
        Assert.All(bed.Rows("person", "_crm_type = 'Lead'"), lead => Assert.Equal(ContactId, lead["_merged_into"]));
        Assert.Equal(3, bed.Rows("person").Count);
    }

    [Fact]
    public async Task A_lead_converted_before_it_was_ever_pulled_becomes_one_contact()
    {
        using var bed = new SyncTestBed();
        bed.Lead(LeadId, "Ames", "ames@example.com", converted: true, contactId: ContactId);
        bed.Contact(ContactId, "Ames", "ames@corp.example", "CTO");

        var result = await bed.CycleAsync();

        var person = Assert.Single(bed.Rows("person"));
        Assert.Equal(ContactId, person["_crm_id"]);
        Assert.Equal("Contact", person["_crm_type"]);
        Assert.Equal(LeadId, person["_converted_from_lead_id"]);
        Assert.Equal("ames@corp.example", person["Email"]);
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullConversions).New);
    }

    [Fact]
    public async Task A_merge_keeps_the_winners_values_fills_its_blanks_from_the_loser_and_marks_the_loser_merged()
    {
        using var bed = new SyncTestBed();
        const string winner = "003000000000001AAA", loser = "003000000000002AAA";
        bed.Contact(winner, "Smith", "smith@example.com", title: null);
        bed.Contact(loser, "Smith", "old-smith@example.com", title: "CFO");
        await bed.CycleAsync();

        bed.Source.Delete("Contact", loser, mergedInto: winner);
        var result = await bed.CycleAsync();

        var w = bed.Row("person", winner);
        Assert.Equal("smith@example.com", w["Email"]);
        Assert.Equal("CFO", w["Title"]);
        Assert.Equal(0L, w["_crm_is_deleted"]);
        var l = bed.Row("person", loser);
        Assert.Equal(1L, l["_crm_is_deleted"]);
        Assert.Equal(winner, l["_merged_into"]);
        Assert.Equal("old-smith@example.com", l["Email"]); // nothing of the loser is deleted
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Contact" && c.Operation == RunOperation.PullDeletes).Deleted);

        var again = await bed.CycleAsync();
        Assert.Equal(1, again.Counts.Single(c => c.ObjectName == "Contact" && c.Operation == RunOperation.PullDeletes).Skipped);
    }

    [Fact]
    public async Task Applying_the_same_page_twice_is_harmless()
    {
        using var bed = new SyncTestBed();
        var records = new[]
        {
            bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com", employees: 5),
            bed.Lead("00Q000000000002AAA", "Baker"),
        };
        await bed.CycleAsync();
        var plan = SyncedObjectPlan.ReadAll(bed.Store, SyncedObjectCatalog.Salesforce).Single(p => p.ObjectName == "Lead");
        var before = bed.Rows("person");

        PageOutcome outcome;
        using (var connection = bed.Store.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            var runId = bed.Store.Runs.Start(RunKind.Incremental, "test", transaction);
            var applier = new RecordApplier(plan, bed.Store, runId, new RecordWarningLog(bed.Store, runId, 10, new SyncEventRelay(null)));
            outcome = applier.Apply(transaction, records);
            var second = applier.Apply(transaction, records);
            Assert.Equal(2, second.Updates.Skipped);
            transaction.Commit();
        }

        Assert.Equal(2, outcome.Updates.Skipped);
        Assert.Equal(0, outcome.Updates.New + outcome.Updates.Updated);
        Assert.Equal(before.Count, bed.Rows("person").Count);
        Assert.Equal(before.Select(r => r["_synced_at"]), bed.Rows("person").Select(r => r["_synced_at"]));
    }

    [Fact]
    public async Task A_record_that_cannot_be_stored_becomes_a_record_error_and_the_others_are_applied()
    {
        using var bed = new SyncTestBed();
        await bed.CycleAsync();
        bed.Execute("""
            CREATE TRIGGER reject_blocked BEFORE INSERT ON person WHEN NEW.Email = 'blocked@example.com'
            BEGIN SELECT RAISE(ABORT, 'blocked by a local rule'); END;
            """);
        bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com");
        bed.Lead("00Q000000000002AAA", "Blocked", "blocked@example.com");
        bed.Lead("00Q000000000003AAA", "Cole", "cole@example.com");

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, result.State);
        var counts = result.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.PullUpdates);
        Assert.Equal(2, counts.New);
        Assert.Equal(1, counts.Failed);
        Assert.Equal(2, bed.Rows("person").Count);
        var error = Assert.Single(bed.Store.Errors.List(runId: result.RunId), e => e.Level == SyncErrorLevel.Record);
        Assert.Equal(ErrorIds.RecordPullFailed, error.ErrorId);
        Assert.Equal("00Q000000000002AAA", error.CrmId);
        Assert.Equal("Lead", error.ObjectName);
        Assert.Contains("blocked by a local rule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_that_no_longer_fits_its_column_is_stored_as_it_comes_and_reported()
    {
        using var bed = new SyncTestBed();
        await bed.CycleAsync();
        // The CRM changed NumberOfEmployees from int to text; the INTEGER column stays (Sync-CrmField records the type change).
        bed.Store.FieldCatalog.MarkTypeReplaced("Lead", "NumberOfEmployees", "string");
        bed.Source.Put("Lead", "00Q000000000001AAA", new Dictionary<string, object?> { ["LastName"] = "Ames", ["NumberOfEmployees"] = "about fifty" });

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.Equal("about fifty", bed.Row("person", "00Q000000000001AAA")["NumberOfEmployees"]);
        var warning = Assert.Single(bed.Store.Errors.List(runId: result.RunId));
        Assert.Equal(ErrorIds.PulledValueDoesNotFit, warning.ErrorId);
        Assert.Equal(SyncErrorLevel.Record, warning.Level);
        Assert.Contains("NumberOfEmployees", warning.Message, StringComparison.Ordinal);
        Assert.Contains(result.Warnings, w => w.Contains("NumberOfEmployees", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_syncs_own_writes_do_not_reach_a_capture_trigger_that_tests_the_marker()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        await bed.CycleAsync();
        bed.Execute($"""
            CREATE TRIGGER capture_person AFTER UPDATE ON person WHEN {SyncWriteMarker.TriggerCondition}
            BEGIN
                INSERT INTO crmsync_outbox (table_name, row_key, crm_object, crm_id, operation, captured_at)
                VALUES ('person', NEW._row_id, coalesce(NEW._crm_type, 'Lead'), NEW._crm_id, 'Update', '2026-01-01T00:00:00Z');
            END;
            """);

        bed.Lead("00Q000000000001AAA", "Ames-Pulled");
        await bed.CycleAsync();
        Assert.Equal("Ames-Pulled", bed.Row("person", "00Q000000000001AAA")["LastName"]);
        Assert.Equal(0L, bed.Store.Outbox.CountBacklog());

        bed.Execute("UPDATE person SET LastName = 'Ames-Local' WHERE _crm_id = '00Q000000000001AAA'"); // any other writer
        Assert.Equal(1L, bed.Store.Outbox.CountBacklog());
        Assert.Equal(0L, bed.Scalar($"SELECT count(*) FROM {SyncWriteMarker.TableName}"));
    }

    [Fact]
    public async Task The_pull_reads_the_field_roles_from_the_catalog_not_from_the_names()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        await bed.CycleAsync();
        var catalog = bed.Store.FieldCatalog.List("Lead").ToDictionary(e => e.FieldName);
        Assert.Equal(CrmFieldRole.PrimaryId, catalog["Id"].Roles);
        Assert.Equal(CrmFieldRole.ModificationStamp, catalog["SystemModstamp"].Roles);
        Assert.Equal(CrmFieldRole.CreatedDate, catalog["CreatedDate"].Roles);
        Assert.Equal(CrmFieldType.DateTime, catalog["CreatedDate"].FieldType);

        // Roles are data: moved to other fields, the plan follows them.
        bed.Store.FieldCatalog.SetRoles("Lead", "SystemModstamp", CrmFieldRole.None, CrmFieldType.DateTime);
        bed.Store.FieldCatalog.SetRoles("Lead", "CreatedDate", CrmFieldRole.ModificationStamp, CrmFieldType.DateTime);
        var plan = SyncedObjectPlan.ReadAll(bed.Store, SyncedObjectCatalog.Salesforce).Single(p => p.ObjectName == "Lead");
        Assert.Equal("CreatedDate", plan.Schema.ModificationStampField);
        Assert.Null(plan.CreatedDateField);
        Assert.Equal("IsDeleted", plan.Schema.DeletedFlagField);
    }
}
