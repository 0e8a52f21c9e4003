using CrmSync.Engine.Shell;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Schema;

public sealed class SyncFieldsCommandTests
{
    [Fact]
    public void WhatIf_or_declined_lists_the_plan_and_changes_nothing_at_all()
    {
        const bool answer = false; // -WhatIf and a declined confirmation both answer ShouldProcess with false
        using var ctx = new SchemaTestContext();
        var before = ctx.Snapshot();
        var tablesBefore = ctx.Tables();

        var (host, command) = ctx.SyncFields(SalesforceSchemas.FullOrg(), confirm: answer, exclude: ["Lead.*SSN*"]);

        var entries = host.OutputOf<FieldPlanEntry>().ToList();
        Assert.Equal(host.Output.Count, entries.Count);
        Assert.Contains(entries, e => e is { ObjectName: "Lead", FieldName: "Email", Action: FieldPlanAction.Create, Column: "Email" });
        Assert.Contains(entries, e => e is { ObjectName: "Lead", FieldName: "SSN__c", Action: FieldPlanAction.Excluded });
        // every entry names its profile and database, so piping into Set-CrmFieldMapping binds the same profile
        Assert.All(entries, e => Assert.Equal(("default", ctx.DatabasePath), (e.Profile, e.DatabasePath)));
        var (target, action) = Assert.Single(host.ShouldProcessCalls);
        Assert.Equal($"CrmSync profile 'default' ({ctx.DatabasePath})", target);
        Assert.StartsWith($"Create {entries.Count(e => e.Action == FieldPlanAction.Create)} permanent fields (they can never be deleted)", action);
        Assert.Contains("Lead.Email → person.Email TEXT", action);
        Assert.Null(command.Result);

        var after = ctx.Snapshot();
        Assert.Equal(before.Files, after.Files); // no backup file
        Assert.Equal(before.Bytes, after.Bytes);
        Assert.Equal(tablesBefore, ctx.Tables());
        using var store = ctx.Open();
        Assert.Empty(store.FieldCatalog.List());
        Assert.Empty(store.FieldMappings.List());
        Assert.Equal("{}", store.Profile.Read()!.SettingsJson);
    }

