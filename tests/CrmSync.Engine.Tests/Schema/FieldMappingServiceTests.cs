using CrmSync.Engine.Commands;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Schema;

public sealed class FieldMappingServiceTests
{
    private static SchemaTestContext Synced()
    {
        var ctx = new SchemaTestContext();
        ctx.SyncFields(SalesforceSchemas.FullOrg());
        return ctx;
    }

    [Fact]
    public void The_default_person_mapping_merges_lead_and_contact_fields_into_one_column()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);

        var email = service.List(fieldPatterns: ["Email"]).Where(m => m.TableName == "person").ToList();
        Assert.Equal(["Contact", "Lead"], email.Select(m => m.ObjectName));
        Assert.All(email, m => Assert.Equal(("Email", FieldMappingRule.TwoWay, MappingDirection.TwoWay, true, true), (m.ColumnName, m.Rule, m.Direction, m.Enabled, m.IsPushable)));
        Assert.Equal("Contact_Priority__c", Assert.Single(service.List(["Contact"], ["Priority__c"])).ColumnName);
        var leadName = Assert.Single(service.List(["Lead"], ["Name"]));
        Assert.Equal((FieldMappingRule.AlwaysCrm, MappingDirection.CrmToLocal, false), (leadName.Rule, leadName.Direction, leadName.IsPushable));
        Assert.Equal(service.List(["Lead"]).Count, service.List(["le*"]).Count);
        Assert.All(service.ListSynced("Account"), m => Assert.Equal(MappingDirection.CrmToLocal, m.Direction));
    }

    [Fact]
    public void A_mapping_can_point_at_another_compatible_column_of_its_table()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);

        var moved = service.Set(new FieldMappingChange("Contact", "MailingCity") { Column = "City" });
        Assert.Equal(("person", "City"), (moved.TableName, moved.ColumnName));
        Assert.Equal("City", store.FieldMappings.List("Contact").Single(m => m.FieldName == "MailingCity").ColumnName);
        Assert.Contains(("MailingCity", "TEXT"), ctx.TableInfo("person")); // the column stays

        var incompatible = Assert.Throws<CrmSyncException>(() => service.Set(new FieldMappingChange("Contact", "Birthdate") { Column = "Email" }));
        Assert.Equal(ErrorIds.MappingInvalid, incompatible.ErrorId);
        Assert.Contains("Contact.Birthdate", incompatible.Message);
        Assert.Contains("not compatible", incompatible.Message);

        var unknownColumn = Assert.Throws<CrmSyncException>(() => service.Set(new FieldMappingChange("Contact", "MailingCity") { Column = "Nope__c" }));
        Assert.Equal(ErrorIds.MappingInvalid, unknownColumn.ErrorId);
        var otherTable = Assert.Throws<CrmSyncException>(() => service.Set(new FieldMappingChange("Contact", "MailingCity") { Column = "Industry" }));
        Assert.Equal(ErrorIds.MappingInvalid, otherTable.ErrorId);
        var taken = Assert.Throws<CrmSyncException>(() => service.Set(new FieldMappingChange("Contact", "FirstName") { Column = "LastName" }));
        Assert.Contains("would both sync with column person.LastName", taken.Message);
        var unknownField = Assert.Throws<CrmSyncException>(() => service.Set(new FieldMappingChange("Contact", "Nope__c") { Rule = FieldMappingRule.None }));
        Assert.Equal(ErrorIds.MappingInvalid, unknownField.ErrorId);
        Assert.Contains("Contact.Nope__c is not a created field", unknownField.Message);
    }

    [Fact]
    public void Breaking_a_mapping_stops_the_field_syncing_and_keeps_the_column()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);
        Assert.Contains(service.ListSynced("Lead"), m => m.FieldName == "Phone");

        var broken = service.Set(new FieldMappingChange("Lead", "Phone") { Enabled = false });
        Assert.False(broken.Enabled);
        Assert.False(broken.IsSynced);
        Assert.DoesNotContain(service.ListSynced("Lead"), m => m.FieldName == "Phone");
        Assert.Contains(service.ListSynced("Contact"), m => m.FieldName == "Phone");
        Assert.Contains(("Phone", "TEXT"), ctx.TableInfo("person"));
        Assert.False(Assert.Single(FieldCatalogView.List(store, ["Lead"], ["Phone"])).IsSynced);

        Assert.True(service.Set(new FieldMappingChange("Lead", "Phone") { Enabled = true }).IsSynced);
    }

    [Fact]
    public void Rules_that_push_are_refused_for_one_way_objects_and_read_only_fields()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);

        var preferCrm = service.Set(new FieldMappingChange("Lead", "Company") { Rule = FieldMappingRule.PreferCrmUnlessBlank });
        Assert.Equal((FieldMappingRule.PreferCrmUnlessBlank, MappingDirection.TwoWay), (preferCrm.Rule, preferCrm.Direction));
        Assert.Equal(MappingDirection.CrmToLocal, service.Set(new FieldMappingChange("Lead", "Company") { Rule = FieldMappingRule.AlwaysCrm }).Direction);
        Assert.Equal(MappingDirection.LocalToCrm, service.Set(new FieldMappingChange("Contact", "Phone") { Rule = FieldMappingRule.AlwaysLocal }).Direction);
        var none = service.Set(new FieldMappingChange("Contact", "Birthdate") { Rule = FieldMappingRule.None });
        Assert.Equal((MappingDirection.None, false), (none.Direction, none.IsSynced));
        Assert.Equal(FieldMappingRule.None, service.Set(new FieldMappingChange("Account", "Name") { Rule = FieldMappingRule.None }).Rule);

        foreach (var (obj, field, rule) in new[]
                 {
                     ("Account", "Name", FieldMappingRule.TwoWay), ("Opportunity", "Amount", FieldMappingRule.AlwaysLocal),
                     ("Invoice__c", "Paid__c", FieldMappingRule.PreferCrmUnlessBlank), ("Lead", "Name", FieldMappingRule.TwoWay),
                     ("Lead", "Lead_Age__c", FieldMappingRule.AlwaysLocal), ("Campaign", "NumberOfLeads", FieldMappingRule.TwoWay),
                 })
        {
            var e = Assert.Throws<CrmSyncException>(() => service.Set(new FieldMappingChange(obj, field) { Rule = rule }));
            Assert.Equal(ErrorIds.MappingInvalid, e.ErrorId);
            Assert.Contains($"{obj}.{field}", e.Message);
            Assert.Contains("use AlwaysCrm or None", e.Message);
        }
    }

    [Fact]
    public void Export_is_stable_and_import_restores_it()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);

        var exported = service.ExportJson();
        Assert.Equal(exported, service.ExportJson());
        Assert.StartsWith("{\n  \"schemaVersion\": 1,\n  \"profile\": \"default\",\n  \"crm\": \"Salesforce\",\n  \"mappings\": [\n", exported);
        Assert.DoesNotContain("\r", exported);
        Assert.Contains("""
                  "object": "Lead",
                  "field": "Email",
                  "crmType": "email",
                  "table": "person",
                  "column": "Email",
                  "rule": "TwoWay",
                  "enabled": true,
                  "direction": "TwoWay",
            """.ReplaceLineEndings("\n"), exported);
        var path = ctx.Home.Combine("mapping.json");
        service.Export(path);
        Assert.Equal(exported, File.ReadAllText(path));

        service.Set(new FieldMappingChange("Lead", "Phone") { Enabled = false, Rule = FieldMappingRule.AlwaysCrm });
        service.Set(new FieldMappingChange("Contact", "MailingCity") { Column = "City" });
        Assert.NotEqual(exported, service.ExportJson());

        var preview = service.PreviewImport(File.ReadAllText(path));
        Assert.Equal(["Contact.MailingCity", "Lead.Phone"], preview.Select(m => m.ObjectName + "." + m.FieldName));
        Assert.NotEqual(exported, service.ExportJson()); // a preview saves nothing

        var changed = service.Import(FieldMappingService.ReadFile(path));
        Assert.Equal(2, changed.Count);
        Assert.Equal(exported, service.ExportJson());
        Assert.Empty(service.Import(exported));
    }

    [Fact]
    public void An_edited_file_imports_its_changes()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);
        var edited = service.ExportJson().Replace(
            "\"field\": \"LeadSource\",\n      \"crmType\": \"picklist\",\n      \"table\": \"person\",\n      \"column\": \"LeadSource\",\n      \"rule\": \"TwoWay\",\n      \"enabled\": true,\n      \"direction\": \"TwoWay\"",
            "\"field\": \"LeadSource\",\n      \"crmType\": \"picklist\",\n      \"table\": \"person\",\n      \"column\": \"LeadSource\",\n      \"rule\": \"PreferCrmUnlessBlank\",\n      \"enabled\": false,\n      \"direction\": \"TwoWay\"",
            StringComparison.Ordinal);
        var changed = Assert.Single(service.Import(edited));
        Assert.Equal(("Lead", "LeadSource", FieldMappingRule.PreferCrmUnlessBlank, false), (changed.ObjectName, changed.FieldName, changed.Rule, changed.Enabled));
    }

    [Fact]
    public void Import_validates_the_whole_file_and_changes_nothing_when_any_entry_is_wrong()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);
        var before = service.ExportJson();
        const string file = """
            {
              "schemaVersion": 1,
              "profile": "default",
              "mappings": [
                { "object": "Lead", "field": "Phone", "table": "person", "column": "Phone", "rule": "AlwaysCrm", "enabled": false },
                { "object": "Lead", "field": "Nope__c", "table": "person", "column": "Nope__c", "rule": "TwoWay", "enabled": true },
                { "object": "Widget__c", "field": "Name", "table": "Widget__c", "column": "Name", "rule": "AlwaysCrm", "enabled": true },
                { "object": "Contact", "field": "MailingCity", "table": "person", "column": "Missing", "rule": "TwoWay", "enabled": true },
                { "object": "Account", "field": "Name", "table": "account", "column": "Name", "rule": "TwoWay", "enabled": true },
                { "object": "Contact", "field": "Email", "table": "account", "column": "Email", "rule": "TwoWay", "enabled": true },
                { "object": "Lead", "field": "Company", "table": "person", "column": "Company", "rule": "AlwaysCrm", "enabled": true, "direction": "TwoWay" }
              ]
            }
            """;
        var e = Assert.Throws<CrmSyncException>(() => service.Import(file));
        Assert.Equal(ErrorIds.MappingInvalid, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("nothing was imported (6 problems)", e.Message);
        Assert.Contains("entry 2 (Lead.Nope__c): Lead.Nope__c is not a created field", e.Message);
        Assert.Equal("entry 2 (Lead.Nope__c)", e.Target); // the first WRONG entry, not the first entry (Lead.Phone is valid)
        Assert.Contains("entry 3 (Widget__c.Name)", e.Message);
        Assert.Contains("entry 4 (Contact.MailingCity): person has no column 'Missing'", e.Message);
        Assert.Contains("entry 5 (Account.Name): rule TwoWay pushes", e.Message);
        Assert.Contains("entry 6 (Contact.Email): table account is not the field's table person", e.Message);
        Assert.Contains("entry 7 (Lead.Company): direction TwoWay does not follow from rule AlwaysCrm", e.Message);
        Assert.Equal(before, service.ExportJson()); // entry 1 was valid, and still nothing changed

        foreach (var (bad, expected) in new[]
                 {
                     ("not json", "not valid JSON"),
                     ("[]", "must be a JSON object"),
                     ("""{ "schemaVersion": 2, "mappings": [] }""", "schemaVersion"),
                     ("""{ "schemaVersion": 1 }""", "no 'mappings' array"),
                     ("""{ "schemaVersion": 1, "mappings": [ { "object": "Lead", "field": "Phone", "table": "person", "column": "Phone", "rule": "Sometimes", "enabled": "yes" } ] }""",
                      "entry 1 (Lead.Phone): 'rule' must be one of TwoWay, PreferCrmUnlessBlank, AlwaysCrm, AlwaysLocal, None, 'enabled' must be true or false"),
                     ("""{ "schemaVersion": 1, "mappings": [ { "object": "Lead", "field": "Phone", "table": "person", "column": "Phone", "rule": "TwoWay", "enabled": true }, { "object": "lead", "field": "phone", "table": "person", "column": "Phone", "rule": "TwoWay", "enabled": true } ] }""",
                      "entry 2 (lead.phone): listed more than once"),
                 })
        {
            var error = Assert.Throws<CrmSyncException>(() => service.Import(bad));
            Assert.Equal(ErrorIds.MappingInvalid, error.ErrorId);
            Assert.Contains(expected, error.Message);
            if (expected.StartsWith("entry ", StringComparison.Ordinal))
                Assert.Equal(expected[..expected.IndexOf(':')], error.Target);
        }
        Assert.Equal(before, service.ExportJson());
    }

    [Fact]
    public void After_the_lock_or_the_first_start_every_change_fails_with_MappingLocked()
    {
        using var ctx = Synced();
        using var store = ctx.Open();
        var service = new FieldMappingService(store);
        var exported = service.ExportJson();
        Assert.Null(service.LockedAt());

        var lockedAt = service.LockMappings();
        Assert.Equal(ctx.Time.GetUtcNow(), lockedAt);
        Assert.Equal(lockedAt, service.LockMappings()); // the first time wins
        foreach (var attempt in new Action[]
                 {
                     () => service.Set(new FieldMappingChange("Lead", "Phone") { Enabled = false }),
                     () => service.Preview(new FieldMappingChange("Lead", "Phone") { Enabled = false }),
                     () => service.Import(exported),
                 })
        {
            var e = Assert.Throws<CrmSyncException>(attempt);
            Assert.Equal(ErrorIds.MappingLocked, e.ErrorId);
            Assert.Equal(ErrorKind.InvalidOperation, e.Kind);
            Assert.Contains($"only until the first {ShellAction.Start}, just as in Marketo", e.Message);
        }
        Assert.Equal(exported, service.ExportJson()); // export still works

        using var other = Synced();
        using var otherStore = other.Open();
        otherStore.Profile.MarkFirstStarted();
        var started = Assert.Throws<CrmSyncException>(() => new FieldMappingService(otherStore).Set(new FieldMappingChange("Lead", "Phone") { Rule = FieldMappingRule.AlwaysCrm }));
        Assert.Equal(ErrorIds.MappingLocked, started.ErrorId);
    }

    [Fact]
    public void Set_handler_asks_once_and_WhatIf_or_declined_changes_nothing()
    {
        using var ctx = Synced();
        var options = new SetFieldMappingOptions { ObjectName = "Lead", FieldName = "Phone", Disable = true, Rule = FieldMappingRule.AlwaysCrm };
        var declined = new FakeCommandHost(answer: false);
        new SetFieldMappingCommand(ctx.Profiles, options).Run(declined);
        var (target, action) = Assert.Single(declined.ShouldProcessCalls);
        Assert.Equal($"Lead.Phone in CrmSync profile 'default' ({ctx.DatabasePath})", target);
        Assert.Equal("Set the field mapping to Lead.Phone → person.Phone (AlwaysCrm, disabled)", action);
        Assert.Empty(declined.Output);
        using (var store = ctx.Open())
            Assert.True(store.FieldMappings.List("Lead").Single(m => m.FieldName == "Phone").Enabled);

        var confirmed = new FakeCommandHost(answer: true);
        new SetFieldMappingCommand(ctx.Profiles, options).Run(confirmed);
        var mapping = Assert.IsType<CrmFieldMapping>(Assert.Single(confirmed.Output));
        Assert.False(mapping.Enabled);

        foreach (var bad in new[]
                 {
                     new SetFieldMappingOptions { ObjectName = "Lead", FieldName = "Phone" },
                     new SetFieldMappingOptions { ObjectName = "Lead" , Rule = FieldMappingRule.None },
                     new SetFieldMappingOptions { ObjectName = "Lead", FieldName = "Phone", Enable = true, ImportPath = "x.json" },
                 })
        {
            var e = Assert.Throws<CrmSyncException>(() => new SetFieldMappingCommand(ctx.Profiles, bad).Run(new FakeCommandHost()));
            Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        }
    }

    [Fact]
    public void Export_and_import_handlers_round_trip_through_a_file()
    {
        using var ctx = Synced();
        var path = ctx.Home.Combine("mappings.json");
        var whatIf = new FakeCommandHost(answer: false);
        new ExportFieldMappingCommand(ctx.Profiles, new ExportFieldMappingOptions { Path = path }).Run(whatIf);
        Assert.False(File.Exists(path));
        Assert.Equal(path, Assert.Single(whatIf.ShouldProcessCalls).Target);

        new ExportFieldMappingCommand(ctx.Profiles, new ExportFieldMappingOptions { Path = path }).Run(new FakeCommandHost());
        var original = File.ReadAllText(path);
        using (var store = ctx.Open())
            new FieldMappingService(store).Set(new FieldMappingChange("Contact", "Email") { Rule = FieldMappingRule.AlwaysCrm });

        var import = new SetFieldMappingOptions { ImportPath = path };
        var declined = new FakeCommandHost(answer: false);
        new SetFieldMappingCommand(ctx.Profiles, import).Run(declined);
        Assert.Equal($"Import 1 changed field mappings from {path}: Contact.Email → person.Email (TwoWay, enabled)", Assert.Single(declined.ShouldProcessCalls).Action);
        using (var store = ctx.Open())
            Assert.Equal(FieldMappingRule.AlwaysCrm, store.FieldMappings.List("Contact").Single(m => m.FieldName == "Email").Rule);

        var host = new FakeCommandHost();
        new SetFieldMappingCommand(ctx.Profiles, import).Run(host);
        Assert.Equal(FieldMappingRule.TwoWay, Assert.IsType<CrmFieldMapping>(Assert.Single(host.Output)).Rule);
        using (var store = ctx.Open())
            Assert.Equal(original, new FieldMappingService(store).ExportJson());

        var missing = Assert.Throws<CrmSyncException>(() => new SetFieldMappingCommand(ctx.Profiles, new SetFieldMappingOptions { ImportPath = ctx.Home.Combine("missing.json") })
            .Run(new FakeCommandHost()));
        Assert.Equal(ErrorKind.ObjectNotFound, missing.Kind);
    }

    [Fact]
    public void Export_overwrites_like_Export_Csv_refuses_with_no_clobber_and_overwrites_a_read_only_file_only_with_force()
    {
        using var ctx = Synced();
        var path = ctx.Home.Combine("mappings.json");
        File.WriteAllText(path, "old");

        var host = new FakeCommandHost();
        var kept = Assert.Throws<CrmSyncException>(() =>
            new ExportFieldMappingCommand(ctx.Profiles, new ExportFieldMappingOptions { Path = path, NoClobber = true }).Run(host));
        Assert.Equal(ErrorKind.ResourceExists, kept.Kind);
        Assert.Contains("[[param no-clobber of=export-mapping]]", kept.Message);
        Assert.Empty(host.ShouldProcessCalls);
        Assert.Equal("old", File.ReadAllText(path));

        var overwrite = new FakeCommandHost(answer: false);
        new ExportFieldMappingCommand(ctx.Profiles, new ExportFieldMappingOptions { Path = path }).Run(overwrite);
        Assert.StartsWith("Overwrite with ", Assert.Single(overwrite.ShouldProcessCalls).Action);
        Assert.Equal("old", File.ReadAllText(path));

        File.SetAttributes(path, FileAttributes.ReadOnly);
        try
        {
            var readOnly = Assert.Throws<CrmSyncException>(() =>
                new ExportFieldMappingCommand(ctx.Profiles, new ExportFieldMappingOptions { Path = path }).Run(new FakeCommandHost()));
            Assert.Equal(ErrorKind.WriteError, readOnly.Kind);
            Assert.Contains("is read-only", readOnly.Message);
            Assert.Contains("[[param force of=export-mapping]]", readOnly.RecommendedAction);
            Assert.Equal("old", File.ReadAllText(path));

            new ExportFieldMappingCommand(ctx.Profiles, new ExportFieldMappingOptions { Path = path, Force = true }).Run(new FakeCommandHost());
            Assert.False(File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly));
            using var store = ctx.Open();
            Assert.Equal(new FieldMappingService(store).ExportJson(), File.ReadAllText(path));
        }
        finally
        {
            File.SetAttributes(path, FileAttributes.Normal);
        }
    }

    [Fact]
    public void Get_handlers_filter_by_wildcards_and_report_unknown_objects()
    {
        using var ctx = Synced();
        var host = new FakeCommandHost();
        new GetFieldMappingCommand(ctx.Profiles, new GetFieldMappingOptions { Object = ["Lead", "Nope"], Field = ["*mail*"] })
            .Run(host);
        Assert.Equal(["Email", "HasOptedOutOfEmail"], host.OutputOf<CrmFieldMapping>().Select(m => m.FieldName));
        Assert.Equal(ErrorIds.ObjectNotSynced, Assert.Single(host.Errors).ErrorId);
        Assert.Empty(host.ShouldProcessCalls);

        var fields = new FakeCommandHost();
        new GetFieldCommand(ctx.Profiles, new GetFieldOptions { Object = ["Invoice__c"] }).Run(fields);
        var invoice = fields.OutputOf<CrmFieldInfo>().ToList();
        Assert.Equal(["Id", "IsDeleted", "Name", "Invoice_Total__c", "Account__c", "Paid__c", "Due_Date__c", "CreatedDate", "SystemModstamp"], invoice.Select(f => f.FieldName));
        var total = invoice.Single(f => f.FieldName == "Invoice_Total__c");
        Assert.Equal(("Invoice Total", "Invoice__c", "currency", SqliteColumnType.Numeric, true), (total.Label, total.TableName, total.CrmType, total.SqliteType, total.IsSynced));

        var unknown = new FakeCommandHost();
        new GetFieldCommand(ctx.Profiles, new GetFieldOptions { Object = ["Widget__c"], Name = ["Email"] }).Run(unknown);
        Assert.Empty(unknown.Output);
        Assert.Equal([ErrorIds.ObjectNotSynced], unknown.Errors.Select(e => e.ErrorId));

        var missingField = new FakeCommandHost();
        new GetFieldCommand(ctx.Profiles, new GetFieldOptions { Object = ["Lead"], Name = ["Fax"] }).Run(missingField);
        Assert.Equal([ErrorIds.CrmFieldNotFound], missingField.Errors.Select(e => e.ErrorId));

        using var store = ctx.Open();
        Assert.Contains("Invoice__c", FieldCatalogView.ObjectNames(store));
        Assert.Equal(["Account__c", "CreatedDate", "Due_Date__c", "Id", "Invoice_Total__c", "IsDeleted", "Name", "Paid__c", "SystemModstamp"], FieldCatalogView.FieldNames(store, "Invoice__c"));
    }

    [Fact]
    public void Get_field_on_an_empty_catalog_warns_to_run_Sync_CrmField()
    {
        using var ctx = new SchemaTestContext();
        var host = new FakeCommandHost();
        new GetFieldCommand(ctx.Profiles, new GetFieldOptions()).Run(host);
        Assert.Empty(host.Output);
        Assert.Contains($"Run {ShellAction.SyncFields}", Assert.Single(host.Warnings));
    }
}
