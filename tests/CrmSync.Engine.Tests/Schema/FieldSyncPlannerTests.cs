using CrmSync.Engine.Shell;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Schema;

public sealed class FieldSyncPlannerTests
{
    private static FieldPlanEntry Entry(FieldSyncPlan plan, string objectName, string fieldName) =>
        Assert.Single(plan.Entries, e => e.ObjectName == objectName && e.FieldName == fieldName);

    [Fact]
    public void A_fresh_database_plans_every_visible_field_of_the_synced_objects_with_typed_columns()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        var plan = ctx.Plan(reader);

        Assert.Equal(
            ["person", "campaign", "campaign_member", "account", "user", "opportunity", "opportunity_contact_role", "task", "event", "Invoice__c"],
            plan.Tables.Select(t => t.Name));
        Assert.All(plan.Tables, t => Assert.False(t.Exists));
        Assert.Equal(["Lead", "Contact"], plan.Tables[0].Objects);
        Assert.DoesNotContain(plan.Entries, e => e.ObjectName is "Solution" or "Scratch__c" or "Settings__mdt" or "AccountShare");
        Assert.DoesNotContain("Scratch__c", reader.Described);
        Assert.Empty(plan.SkippedObjects);

        var expectedCreates = reader.Objects.Values.Sum(o => o.Fields.Count(f => f.NativeType != "address"));
        Assert.Equal(expectedCreates, plan.With(FieldPlanAction.Create).Count);

        void Expect(string obj, string field, string table, string column, SqliteColumnType type)
        {
            var e = Entry(plan, obj, field);
            Assert.Equal(FieldPlanAction.Create, e.Action);
            Assert.Equal((table, column, type), (e.Table, e.Column, e.SqliteType!.Value));
            Assert.True(e.ChangesDatabase);
            Assert.True(e.NeedsDefaultMapping);
        }
        Expect("Lead", "Email", "person", "Email", SqliteColumnType.Text);
        Expect("Lead", "Company", "person", "Company", SqliteColumnType.Text);
        Expect("Lead", "AnnualRevenue", "person", "AnnualRevenue", SqliteColumnType.Numeric);
        Expect("Lead", "NumberOfEmployees", "person", "NumberOfEmployees", SqliteColumnType.Integer);
        Expect("Lead", "HasOptedOutOfEmail", "person", "HasOptedOutOfEmail", SqliteColumnType.Integer);
        Expect("Lead", "Internal_Score__c", "person", "Internal_Score__c", SqliteColumnType.Real);
        Expect("Lead", "CreatedDate", "person", "CreatedDate", SqliteColumnType.Text);
        Expect("Opportunity", "Probability", "opportunity", "Probability", SqliteColumnType.Real);
        Expect("Opportunity", "CloseDate", "opportunity", "CloseDate", SqliteColumnType.Text);
        Expect("Event", "ReminderTime", "event", "ReminderTime", SqliteColumnType.Text);
        Expect("Invoice__c", "Invoice_Total__c", "Invoice__c", "Invoice_Total__c", SqliteColumnType.Numeric);
        Expect("OpportunityContactRole", "Role", "opportunity_contact_role", "Role", SqliteColumnType.Text);
        Expect("User", "Username", "user", "Username", SqliteColumnType.Text);

        var address = Entry(plan, "Lead", "Address");
        Assert.Equal(FieldPlanAction.Unsupported, address.Action);
        Assert.Null(address.Column);
        Assert.False(address.ChangesDatabase);

