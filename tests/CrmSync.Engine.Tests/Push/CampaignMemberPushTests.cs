using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Push;

public sealed class CampaignMemberPushTests
{
    private const string Ames = "00Q000000000001AAA";
    private const string Smith = "003000000000001AAA";
    private const string Webinar = "701000000000001AAA";
    private const string AmesAtWebinar = "00v000000000001AAA";

    private static async Task<PushTestBed> CopiedAsync()
    {
        var bed = new PushTestBed(withCampaigns: true);
        bed.Lead(Ames, "Ames", "ames@example.com");
        bed.Contact(Smith, "Smith", "smith@example.com");
        bed.Campaign(Webinar, "Webinar");
        bed.Member(AmesAtWebinar, Webinar, Ames, null, "Sent");
        await bed.SucceededCycleAsync();
        return bed;
    }

    [Fact]
    public async Task A_member_status_change_is_pushed_alone()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE campaign_member SET Status = 'Responded' WHERE _crm_id = '{AmesAtWebinar}';");

        var result = await bed.SucceededCycleAsync();

        Assert.Equal(["Update CampaignMember 1"], bed.Writer.CallLog);
        Assert.Equal(["Status"], Assert.Single(bed.Writer.Sent).Values.Keys.ToList());
        Assert.Equal("Responded", bed.Source.Get("CampaignMember", AmesAtWebinar).Values["Status"]);
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "CampaignMember" && c.Operation == RunOperation.PushUpdates).Updated);
    }

    [Fact]
    public async Task A_new_member_of_a_new_person_waits_for_the_person_and_goes_in_the_same_cycle()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql("INSERT INTO person (LastName, Company, Email) VALUES ('Nova', 'Nova Co', 'nova@example.com');");
        var key = (string)bed.Scalar("SELECT _client_key FROM person WHERE Email = 'nova@example.com'")!;
        bed.ExternalSql($"INSERT INTO campaign_member (CampaignId, LeadId, Status) VALUES ('{Webinar}', '{key}', 'Sent');");

        var result = await bed.SucceededCycleAsync();

        Assert.Equal(["Upsert Lead CrmSync_Key__c 1", "Create CampaignMember 1"], bed.Writer.CallLog);
        var leadId = (string)bed.Scalar("SELECT _crm_id FROM person WHERE Email = 'nova@example.com'")!;
        var member = bed.Writer.Sent[^1].Values;
        Assert.Equal((Webinar, leadId, "Sent"), (member["CampaignId"], member["LeadId"], member["Status"]));
        Assert.False(member.ContainsKey("ContactId"));
        Assert.NotNull(bed.Scalar($"SELECT _crm_id FROM campaign_member WHERE LeadId = '{key}'"));
        Assert.Equal(1, result.Counts.Single(c => c.ObjectName == "CampaignMember" && c.Operation == RunOperation.PushNew).New);
    }

    [Fact]
    public async Task A_member_whose_person_cannot_be_created_waits_in_the_outbox()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql("INSERT INTO person (LastName, Email) VALUES ('Blocked', 'blocked@example.com');");
        var key = (string)bed.Scalar("SELECT _client_key FROM person WHERE Email = 'blocked@example.com'")!;
        bed.ExternalSql($"INSERT INTO campaign_member (CampaignId, LeadId, Status) VALUES ('{Webinar}', '{key}', 'Sent');");
        bed.Writer.Fail = (obj, _) => obj == "Lead" ? new Engine.Crm.CrmWriteError("FIELD_CUSTOM_VALIDATION_EXCEPTION", "No blocked leads", [], false) : null;

        await bed.SucceededCycleAsync();

        Assert.Equal(["Upsert Lead CrmSync_Key__c 1"], bed.Writer.CallLog);
        Assert.Single(bed.Store.Errors.List(), e => e.CrmErrorCode == "FIELD_CUSTOM_VALIDATION_EXCEPTION");
        Assert.Equal(OutboxState.Pending, Assert.Single(bed.Outbox("table_name = 'campaign_member'")).State);
    }

    [Fact]
    public async Task A_local_edit_of_a_create_only_member_field_is_reported_not_pushed()
    {
        using var bed = await CopiedAsync();
        bed.ExternalSql($"UPDATE campaign_member SET CampaignId = '701000000000009AAA' WHERE _crm_id = '{AmesAtWebinar}';");

        await bed.SucceededCycleAsync();

        Assert.Empty(bed.Writer.CallLog);
        var report = Assert.Single(bed.Store.Errors.List(), e => e.ErrorId == ErrorIds.LocalEditNotPushed);
        Assert.Contains("CampaignId", report.Message, StringComparison.Ordinal);
        Assert.Contains("read-only", report.Message, StringComparison.Ordinal);
    }
}
