using CrmSync.Engine;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>describeGlobal and describe of every synced object, parsed into the neutral schema, as each user sees it.</summary>
[Collection(SeededEmulatorCollection.Name)]
public sealed class SchemaTests(SeededEmulatorFixture fixture)
{
    public static readonly string[] SyncedObjects =
        ["Lead", "Contact", "Account", "Opportunity", "OpportunityContactRole", "Campaign", "CampaignMember", "User", "Task", "Event", "Invoice__c"];

    private TestEmulator Emulator => fixture.Emulator;

    [Fact]
    public async Task DescribeGlobal_lists_every_synced_object_with_its_flags()
    {
        var test = Emulator.CreateClient();

        var objects = await test.Schema.ListObjectsAsync(CancellationToken.None);

        foreach (var name in SyncedObjects)
            Assert.Contains(objects, o => o.Name == name);
        var invoice = objects.Single(o => o.Name == "Invoice__c");
        Assert.True(invoice.Custom);
        var lead = objects.Single(o => o.Name == "Lead");
        Assert.False(lead.Custom);
        Assert.True(lead.Queryable && lead.Createable && lead.Updateable && lead.Deletable && lead.SupportsChangeTracking);
    }

    [Theory]
    [MemberData(nameof(Objects))]
    public async Task Every_synced_object_describes_with_id_stamp_and_delete_flag(string name)
    {
        var test = Emulator.CreateClient();

        var schema = await test.Schema.DescribeAsync(name, CancellationToken.None);

        Assert.Equal(name, schema.Name);
        Assert.Equal("Id", schema.PrimaryIdField);
        Assert.Equal("SystemModstamp", schema.ModificationStampField);
        Assert.Equal(CrmFieldType.Id, schema.FindField("Id")!.Type);
        Assert.Equal(CrmFieldType.DateTime, schema.FindField("SystemModstamp")!.Type);
        Assert.Equal(name == "User" ? null : "IsDeleted", schema.DeletedFlagField);
        Assert.Equal(name.EndsWith("__c", StringComparison.Ordinal), schema.Custom);
        Assert.All(schema.Fields, f => Assert.False(string.IsNullOrEmpty(f.NativeType)));
        Assert.Equal(schema.Fields.Count, schema.Fields.Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Merges are only possible on Lead, Contact and Account, which carry MasterRecordId.
        Assert.Equal(name is "Lead" or "Contact" or "Account" ? "MasterRecordId" : null, schema.MergedIntoField);
    }

    public static TheoryData<string> Objects()
    {
        var data = new TheoryData<string>();
        foreach (var name in SyncedObjects) data.Add(name);
        return data;
    }

    [Fact]
    public async Task Lead_fields_map_to_the_right_neutral_types_and_flags()
    {
        var test = Emulator.CreateClient();

        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        CrmFieldSchema F(string n) => lead.FindField(n) ?? throw new Xunit.Sdk.XunitException("Lead has no field " + n);
        Assert.Equal(CrmFieldType.Email, F("Email").Type);
        Assert.Equal("email", F("Email").NativeType);
        Assert.Equal(CrmFieldType.Phone, F("Phone").Type);
        Assert.Equal(CrmFieldType.Url, F("Website").Type);
        Assert.Equal(CrmFieldType.TextArea, F("Description").Type);
        Assert.Equal(CrmFieldType.Currency, F("AnnualRevenue").Type);
        Assert.Equal(CrmFieldType.Integer, F("NumberOfEmployees").Type);
        Assert.Equal(CrmFieldType.Double, F("Latitude").Type);
        Assert.Equal(CrmFieldType.Boolean, F("IsConverted").Type);
        Assert.Equal(CrmFieldType.Date, F("ConvertedDate").Type);
        Assert.Equal(CrmFieldType.DateTime, F("CreatedDate").Type);
        Assert.Equal(CrmFieldType.String, F("LastName").Type);
        Assert.Equal(80, F("LastName").Length);
        Assert.False(F("LastName").Nillable);

        var owner = F("OwnerId");
        Assert.Equal(CrmFieldType.Reference, owner.Type);
        Assert.Contains("User", owner.ReferenceTo);
        Assert.Equal(CrmFieldType.Reference, F("ConvertedContactId").Type);
        Assert.Equal(["Contact"], F("ConvertedContactId").ReferenceTo);
        Assert.False(F("ConvertedContactId").Updateable);

        var formula = F("Days_Since_Created__c");
        Assert.True(formula.Calculated);
        Assert.False(formula.Updateable);
        Assert.False(formula.Createable);
        Assert.True(formula.Custom);

        var key = F("CrmSync_Key__c");
        Assert.True(key.ExternalId);
        Assert.True(key.Unique);
        Assert.True(key.Custom);
        Assert.True(key.Createable && key.Updateable);

        var status = F("Status");
        Assert.Equal(CrmFieldType.Picklist, status.Type);
        Assert.Equal(["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"], status.PicklistValues.Select(p => p.Value));
        Assert.All(status.PicklistValues, p => Assert.True(p.Active));
        Assert.Equal("Open - Not Contacted", Assert.Single(status.PicklistValues, p => p.IsDefault).Value);

        Assert.False(F("Id").Updateable);
        Assert.False(F("SystemModstamp").Updateable);
    }

    [Fact]
    public async Task Contact_and_custom_object_fields_are_typed()
    {
        var test = Emulator.CreateClient();

        var contact = await test.Schema.DescribeAsync("Contact", CancellationToken.None);
        var invoice = await test.Schema.DescribeAsync("Invoice__c", CancellationToken.None);

        Assert.Equal(CrmFieldType.Email, contact.FindField("Email")!.Type);
        Assert.Equal(CrmFieldType.Date, contact.FindField("Birthdate")!.Type);
        Assert.True(contact.FindField("CrmSync_Key__c")!.ExternalId);
        Assert.True(contact.FindField("Days_Since_Last_Activity__c")!.Calculated);
        Assert.Equal(["Account"], contact.FindField("AccountId")!.ReferenceTo);
        Assert.True(invoice.Custom);
        Assert.Contains(invoice.Fields, f => f.Custom && f.Name.EndsWith("__c", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_restricted_user_sees_fewer_lead_and_contact_fields()
    {
        var full = Emulator.CreateClient();
        var restricted = Emulator.CreateClient(Emulator.Settings(username: Emulator.Host.Credentials.RestrictedUsername));

        var lead = await full.Schema.DescribeAsync("Lead", CancellationToken.None);
        var restrictedLead = await restricted.Schema.DescribeAsync("Lead", CancellationToken.None);
        var contact = await full.Schema.DescribeAsync("Contact", CancellationToken.None);
        var restrictedContact = await restricted.Schema.DescribeAsync("Contact", CancellationToken.None);

        Assert.Equal(["AnnualRevenue", "MobilePhone"],
            lead.Fields.Select(f => f.Name).Except(restrictedLead.Fields.Select(f => f.Name)).Order(StringComparer.Ordinal));
        Assert.Empty(restrictedLead.Fields.Select(f => f.Name).Except(lead.Fields.Select(f => f.Name)));
        Assert.Equal(["Birthdate", "MobilePhone"],
            contact.Fields.Select(f => f.Name).Except(restrictedContact.Fields.Select(f => f.Name)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_unknown_object_is_CrmObjectNotFound()
    {
        var test = Emulator.CreateClient();

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Schema.DescribeAsync("NoSuchThing__c", CancellationToken.None));

        Assert.Equal(ErrorIds.CrmObjectNotFound, ex.ErrorId);
    }
}