        Assert.True(plan.CreatesSchema);
        var summary = plan.Summarize();
        Assert.StartsWith($"Create {expectedCreates} permanent fields (they can never be deleted) and 10 tables", summary);
        Assert.Contains("Lead.Id → person.Id TEXT", summary);
        Assert.Contains("backed up first", summary);
    }

    [Fact]
    public void Lead_and_contact_fields_with_the_same_name_and_a_compatible_type_share_one_person_column()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg());

        Assert.Equal("Email", Entry(plan, "Contact", "Email").Column);
        Assert.Contains("shares the person.Email column with Lead.Email", Entry(plan, "Contact", "Email").Note);
        Assert.Equal("Phone", Entry(plan, "Contact", "Phone").Column);
        // picklist on Lead, string on Contact: both text, compatible.
        Assert.Equal("Status", Entry(plan, "Contact", "Status").Column);
        Assert.Equal("Id", Entry(plan, "Contact", "Id").Column);
        // contact-only fields keep their plain name
        Assert.Equal("Birthdate", Entry(plan, "Contact", "Birthdate").Column);
        Assert.Equal("MailingCity", Entry(plan, "Contact", "MailingCity").Column);
        // picklist on Lead, boolean on Contact: the Lead keeps the plain name, the Contact gets Contact_<Name>
        Assert.Equal("Priority__c", Entry(plan, "Lead", "Priority__c").Column);
        var contactPriority = Entry(plan, "Contact", "Priority__c");
        Assert.Equal("Contact_Priority__c", contactPriority.Column);
        Assert.Equal(SqliteColumnType.Integer, contactPriority.SqliteType);
        Assert.True(SqlIdentifier.IsValid(contactPriority.Column));

        var personColumns = plan.Entries.Where(e => e.Table == "person" && e.Column is not null).Select(e => e.Column!).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        var leadCount = plan.Entries.Count(e => e.ObjectName == "Lead" && e.Column is not null);
        Assert.True(personColumns < leadCount + plan.Entries.Count(e => e.ObjectName == "Contact" && e.Column is not null));
    }

    [Fact]
    public void Incompatible_types_never_share_a_column_whichever_object_came_first()
    {
        Assert.True(FieldTypeMapping.AreCompatible(CrmFieldType.String, CrmFieldType.Picklist));
        Assert.True(FieldTypeMapping.AreCompatible(CrmFieldType.Email, CrmFieldType.Email));
        Assert.True(FieldTypeMapping.AreCompatible(CrmFieldType.Integer, CrmFieldType.Long));
        Assert.False(FieldTypeMapping.AreCompatible(CrmFieldType.Boolean, CrmFieldType.String));
        Assert.False(FieldTypeMapping.AreCompatible(CrmFieldType.Date, CrmFieldType.DateTime));
        Assert.False(FieldTypeMapping.AreCompatible(CrmFieldType.Currency, CrmFieldType.Double));
        Assert.False(FieldTypeMapping.AreCompatible(CrmFieldType.Reference, CrmFieldType.String));
        Assert.False(FieldTypeMapping.AreCompatible(CrmFieldType.Other, CrmFieldType.Other));

        // Contact was created first (Lead invisible), Lead appears later with an incompatible Priority__c.
        using var ctx = new SchemaTestContext();
        var contactOnly = SalesforceSchemas.FullOrg();
        contactOnly.Objects.Remove("Lead");
        ctx.SyncFields(contactOnly);
        var plan = ctx.Plan(SalesforceSchemas.FullOrg());
        Assert.Equal("Priority__c", Entry(plan, "Contact", "Priority__c").Column);
        Assert.Equal(FieldPlanAction.Exists, Entry(plan, "Contact", "Priority__c").Action);
        Assert.Equal("Lead_Priority__c", Entry(plan, "Lead", "Priority__c").Column);
        Assert.Equal("Email", Entry(plan, "Lead", "Email").Column);
    }

    [Fact]
    public void Directions_follow_the_object_and_what_the_sync_user_may_write()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg());

        Assert.Equal(MappingDirection.TwoWay, Entry(plan, "Lead", "Email").Direction);
        Assert.Equal(MappingDirection.TwoWay, Entry(plan, "Contact", "LastName").Direction);
        Assert.Equal(MappingDirection.TwoWay, Entry(plan, "Campaign", "Name").Direction);
        Assert.Equal(MappingDirection.TwoWay, Entry(plan, "CampaignMember", "Status").Direction);
        Assert.Equal(MappingDirection.TwoWay, Entry(plan, "CampaignMember", "CampaignId").Direction); // createable, not updateable
        Assert.Equal(MappingDirection.TwoWay, Entry(plan, "Lead", "IsConverted").Direction);
        // read-only and calculated fields of two-way objects
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Lead", "Id").Direction);
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Lead", "Name").Direction);
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Lead", "Lead_Age__c").Direction); // calculated, even though the CRM says updateable
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Campaign", "NumberOfLeads").Direction);
        // one-way objects, even for updateable fields
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Account", "Name").Direction);
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Opportunity", "Amount").Direction);
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Invoice__c", "Paid__c").Direction);
        Assert.Equal(MappingDirection.CrmToLocal, Entry(plan, "Task", "Subject").Direction);
    }

    [Fact]
    public void Exclusion_patterns_match_object_and_field_case_insensitively()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), ["lead.*ssn*", "*.Internal_*", "website"]);

        var ssn = Entry(plan, "Lead", "SSN__c");
        Assert.Equal(FieldPlanAction.Excluded, ssn.Action);
        Assert.Contains("lead.*ssn*", ssn.Note);
        Assert.Null(ssn.Column);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Lead", "Internal_Score__c").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Contact", "Internal_Notes__c").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Account", "Internal_Rating__c").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Account", "Website").Action); // no dot: every object
        Assert.Equal(FieldPlanAction.Create, Entry(plan, "Lead", "Email").Action);
        Assert.True(plan.StoresExclusions);
        Assert.Equal(["lead.*ssn*", "*.Internal_*", "website"], plan.Exclusions.PatternTexts);
    }

    [Theory]
    [InlineData("Lead.Email.Extra")]
    [InlineData("Lead.E-mail")]
    [InlineData("Lead.")]
    [InlineData(".Email")]
    [InlineData("Lead Email")]
    [InlineData("")]
    [InlineData("Lead.[ab]*")]
    public void Invalid_exclusion_patterns_fail_with_InvalidArgument(string pattern)
    {
        var e = Assert.Throws<CrmSyncException>(() => FieldExclusionSet.Parse([pattern]));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        Assert.Contains(ShellAction.SyncFields.With(ActionParameter.ExcludeField).ToString(), e.Message);
    }

    [Theory]
    [InlineData("Lead.Id")]
    [InlineData("*.SystemModstamp")]
    [InlineData("IsDeleted")]
    [InlineData("Contact.CrmSync_Key__c")]
    [InlineData("Lead.ConvertedContactId")]
    [InlineData("Le?d.IsConverted")]
    [InlineData("*.MasterRecordId")]
    public void Excluding_a_field_the_sync_needs_is_refused(string pattern)
    {
        using var ctx = new SchemaTestContext();
        var e = Assert.Throws<CrmSyncException>(() => ctx.Plan(SalesforceSchemas.FullOrg(), [pattern]));
        Assert.Equal(ErrorIds.FieldExclusionRefused, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(pattern, e.Message);
    }

    [Fact]
    public void Wildcard_patterns_never_exclude_the_fields_the_sync_needs()
    {
        using var ctx = new SchemaTestContext();
        var plan = ctx.Plan(SalesforceSchemas.FullOrg(), ["Lead.*__c", "*.Is*"]);

        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Lead", "SSN__c").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Lead", "Priority__c").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "Campaign", "IsActive").Action);
        Assert.Equal(FieldPlanAction.Excluded, Entry(plan, "OpportunityContactRole", "IsPrimary").Action);
        foreach (var (obj, field) in new[] { ("Lead", "CrmSync_Key__c"), ("Lead", "IsDeleted"), ("Lead", "IsConverted"), ("Contact", "IsDeleted"), ("Account", "IsDeleted") })
        {
            var kept = Entry(plan, obj, field);
            Assert.Equal(FieldPlanAction.Create, kept.Action);
            Assert.Contains("but is kept: the sync needs it", kept.Note);
        }
        Assert.Contains("Lead.CrmSync_Key__c ('Lead.*__c')", plan.ProtectedFromExclusion);
        Assert.Contains("Account.IsDeleted ('*.Is*')", plan.ProtectedFromExclusion);
        Assert.DoesNotContain(plan.ProtectedFromExclusion, p => p.StartsWith("Contact.CrmSync_Key__c", StringComparison.Ordinal));

        using var all = new SchemaTestContext();
        var everything = all.Plan(SalesforceSchemas.FullOrg(), ["Lead.*"]);
        Assert.Equal(["ConvertedContactId", "CrmSync_Key__c", "Id", "IsConverted", "IsDeleted", "MasterRecordId", "SystemModstamp"],
            everything.Entries.Where(e => e.ObjectName == "Lead" && e.Action == FieldPlanAction.Create).Select(e => e.FieldName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_restricted_sync_user_gets_a_smaller_plan_and_skipped_objects_are_reported()
    {
        using var ctx = new SchemaTestContext();
        var full = ctx.Plan(SalesforceSchemas.FullOrg());
        var restricted = ctx.Plan(SalesforceSchemas.RestrictedOrg());

        Assert.True(restricted.With(FieldPlanAction.Create).Count < full.With(FieldPlanAction.Create).Count);
        Assert.DoesNotContain(restricted.Entries, e => e.FieldName is "SSN__c" or "AnnualRevenue" && e.ObjectName == "Lead");
        Assert.DoesNotContain(restricted.Entries, e => e.ObjectName == "Opportunity");
        Assert.Equal(["Opportunity", "OpportunityContactRole"], restricted.SkippedObjects.Select(s => s.ObjectName));
        Assert.All(restricted.SkippedObjects, s => Assert.Contains("cannot see", s.Reason));
        var restrictedFields = restricted.With(FieldPlanAction.Create).Select(e => (e.ObjectName, e.FieldName)).ToHashSet();
        Assert.Subset(full.With(FieldPlanAction.Create).Select(e => (e.ObjectName, e.FieldName)).ToHashSet(), restrictedFields);
    }

    [Fact]
    public void Without_lead_and_contact_the_run_fails_clearly_but_one_of_them_is_enough()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        reader.Objects.Remove("Lead");
        reader.DescribeFails.Add("Contact");
        var e = Assert.Throws<CrmSyncException>(() => ctx.Plan(reader));
        Assert.Equal(ErrorIds.CrmObjectNotFound, e.ErrorId);
        Assert.Contains("neither Lead nor Contact", e.Message);

        reader.DescribeFails.Clear();
        var plan = ctx.Plan(reader);
        Assert.Equal("Lead", Assert.Single(plan.SkippedObjects).ObjectName);
        Assert.Equal("Email", Entry(plan, "Contact", "Email").Column);
    }

    [Fact]
    public void Catalogued_fields_exist_vanished_ones_are_orphaned_changed_types_reported_and_renames_linked()
    {
        using var ctx = new SchemaTestContext();
        var reader = SalesforceSchemas.FullOrg();
        ctx.SyncFields(reader);

        reader.ReplaceField("Lead", "Internal_Score__c", null);
        reader.ReplaceField("Lead", "NumberOfEmployees", SalesforceSchemas.F("NumberOfEmployees", CrmFieldType.Double, "double", "Employees"));
        reader.ReplaceField("Account", "Internal_Rating__c", null);
        reader.ReplaceField("Account", "Internal_Rating_v2__c", SalesforceSchemas.F("Internal_Rating_v2__c", CrmFieldType.Picklist, "picklist", "Internal Rating"));
        var plan = ctx.Plan(reader);

        Assert.Equal(FieldPlanAction.Exists, Entry(plan, "Lead", "Email").Action);
        Assert.False(Entry(plan, "Lead", "Email").ChangesDatabase);

        var gone = Entry(plan, "Lead", "Internal_Score__c");
        Assert.Equal(FieldPlanAction.Orphaned, gone.Action);
        Assert.Equal("Internal_Score__c", gone.Column);
        Assert.True(gone.ChangesDatabase);
        Assert.Contains("no longer visible", gone.Note);

        var changed = Entry(plan, "Lead", "NumberOfEmployees");
        Assert.Equal(FieldPlanAction.TypeChanged, changed.Action);
        Assert.Equal("int", changed.CreatedAsType);
        Assert.Equal("double", changed.NativeType);
        Assert.Equal(SqliteColumnType.Integer, changed.SqliteType); // the old column is kept
        Assert.Contains("values that no longer fit", changed.Note);

        var oldRating = Entry(plan, "Account", "Internal_Rating__c");
        var newRating = Entry(plan, "Account", "Internal_Rating_v2__c");
        Assert.Equal(FieldPlanAction.Orphaned, oldRating.Action);
        Assert.Equal(FieldPlanAction.Create, newRating.Action);
        Assert.Contains("renamed? Internal_Rating__c vanished and Internal_Rating_v2__c appeared", oldRating.Note);
        Assert.Contains("renamed from Internal_Rating__c", newRating.Note);
        Assert.Equal("Internal_Rating_v2__c", newRating.Column);
    }

    [Fact]
    public void Objects_no_longer_visible_orphan_their_fields()
    {
        using var ctx = new SchemaTestContext();
        ctx.SyncFields(SalesforceSchemas.FullOrg());
        var plan = ctx.Plan(SalesforceSchemas.RestrictedOrg());
        var amount = Entry(plan, "Opportunity", "Amount");
        Assert.Equal(FieldPlanAction.Orphaned, amount.Action);
        Assert.Contains("was skipped", amount.Note);
        Assert.Equal(FieldPlanAction.Orphaned, Entry(plan, "Lead", "SSN__c").Action);
        Assert.DoesNotContain(plan.Entries, e => e.Action == FieldPlanAction.Create);
    }
}