    [Fact]
    public void Confirming_creates_the_capture_triggers_with_the_tables_so_a_change_before_the_first_start_is_captured()
    {
        using var ctx = new SchemaTestContext();
        ctx.SyncFields(SalesforceSchemas.FullOrg());

        using var connection = new SqliteConnection($"Data Source={ctx.DatabasePath};Pooling=False");
        connection.Open();
        using (var triggers = connection.CreateCommand())
        {
            triggers.CommandText = "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'crmsync_capture_person_%' ORDER BY name);";
            Assert.Equal("crmsync_capture_person_delete,crmsync_capture_person_insert,crmsync_capture_person_update", triggers.ExecuteScalar());
        }
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO person (FirstName, LastName, Email) VALUES ('Before', 'Start', 'before.start@example.com');";
            insert.ExecuteNonQuery();
        }
        using var outbox = connection.CreateCommand();
        outbox.CommandText = "SELECT count(*) FROM crmsync_outbox WHERE table_name = 'person' AND operation = 'Insert' AND state = 'Pending';";
        Assert.Equal(1L, outbox.ExecuteScalar());
    }

    [Fact]
    public void An_exclude_pattern_that_matches_no_field_warns_and_one_that_matches_does_not()
    {
        using var ctx = new SchemaTestContext();

        var (host, _) = ctx.SyncFields(SalesforceSchemas.FullOrg(), confirm: false, exclude: ["Nope.*", "Lead.*SSN*"]);

        var warning = Assert.Single(host.Warnings, w => w.Contains($"{ShellAction.SyncFields.With(ActionParameter.ExcludeField)} pattern", StringComparison.Ordinal));
        Assert.StartsWith($"The {ShellAction.SyncFields.With(ActionParameter.ExcludeField)} pattern 'Nope.*' matches no field the sync user can see on Lead, ", warning, StringComparison.Ordinal);
        Assert.Contains("check its spelling", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Describing_reports_progress_and_skipped_objects_warn()
    {
        using var ctx = new SchemaTestContext();
        var (host, _) = ctx.SyncFields(SalesforceSchemas.RestrictedOrg(), confirm: false);
        Assert.Contains(host.Progress, p => p.ActivityId == SyncFieldsCommand.ProgressActivityId && p.Status.StartsWith("Lead (1 of ", StringComparison.Ordinal));
        Assert.True(host.Progress[^1].Completed);
        Assert.Contains(host.Warnings, w => w.StartsWith("Opportunity is skipped: the sync user cannot see this object", StringComparison.Ordinal));
        Assert.Contains(host.Warnings, w => w.StartsWith("OpportunityContactRole is skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Confirming_backs_up_then_creates_typed_columns_system_columns_catalog_rows_and_default_mappings()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        var (host, command) = ctx.SyncFields(reader);

        var result = command.Result!;
        var creates = host.OutputOf<FieldPlanEntry>().Where(e => e.Action == FieldPlanAction.Create).ToList();
        Assert.Equal(creates.Count, result.FieldsCatalogued);
        Assert.Equal(10, result.TablesCreated.Count);

        // the backup: next to the database, named by the (fake) clock, a readable copy from before the change
        Assert.Equal(ctx.DatabasePath + ".backup-20261122T100000Z.db", result.BackupPath);
        Assert.True(File.Exists(result.BackupPath));
        using (var backup = new SqliteConnection($"Data Source={result.BackupPath};Mode=ReadOnly;Pooling=False"))
        {
            backup.Open();
            using var count = backup.CreateCommand();
            count.CommandText = "SELECT (SELECT count(*) FROM crmsync_profile), (SELECT count(*) FROM sqlite_schema WHERE name = 'person');";
            using var r = count.ExecuteReader();
            r.Read();
            Assert.Equal((1L, 0L), (r.GetInt64(0), r.GetInt64(1)));
        }

        var person = ctx.TableInfo("person").ToDictionary(c => c.Name, c => c.Type);
        Assert.Equal(["_row_id", "_crm_id", "_crm_is_deleted", "_crm_modstamp", "_crm_created_date", "_synced_at", "_crm_type", "_client_key",
            "_merged_into", "_converted_from_lead_id", "_local_created_at", "_local_updated_at"], ctx.TableInfo("person").Take(12).Select(c => c.Name));
        Assert.Equal("TEXT", person["Email"]);
        Assert.Equal("NUMERIC", person["AnnualRevenue"]);
        Assert.Equal("INTEGER", person["NumberOfEmployees"]);
        Assert.Equal("INTEGER", person["HasOptedOutOfEmail"]);
        Assert.Equal("REAL", person["Internal_Score__c"]);
        Assert.Equal("TEXT", person["Birthdate"]);
        Assert.Equal("INTEGER", person["Contact_Priority__c"]);
        Assert.Equal("TEXT", person["Priority__c"]);
        Assert.False(person.ContainsKey("Address"));
        Assert.Single(ctx.TableInfo("person"), c => c.Name == "Email");

        Assert.Contains(("_client_key", "TEXT"), ctx.TableInfo("campaign_member"));
        Assert.DoesNotContain(ctx.TableInfo("account"), c => c.Name is "_client_key" or "_crm_type");
        Assert.Contains(("Invoice_Total__c", "NUMERIC"), ctx.TableInfo("Invoice__c"));
        Assert.Contains(("Probability", "REAL"), ctx.TableInfo("opportunity"));
        Assert.Contains(("Username", "TEXT"), ctx.TableInfo("user"));

        using var store = ctx.Open();
        var catalog = store.FieldCatalog.List();
        Assert.Equal(creates.Count, catalog.Count);
        var email = store.FieldCatalog.Find("Contact", "Email")!;
        Assert.Equal(("person", "Email", "email", SqliteColumnType.Text), (email.TableName, email.ColumnName, email.CrmType, email.SqliteType));
        Assert.True(store.FieldCatalog.Find("Lead", "Lead_Age__c")!.IsCalculated);
        Assert.True(store.FieldCatalog.Find("Lead", "CrmSync_Key__c")!.IsExternalId);

        var mappings = store.FieldMappings.List();
        Assert.Equal(creates.Count, mappings.Count);
        var leadEmail = Assert.Single(mappings, m => m is { ObjectName: "Lead", FieldName: "Email" });
        Assert.Equal(new FieldMapping("Lead", "Email", "person", "Email", FieldMappingRule.TwoWay, MappingDirection.TwoWay, true), leadEmail);
        Assert.Equal(new FieldMapping("Account", "Name", "account", "Name", FieldMappingRule.AlwaysCrm, MappingDirection.CrmToLocal, true),
            Assert.Single(mappings, m => m is { ObjectName: "Account", FieldName: "Name" }));
        Assert.Equal(FieldMappingRule.AlwaysCrm, Assert.Single(mappings, m => m is { ObjectName: "Lead", FieldName: "Lead_Age__c" }).Rule);

        // system columns behave: case-sensitive unique CRM ids, the CRM type check, the delete flag default
        using var connection = store.OpenConnection();
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO person (_crm_id, _crm_type, Email) VALUES ('00Q000000000001AAA', 'Lead', 'a@x.example'), ('00q000000000001aaa', 'Contact', NULL);";
            Assert.Equal(2, insert.ExecuteNonQuery());
            insert.CommandText = "SELECT count(*) FROM person WHERE _crm_is_deleted = 0;";
            Assert.Equal(2L, insert.ExecuteScalar());
        }
        using (var duplicate = connection.CreateCommand())
        {
            duplicate.CommandText = "INSERT INTO person (_crm_id) VALUES ('00Q000000000001AAA');";
            Assert.Throws<SqliteException>(() => duplicate.ExecuteNonQuery());
            duplicate.CommandText = "INSERT INTO person (_crm_type) VALUES ('Account');";
            Assert.Throws<SqliteException>(() => duplicate.ExecuteNonQuery());
        }
        using (var indexes = connection.CreateCommand())
        {
            indexes.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'person' AND sql IS NOT NULL ORDER BY name;";
            using var r = indexes.ExecuteReader();
            var names = new List<string>();
            while (r.Read())
                names.Add(r.GetString(0));
            Assert.Equal(["ix_person_crm_type_id", "ix_person_email_lower", "ux_person_client_key"], names); // the last: unique among the keys that are set
        }
    }

    [Fact]
    public void A_second_run_against_an_unchanged_crm_adds_nothing_and_asks_nothing()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader);
        var before = ctx.Snapshot();
        int catalogCount;
        using (var store = ctx.Open())
            catalogCount = store.FieldCatalog.List().Count;

        var (host, command) = ctx.SyncFields(reader);

        Assert.Empty(host.ShouldProcessCalls);
        Assert.Null(command.Result);
        Assert.All(host.OutputOf<FieldPlanEntry>(), e => Assert.False(e.ChangesDatabase));
        Assert.DoesNotContain(host.OutputOf<FieldPlanEntry>(), e => e.Action == FieldPlanAction.Create);
        var after = ctx.Snapshot();
        Assert.Equal(before.Files, after.Files);
        Assert.Equal(before.Bytes, after.Bytes);
        using (var store = ctx.Open())
            Assert.Equal(catalogCount, store.FieldCatalog.List().Count);
    }

    [Fact]
    public void A_field_removed_from_the_crm_is_orphaned_and_its_column_kept_and_comes_back_in_the_same_column()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader);
        reader.ReplaceField("Lead", "Internal_Score__c", null);

        var (host, command) = ctx.SyncFields(reader);
        Assert.Contains(host.Warnings, w => w.StartsWith("Lead.Internal_Score__c is gone from the CRM", StringComparison.Ordinal));
        Assert.Contains("Mark 1 field orphaned", Assert.Single(host.ShouldProcessCalls).Action);
        Assert.Equal(1, command.Result!.FieldsOrphaned);
        Assert.Null(command.Result.BackupPath); // nothing created, no backup needed
        Assert.Contains(("Internal_Score__c", "REAL"), ctx.TableInfo("person"));
        using (var store = ctx.Open())
        {
            var entry = store.FieldCatalog.Find("Lead", "Internal_Score__c")!;
            Assert.True(entry.IsOrphaned);
            Assert.Equal(ctx.Time.GetUtcNow() - TimeSpan.FromMinutes(1), entry.OrphanedAt);
            Assert.DoesNotContain(new FieldMappingService(store).ListSynced("Lead"), m => m.FieldName == "Internal_Score__c");
        }

        // already orphaned: reported, nothing to change
        var (again, _) = ctx.SyncFields(reader);
        Assert.Empty(again.ShouldProcessCalls);
        Assert.Contains(again.OutputOf<FieldPlanEntry>(), e => e is { FieldName: "Internal_Score__c", Action: FieldPlanAction.Orphaned, ChangesDatabase: false });

        reader.ReplaceField("Lead", "Internal_Score__c", SalesforceSchemas.F("Internal_Score__c", CrmFieldType.Double, "double", "Internal Score"));
        var (back, result) = ctx.SyncFields(reader);
        Assert.Contains(back.OutputOf<FieldPlanEntry>(), e => e is { FieldName: "Internal_Score__c", Action: FieldPlanAction.Restored, Column: "Internal_Score__c" });
        Assert.Equal(1, result.Result!.FieldsRestored);
        using (var store = ctx.Open())
        {
            Assert.False(store.FieldCatalog.Find("Lead", "Internal_Score__c")!.IsOrphaned);
            Assert.Contains(new FieldMappingService(store).ListSynced("Lead"), m => m.FieldName == "Internal_Score__c");
        }
    }

    [Fact]
    public void Fields_of_an_object_that_is_no_longer_visible_are_orphaned_with_one_warning_per_object()
    {
        using var ctx = new SchemaTestContext();
        ctx.SyncFields(SalesforceSchemas.FullOrg());
        var (host, command) = ctx.SyncFields(SalesforceSchemas.RestrictedOrg());
        var opportunityFields = SalesforceSchemas.Opportunity().Fields.Count;
        Assert.Single(host.Warnings, w => w.StartsWith($"{opportunityFields} fields of Opportunity will be orphaned", StringComparison.Ordinal));
        Assert.Single(host.Warnings, w => w.StartsWith("Lead.SSN__c is gone from the CRM", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Warnings, w => w.StartsWith("Opportunity.", StringComparison.Ordinal));
        Assert.True(command.Result!.FieldsOrphaned > opportunityFields);
        Assert.Contains(("Amount", "NUMERIC"), ctx.TableInfo("opportunity"));
        using var store = ctx.Open();
        Assert.True(store.FieldCatalog.Find("Opportunity", "Amount")!.IsOrphaned);
    }

    [Fact]
    public void A_type_change_keeps_the_old_column_and_is_reported()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader);
        reader.ReplaceField("Lead", "NumberOfEmployees", SalesforceSchemas.F("NumberOfEmployees", CrmFieldType.String, "string", "Employees"));

        var (host, command) = ctx.SyncFields(reader);
        Assert.Contains(host.Warnings, w => w.StartsWith("Lead.NumberOfEmployees changed type: created as int (INTEGER); the CRM now says string", StringComparison.Ordinal));
        Assert.Contains("Record 1 type change (old columns kept): Lead.NumberOfEmployees int → string", Assert.Single(host.ShouldProcessCalls).Action);
        Assert.Equal(1, command.Result!.TypeChangesRecorded);
        Assert.Contains(("NumberOfEmployees", "INTEGER"), ctx.TableInfo("person"));
        using (var store = ctx.Open())
        {
            var entry = store.FieldCatalog.Find("Lead", "NumberOfEmployees")!;
            Assert.Equal(("int", "string"), (entry.CrmType, entry.ReplacedType));
        }
        var (again, _) = ctx.SyncFields(reader);
        Assert.Empty(again.ShouldProcessCalls);
        Assert.Contains(again.OutputOf<FieldPlanEntry>(), e => e is { FieldName: "NumberOfEmployees", ObjectName: "Lead", Action: FieldPlanAction.TypeChanged, ChangesDatabase: false });
    }

    [Fact]
    public void Exclusions_are_stored_on_confirm_added_to_and_cleared_with_reset()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader, exclude: ["Lead.*SSN*"]);
        using (var store = ctx.Open())
        {
            Assert.Null(store.FieldCatalog.Find("Lead", "SSN__c"));
            Assert.Equal("""{"excludeFields":["Lead.*SSN*"]}""", store.Profile.Read()!.SettingsJson);
        }

        // a later run without -ExcludeField does not create the excluded field
        var (plain, _) = ctx.SyncFields(reader);
        Assert.Contains(plain.OutputOf<FieldPlanEntry>(), e => e is { FieldName: "SSN__c", Action: FieldPlanAction.Excluded });
        Assert.Empty(plain.ShouldProcessCalls);

        // new patterns add to the stored ones; an already created field is never removed by a pattern
        var (more, _) = ctx.SyncFields(reader, exclude: ["*.Internal_*"]);
        var late = Assert.Single(more.OutputOf<FieldPlanEntry>(), e => e is { ObjectName: "Lead", FieldName: "Internal_Score__c" });
        Assert.Equal(FieldPlanAction.Exists, late.Action);
        Assert.Contains($"matches {ShellParameter.For(ActionParameter.ExcludeField)} '*.Internal_*' but was created before", late.Note);
        Assert.Equal("Store the exclusion patterns 'Lead.*SSN*', '*.Internal_*'.", Assert.Single(more.ShouldProcessCalls).Action);
        using (var store = ctx.Open())
            Assert.Equal("""{"excludeFields":["Lead.*SSN*","*.Internal_*"]}""", store.Profile.Read()!.SettingsJson);

        // -ResetExclusions replaces them (here: clears them), and the field gets created
        var (reset, command) = ctx.SyncFields(reader, reset: true);
        Assert.Contains(reset.OutputOf<FieldPlanEntry>(), e => e is { FieldName: "SSN__c", Action: FieldPlanAction.Create });
        Assert.Contains("; clear the stored exclusion patterns", Assert.Single(reset.ShouldProcessCalls).Action);
        Assert.True(command.Result!.ExclusionsStored);
        using (var store = ctx.Open())
        {
            Assert.Equal("{}", store.Profile.Read()!.SettingsJson);
            Assert.NotNull(store.FieldCatalog.Find("Lead", "SSN__c"));
        }
    }

    [Fact]
    public void Stored_settings_of_others_are_kept_when_exclusions_are_stored()
    {
        using var ctx = new SchemaTestContext();
        using (var store = ctx.Open())
            store.Profile.Save(store.Profile.Read()! with { SettingsJson = """{"smtp":{"host":"mail.example"}}""" });
        ctx.SyncFields(SalesforceSchemas.FullOrg(), exclude: ["Lead.SSN__c"]);
        using var check = ctx.Open();
        Assert.Equal("""{"smtp":{"host":"mail.example"},"excludeFields":["Lead.SSN__c"]}""", check.Profile.Read()!.SettingsJson);
    }

    [Fact]
    public void Refused_and_invalid_patterns_fail_before_anything_changes()
    {
        using var ctx = new SchemaTestContext();
        var before = ctx.Snapshot();
        var refused = Assert.Throws<CrmSyncException>(() => ctx.SyncFields(SalesforceSchemas.FullOrg(), exclude: ["*.SystemModstamp"]));
        Assert.Equal(ErrorIds.FieldExclusionRefused, refused.ErrorId);
        var invalid = Assert.Throws<CrmSyncException>(() => ctx.SyncFields(SalesforceSchemas.FullOrg(), exclude: ["Lead..Email"]));
        Assert.Equal(ErrorIds.InvalidArgument, invalid.ErrorId);
        var after = ctx.Snapshot();
        Assert.Equal(before.Bytes, after.Bytes);
        Assert.Equal(before.Files, after.Files);
    }

    [Fact]
    public void Fields_kept_despite_a_wildcard_exclusion_are_warned_about()
    {
        using var ctx = new SchemaTestContext();
        var (host, _) = ctx.SyncFields(SalesforceSchemas.FullOrg(), confirm: false, exclude: ["*.Is*"]);
        var warning = Assert.Single(host.Warnings, w => w.StartsWith($"The {ShellAction.SyncFields.With(ActionParameter.ExcludeField)} patterns do not apply to fields the sync itself needs", StringComparison.Ordinal));
        Assert.Contains("Lead.IsDeleted ('*.Is*')", warning);
    }

    [Fact]
    public void An_unknown_profile_fails_with_ProfileNotFound()
    {
        using var ctx = new SchemaTestContext();
        var command = new SyncFieldsCommand(ctx.Profiles, new SyncFieldsOptions { Profile = "nope" }, SalesforceSchemas.FullOrg());
        var e = Assert.Throws<CrmSyncException>(() => command.Run(new FakeCommandHost()));
        Assert.Equal(ErrorIds.ProfileNotFound, e.ErrorId);
    }

    [Fact]
    public void A_database_changed_between_plan_and_apply_is_not_touched()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        var plan = ctx.Plan(reader);
        ctx.SyncFields(reader); // another run applies meanwhile
        using var store = ctx.Open();
        var count = store.FieldCatalog.List().Count;
        var e = Assert.Throws<CrmSyncException>(() => new FieldSyncApplier(store, SyncedObjectCatalog.Salesforce).Apply(plan));
        Assert.Equal(ErrorIds.FieldPlanStale, e.ErrorId);
        Assert.Equal(count, store.FieldCatalog.List().Count);
    }

    [Fact]
    public void New_fields_found_after_the_mappings_are_locked_still_get_their_default_mapping()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader);
        using (var store = ctx.Open())
            new FieldMappingService(store).LockMappings();
        reader.ReplaceField("Contact", "Twitter__c", SalesforceSchemas.F("Twitter__c", CrmFieldType.String, "string", "Twitter"));

        var (host, command) = ctx.SyncFields(reader);
        Assert.Equal(1, command.Result!.FieldsCatalogued);
        Assert.Equal(1, command.Result.MappingsAdded);
        Assert.NotNull(command.Result.BackupPath);
        Assert.Contains(("Twitter__c", "TEXT"), ctx.TableInfo("person"));
        using var check = ctx.Open();
        var mapping = Assert.Single(new FieldMappingService(check).List(["Contact"], ["Twitter__c"]));
        Assert.Equal((FieldMappingRule.TwoWay, true), (mapping.Rule, mapping.Enabled));
    }

    [Fact]
    public void The_handler_runs_through_the_host_pump_with_a_connection_factory()
    {
        using var ctx = new SchemaTestContext();
        ProfileInfo? seen = null;
        var command = new SyncFieldsCommand(ctx.Profiles, new SyncFieldsOptions(), (profile, _) =>
        {
            seen = profile;
            return Task.FromResult<ICrmSchemaReader>(SalesforceSchemas.FullOrg());
        });
        var host = new FakeCommandHost(answer: true);
        CommandHostPump.Run(host, command, CancellationToken.None);
        Assert.Equal("sync@acme.example", seen!.UserName);
        Assert.NotNull(command.Result);
        Assert.Contains("person", ctx.Tables());
    }
}
