using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>
/// The neutral facts a CRM adapter may fill besides Salesforce's (issue 13): a record naming the lead it was converted from
/// (<c>ConvertedFromId</c>, Dataverse's originatingleadid), a merge loser the CRM keeps instead of deleting (Dataverse), and
/// a change the CRM says the sync user made (no echo). Driven through the pull with the fake CRM.
/// </summary>
public sealed class ConversionFactsTests
{
    private const string LeadId = "00Q000000000001AAA";
    private const string ContactId = "003000000000009AAA";

    private static Dictionary<string, object?> ContactValues(string lastName, string? email, string? title) => new()
    {
        ["LastName"] = lastName, ["Email"] = email, ["Title"] = title, ["Birthdate"] = new DateOnly(1980, 5, 17),
        ["CreatedDate"] = new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.Zero),
    };

    [Fact]
    public async Task A_contact_naming_its_lead_seen_before_the_lead_collapses_with_the_lead_row_into_one_contact()
    {
        using var bed = new SyncTestBed();
        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme", employees: 50);
        await bed.CycleAsync();
        var leadRowId = bed.Row("person", LeadId)["_row_id"];

        bed.Source.Put("Contact", ContactId, ContactValues("Ames", "ames@corp.example", "CTO"), convertedFrom: LeadId);
        var result = await bed.CycleAsync(); // the lead's conversion is not read yet

        var person = Assert.Single(bed.Rows("person", "_crm_is_deleted = 0"));
        Assert.Equal(leadRowId, person["_row_id"]);
        Assert.Equal(ContactId, person["_crm_id"]);
        Assert.Equal("Contact", person["_crm_type"]);
        Assert.Equal(LeadId, person["_converted_from_lead_id"]);
        Assert.Equal("ames@corp.example", person["Email"]); // the contact's values
        Assert.Equal(50L, person["NumberOfEmployees"]); // the lead's where the contact has none
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Contact" && c.Operation == RunOperation.PullConversions).Updated);

        bed.Lead(LeadId, "Ames", "ames@example.com", company: "Acme", employees: 50, converted: true, contactId: ContactId);
        await bed.CycleAsync(); // then the lead arrives converted: still one person
        Assert.Single(bed.Rows("person", "_crm_is_deleted = 0"));
    }

    [Fact]
    public async Task A_new_contact_naming_a_lead_never_pulled_is_just_linked_to_it()
    {
        using var bed = new SyncTestBed();
        bed.Source.Put("Contact", ContactId, ContactValues("Ames", "ames@corp.example", "CTO"), convertedFrom: LeadId);
        await bed.CycleAsync();
        var person = Assert.Single(bed.Rows("person"));
        Assert.Equal(LeadId, person["_converted_from_lead_id"]);
    }

    [Fact]
    public async Task A_merge_loser_the_crm_keeps_live_is_merged_like_a_deleted_one()
    {
        using var bed = new SyncTestBed();
        const string winner = "003000000000001AAA", loser = "003000000000002AAA";
        bed.Contact(winner, "Smith", "smith@example.com", title: null);
        bed.Contact(loser, "Smith", "old-smith@example.com", title: "CFO");
        await bed.CycleAsync();

        bed.Source.Put("Contact", loser, ContactValues("Smith", "old-smith@example.com", "CFO"), mergedInto: winner); // deactivated, not deleted
        await bed.CycleAsync();

        Assert.Equal("CFO", bed.Row("person", winner)["Title"]);
        var l = bed.Row("person", loser);
        Assert.Equal(1L, l["_crm_is_deleted"]);
        Assert.Equal(winner, l["_merged_into"]);
    }

    [Fact]
    public async Task A_change_the_crm_says_the_sync_user_made_is_not_applied_to_a_pulled_row()
    {
        using var bed = new SyncTestBed();
        bed.Contact(ContactId, "Ames", "ames@example.com", "CTO");
        await bed.CycleAsync();

        bed.Source.Put("Contact", ContactId, ContactValues("Ames", "ames@example.com", "Echo"), bySyncUser: true);
        var result = await bed.CycleAsync();

        Assert.Equal("CTO", bed.Row("person", ContactId)["Title"]);
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "Contact" && c.Operation == RunOperation.PullUpdates).Skipped);

        bed.Source.Put("Contact", "003000000000005AAA", ContactValues("New", "new@example.com", "Made by the sync user"), bySyncUser: true);
        await bed.CycleAsync(); // a record never pulled is always applied
        Assert.Equal("Made by the sync user", bed.Row("person", "003000000000005AAA")["Title"]);
    }
}
