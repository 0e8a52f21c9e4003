using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Schema;

/// <summary>-Field: the include-only field selection ("Select fields to sync"), remembered in the profile.</summary>
public sealed class FieldSelectionTests
{
    private static readonly string[] LeadCritical = ["ConvertedContactId", "CrmSync_Key__c", "Id", "IsConverted", "IsDeleted", "MasterRecordId", "SystemModstamp"];

    private static FieldPlanEntry Entry(FieldSyncPlan plan, string objectName, string fieldName) =>
        Assert.Single(plan.Entries, e => e.ObjectName == objectName && e.FieldName == fieldName);

    [Fact]
    public void Only_selected_fields_are_created_case_insensitively()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), field: ["lead.*", "*.email"]);

        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Lead", "SSN__c").Action);
        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Lead", "Company").Action);
        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Contact", "Email").Action);
        var website = Entry(plan, "Account", "Website");
        Assert.Equal(FieldPlanAction.Excluded, website.Action);
        Assert.Null(website.Column);
        Assert.Contains("'lead.*', '*.email'", website.Note);
        Assert.Contains(ShellAction.SyncFields.Parameter(ActionParameter.Field).ToString(), website.Note);
        Assert.True(plan.StoresSelection);
        Assert.Equal(["lead.*", "*.email"], plan.Selection.PatternTexts);
        Assert.Contains("remember the field selection 'lead.*', '*.email'", plan.Summarize());
    }

    [Fact]
    public void Exclusions_apply_on_top_of_the_selection()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), exclude: ["Lead.*SSN*"], field: ["Lead.*"]);

        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Lead", "SSN__c").Action);
        Assert.Contains("Lead.*SSN*", Entry(plan, "Lead", "SSN__c").Note);
        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Lead", "Email").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Contact", "Email").Action);
    }

    [Fact]
    public void The_fields_the_sync_needs_are_always_created()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), field: ["Lead.Email"]);

        Assert.Equal(LeadCritical.Append("Email").Order(StringComparer.Ordinal),
            plan.Entries.Where(e => e.ObjectName == "Lead" && e.Action == FieldPlanAction.Create).Select(e => e.FieldName).Order(StringComparer.Ordinal));
        var id = Entry(plan, "Contact", "Id");
        Assert.Equal(FieldPlanAction.Create, id.Action);
        Assert.Contains("but is kept: the sync needs it", id.Note);
        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Account", "IsDeleted").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Account", "Website").Action);
    }

    [Fact]
    public async Task The_selection_is_remembered_extended_and_applied_by_a_plain_run_and_created_fields_stay()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader, field: ["Lead.Email"]);
        using (var store = ctx.Open())
        {
            Assert.Equal("""{"includeFields":["Lead.Email"]}""", store.Profile.Read()!.SettingsJson);
            Assert.NotNull(store.FieldCatalog.Find("Lead", "Email"));
            Assert.Null(store.FieldCatalog.Find("Lead", "Company"));
        }

        // a new CRM field, planned as the schema refresh plans it (no -Field given): the remembered selection applies
        reader.ReplaceField("Lead", "Region__c", SalesforceSchemas.FullOrg().Objects["Lead"].Fields.First(f => f.Name == "Company") with { Name = "Region__c", Label = "Region" });
        using (var store = ctx.Open())
        {
            var snapshot = await new CrmSchemaDiscovery(reader, SyncedObjectCatalog.Salesforce).DiscoverAsync(null, CancellationToken.None);
            var refresh = new FieldSyncPlanner(SyncedObjectCatalog.Salesforce).Plan(snapshot, FieldSyncState.Read(store), FieldExclusionSet.Empty);
            Assert.Equal(FieldPlanAction.Excluded, Entry(refresh, "Lead", "Region__c").Action);
            Assert.False(refresh.HasChanges);
        }
        var (plain, _) = ctx.SyncFields(reader);
        Assert.Empty(plain.ShouldProcessCalls);

        // a later -Field adds to the selection; the WhatIf text says that created fields are kept
        var (more, command) = ctx.SyncFields(reader, field: ["Lead.Company"]);
        var call = Assert.Single(more.ShouldProcessCalls);
        Assert.Contains("remember the field selection 'Lead.Email', 'Lead.Company'", call.Action);
        Assert.Contains("a field once created is never dropped", SyncFieldsCommand.DescribeInFull(command.Plan!, "target", call.Action));
        using (var store = ctx.Open())
        {
            Assert.Equal("""{"includeFields":["Lead.Email","Lead.Company"]}""", store.Profile.Read()!.SettingsJson);
            Assert.NotNull(store.FieldCatalog.Find("Lead", "Company"));
            Assert.Null(store.FieldCatalog.Find("Lead", "Region__c"));
        }
    }

    [Fact]
    public void A_field_created_before_a_selection_is_kept_with_a_note()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader);
        var plan = ctx.Plan(reader, field: ["Lead.Email"]);
        var company = Entry(plan, "Lead", "Company");
        Assert.Equal(FieldPlanAction.Exists, company.Action);
        Assert.Contains("created before: created fields are permanent", company.Note);
    }

    [Fact]
    public void A_selection_pattern_that_matches_nothing_warns_and_is_kept()
    {
        using var ctx = new SchemaTestContext();
        var (host, _) = ctx.SyncFields(SalesforceSchemas.FullOrg(), field: ["Lead.Email", "Lead.Emial"]);
        var warning = Assert.Single(host.Warnings, w => w.Contains("'Lead.Emial'", StringComparison.Ordinal));
        Assert.Contains(ShellAction.SyncFields.With(ActionParameter.Field).ToString(), warning);
        Assert.DoesNotContain(host.Warnings, w => w.Contains("'Lead.Email'", StringComparison.Ordinal));
        using var store = ctx.Open();
        Assert.Equal("""{"includeFields":["Lead.Email","Lead.Emial"]}""", store.Profile.Read()!.SettingsJson);
    }

    [Fact]
    public void An_invalid_selection_pattern_names_the_field_parameter()
    {
        var e = Assert.Throws<CrmSyncException>(() => FieldExclusionSet.Parse(["Lead.E-mail"], ActionParameter.Field));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        Assert.Contains(ShellAction.SyncFields.With(ActionParameter.Field).ToString(), e.Message);
    }

    [Fact]
    public void The_profiles_own_sync_filter_field_is_kept_by_a_selection()
    {
        using var ctx = new SchemaTestContext();
        using (var store = ctx.Open())
            store.Profile.Save(store.Profile.Read()! with { SyncFilterField = "Internal_Score__c" });
        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), field: ["Lead.Email"]);

        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Lead", "Internal_Score__c").Action);
        Assert.Contains("the sync needs it", Entry(plan, "Lead", "Internal_Score__c").Note);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Lead", "Company").Action);
    }

    [Fact]
    public void The_profiles_own_sync_filter_field_is_kept_from_a_wildcard_exclusion_and_refused_by_name()
    {
        using var ctx = new SchemaTestContext();
        using (var store = ctx.Open())
            store.Profile.Save(store.Profile.Read()! with { SyncFilterField = "Internal_Score__c" });

        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), exclude: ["Lead.Internal_*"]);
        var filter = Entry(plan, "Lead", "Internal_Score__c");
        Assert.Equal(FieldPlanAction.Create, filter.Action);
        Assert.Contains("but is kept: the sync needs it", filter.Note);
        Assert.Contains("Lead.Internal_Score__c ('Lead.Internal_*')", plan.ProtectedFromExclusion);

        var e = Assert.Throws<CrmSyncException>(() => ctx.Plan(SalesforceSchemas.FullOrg(), exclude: ["Lead.Internal_Score__c"]));
        Assert.Equal(ErrorIds.FieldExclusionRefused, e.ErrorId);
        Assert.Contains("the sync filter field Internal_Score__c", e.Message);
    }

    [Fact]
    public void Reset_field_selection_narrows_the_remembered_selection_and_created_fields_keep_syncing()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader, field: ["Lead.Email", "Lead.Comp*"]);
        reader.ReplaceField("Lead", "Compliance__c", SalesforceSchemas.FullOrg().Objects["Lead"].Fields.First(f => f.Name == "Company") with { Name = "Compliance__c", Label = "Compliance" });
        Assert.Equal(FieldPlanAction.Create, Entry(ctx.Plan(reader), "Lead", "Compliance__c").Action); // the old selection would create it

        // declined (as -WhatIf): the plan says what narrowing does, nothing is stored
        var (declined, plan) = ctx.SyncFields(reader, confirm: false, field: ["Lead.Email"], resetSelection: true);
        var call = Assert.Single(declined.ShouldProcessCalls);
        Assert.Contains("emember the field selection 'Lead.Email' (", call.Action);
        Assert.Contains("1 created field outside it keep their columns and keep syncing", call.Action);
        Assert.Contains("Lead.Company", SyncFieldsCommand.DescribeInFull(plan.Plan!, "target", call.Action));
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan.Plan!, "Lead", "Compliance__c").Action);
        var warning = Assert.Single(declined.Warnings, w => w.Contains("outside the new", StringComparison.Ordinal));
        Assert.Contains("Lead.Company", warning);
        Assert.Contains("keep syncing", warning);
        using (var store = ctx.Open())
            Assert.Equal("""{"includeFields":["Lead.Email","Lead.Comp*"]}""", store.Profile.Read()!.SettingsJson);

        ctx.SyncFields(reader, field: ["Lead.Email"], resetSelection: true);
        using (var store = ctx.Open())
        {
            Assert.Equal("""{"includeFields":["Lead.Email"]}""", store.Profile.Read()!.SettingsJson);
            Assert.NotNull(store.FieldCatalog.Find("Lead", "Company")); // created before: permanent, still catalogued and mapped
            Assert.Null(store.FieldCatalog.Find("Lead", "Compliance__c"));
            Assert.Contains(store.FieldMappings.List(), m => m.ObjectName == "Lead" && m.FieldName == "Company");
        }
        var later = ctx.Plan(reader); // as the schema refresh plans: the narrowed selection applies
        Assert.Equal(FieldPlanAction.Excluded, Entry(later, "Lead", "Compliance__c").Action);
        var company = Entry(later, "Lead", "Company");
        Assert.Equal(FieldPlanAction.Exists, company.Action);
        Assert.Contains("created before: created fields are permanent and keep syncing", company.Note);
    }

    [Fact]
    public void Reset_field_selection_without_field_clears_it_and_every_field_is_created_again()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader, field: ["Lead.Email"]);
        Assert.Equal(FieldPlanAction.Excluded, Entry(ctx.Plan(reader), "Account", "Website").Action);

        var (host, command) = ctx.SyncFields(reader, resetSelection: true);

        var call = Assert.Single(host.ShouldProcessCalls);
        Assert.Contains("clear the remembered field selection", call.Action);
        Assert.Contains("Field selection to clear", SyncFieldsCommand.DescribeInFull(command.Plan!, "target", call.Action));
        Assert.Empty(command.Plan!.Selection.Patterns);
        Assert.Equal(FieldPlanAction.Create, Entry(command.Plan, "Account", "Website").Action);
        using var store = ctx.Open();
        Assert.Equal("{}", store.Profile.Read()!.SettingsJson);
        Assert.NotNull(store.FieldCatalog.Find("Account", "Website"));
    }

    [Fact]
    public void Without_reset_a_field_run_still_only_extends_the_selection()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader, field: ["Lead.Email"]);
        var plan = ctx.Plan(reader, field: ["Lead.Company"]);
        Assert.Equal(["Lead.Email", "Lead.Company"], plan.Selection.PatternTexts);
    }

    [Fact]
    public void A_stored_exclusion_naming_a_field_that_later_became_the_sync_filter_field_no_longer_applies_and_does_not_fail_a_refresh()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader, exclude: ["Lead.Internal_Score__c"]);
        using (var store = ctx.Open())
        {
            Assert.Null(store.FieldCatalog.Find("Lead", "Internal_Score__c"));
            store.Profile.Save(store.Profile.Read()! with { SyncFilterField = "Internal_Score__c" }); // connected again with it as the filter
        }

        var refresh = ctx.Plan(reader); // as the schema refresh plans: nothing given, the stored pattern applies
        var filter = Entry(refresh, "Lead", "Internal_Score__c");
        Assert.Equal(FieldPlanAction.Create, filter.Action);
        Assert.Contains("but is kept: the sync needs it", filter.Note);
    }
}
