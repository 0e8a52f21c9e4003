using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class ConversionMergeTests
{
    private const string V = TestEmulator.V;
    private static readonly XNamespace P = "urn:partner.soap.sforce.com";

    private static async Task<XDocument> Soap(TestEmulator emu, string body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        string session = emu.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        string envelope = $"""<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com"><env:Header><SessionHeader><sessionId>{session}</sessionId></SessionHeader></env:Header><env:Body>{body}</env:Body></env:Envelope>""";
        using var client = new HttpClient { BaseAddress = new Uri(emu.Host.BaseUrl) };
        var response = await client.PostAsync($"/services/Soap/u/59.0/{emu.Host.OrganizationId[..15]}", new StringContent(envelope, Encoding.UTF8, "text/xml"));
        Assert.Equal(expected, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ConvertLead_over_soap_records_the_conversion_like_salesforce()
    {
        await using var emu = await TestEmulator.StartAsync();
        string leadId = await emu.CreateAsync("Lead", new { FirstName = "Ann", LastName = "Lee", Company = "Lee Corp", Email = "ann@lee.example" });
        string campaign = await emu.CreateAsync("Campaign", new { Name = "Webinar" });
        string member = await emu.CreateAsync("CampaignMember", new { CampaignId = campaign, LeadId = leadId });
        emu.Clock.Advance(TimeSpan.FromMinutes(1));
        var doc = await Soap(emu, $"<convertLead><leadConverts><convertedStatus>Closed - Converted</convertedStatus><doNotCreateOpportunity>false</doNotCreateOpportunity><leadId>{leadId}</leadId><opportunityName>Lee deal</opportunityName></leadConverts></convertLead>");
        var result = doc.Descendants(P + "result").Single();
        Assert.Equal("true", result.Element(P + "success")!.Value);
        string accountId = result.Element(P + "accountId")!.Value;
        string contactId = result.Element(P + "contactId")!.Value;
        string opportunityId = result.Element(P + "opportunityId")!.Value;
        Assert.StartsWith("001", accountId);
        Assert.StartsWith("003", contactId);
        Assert.StartsWith("006", opportunityId);

        var lead = (await emu.QueryAsync($"SELECT IsConverted, ConvertedDate, ConvertedAccountId, ConvertedContactId, ConvertedOpportunityId, Status, SystemModstamp FROM Lead WHERE Id = '{leadId}'"))["records"]![0]!;
        Assert.True(lead["IsConverted"]!.GetValue<bool>());
        Assert.Equal("2026-03-02", lead["ConvertedDate"]!.GetValue<string>());
        Assert.Equal(contactId, lead["ConvertedContactId"]!.GetValue<string>());
        Assert.Equal(accountId, lead["ConvertedAccountId"]!.GetValue<string>());
        Assert.Equal(opportunityId, lead["ConvertedOpportunityId"]!.GetValue<string>());
        Assert.Equal("Closed - Converted", lead["Status"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:01:00.000+0000", lead["SystemModstamp"]!.GetValue<string>());
        var contact = emu.Host.Data.Get("Contact", contactId)!;
        Assert.Equal("ann@lee.example", contact["Email"]);
        Assert.Equal(accountId, contact["AccountId"]);
        Assert.Equal("Lee Corp", emu.Host.Data.Get("Account", accountId)!["Name"]);
        Assert.Equal(contactId, emu.Host.Data.Get("CampaignMember", member)!["ContactId"]);

        var (status, body, _) = await emu.SendAsync(HttpMethod.Patch, $"{V}/sobjects/Lead/{leadId}", new { Title = "X" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("CANNOT_UPDATE_CONVERTED_LEAD", body![0]!["errorCode"]!.GetValue<string>());

        var again = await Soap(emu, $"<convertLead><leadConverts><convertedStatus>Closed - Converted</convertedStatus><leadId>{leadId}</leadId></leadConverts></convertLead>");
        Assert.Equal("false", again.Descendants(P + "success").Single().Value);
        Assert.NotEmpty(again.Descendants(P + "errors"));
    }

    [Fact]
    public async Task Soap_calls_without_a_valid_session_fault_with_INVALID_SESSION_ID()
    {
        await using var emu = await TestEmulator.StartAsync();
        emu.Host.ExpireAllSessions();
        var doc = await Soap(emu, "<convertLead><leadConverts><leadId>00Q5g0000000001</leadId></leadConverts></convertLead>", HttpStatusCode.InternalServerError);
        Assert.Equal("sf:INVALID_SESSION_ID", doc.Descendants("faultcode").Single().Value);
    }

    [Fact]
    public async Task Merge_over_soap_deletes_losers_with_MasterRecordId_visible_in_queryAll_and_deleted()
    {
        await using var emu = await TestEmulator.StartAsync();
        string master = await emu.CreateAsync("Contact", new { LastName = "Master", Email = "m@x.example" });
        string loser = await emu.CreateAsync("Contact", new { LastName = "Dupe", Email = "m@x.example" });
        string task = await emu.CreateAsync("Task", new { Subject = "Call", WhoId = loser });
        emu.Clock.Advance(TimeSpan.FromMinutes(1));
        var doc = await Soap(emu, $"<merge><request><masterRecord><sf:type>Contact</sf:type><sf:Id>{master}</sf:Id><sf:Title>Merged</sf:Title></masterRecord><recordToMergeIds>{loser}</recordToMergeIds></request></merge>");
        var result = doc.Descendants(P + "result").Single();
        Assert.Equal("true", result.Element(P + "success")!.Value);
        Assert.Equal(master, result.Element(P + "id")!.Value);
        Assert.Equal(loser, result.Element(P + "mergedRecordIds")!.Value);
        Assert.Equal(task, result.Element(P + "updatedRelatedIds")!.Value);
        Assert.Equal("Merged", emu.Host.Data.Get("Contact", master)!["Title"]);
        Assert.Equal(master, emu.Host.Data.Get("Task", task)!["WhoId"]);

        Assert.Equal(0, (await emu.QueryAsync($"SELECT COUNT() FROM Contact WHERE Id = '{loser}'"))["totalSize"]!.GetValue<int>());
        var merged = (await emu.QueryAsync($"SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE MasterRecordId != null AND IsDeleted = true", all: true))["records"]!.AsArray();
        Assert.Single(merged);
        Assert.Equal(master, merged[0]!["MasterRecordId"]!.GetValue<string>());

        emu.Clock.Advance(TimeSpan.FromMinutes(2));
        var (_, deleted, _) = await emu.GetAsync($"{V}/sobjects/Contact/deleted/?start=2026-03-02T09:00:00%2B00:00&end=2026-03-02T11:00:00%2B00:00");
        Assert.Equal(loser, deleted!["deletedRecords"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:01:00.000+0000", deleted["deletedRecords"]![0]!["deletedDate"]!.GetValue<string>());
    }

    [Fact]
    public async Task In_process_convert_and_merge_work_and_validate()
    {
        await using var emu = await TestEmulator.StartAsync();
        var data = emu.Host.Data;
        string a = data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "A", ["Company"] = "Co" });
        string b = data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "B", ["Company"] = "Co" });
        string c = data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "C", ["Company"] = "Co" });
        var merge = data.Merge("Lead", a, b, c);
        Assert.Equal([b, c], merge.MergedRecordIds);
        Assert.Equal(a, data.Get("Lead", b)!["MasterRecordId"]);
        Assert.Equal(true, data.Get("Lead", c)!["IsDeleted"]);
        var conversion = data.ConvertLead(new LeadConvertRequest { LeadId = a, DoNotCreateOpportunity = true });
        Assert.Null(conversion.OpportunityId);
        Assert.Equal(true, data.Get("Lead", a)!["IsConverted"]);
        Assert.Throws<EmulatorWriteException>(() => data.Merge("Opportunity", a, b));
        var error = Assert.Throws<EmulatorWriteException>(() => data.ConvertLead(new LeadConvertRequest { LeadId = a }));
        Assert.Equal("CANNOT_UPDATE_CONVERTED_LEAD", error.Errors[0].StatusCode);
    }
}
