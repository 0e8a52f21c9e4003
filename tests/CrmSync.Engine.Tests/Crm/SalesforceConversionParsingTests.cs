using System.Text;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;
using CrmSync.Engine.Tests.Sync;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>The Salesforce adapter turns IsConverted + ConvertedContactId into the neutral <see cref="CrmRecord.ConvertedIntoId"/>.</summary>
public sealed class SalesforceConversionParsingTests
{
    private static CrmObjectSchema Lead() => SyncTestBed.Schema("Lead",
    [
        SyncTestBed.Field("Id", CrmFieldType.Id, "id"), SyncTestBed.Field("IsConverted", CrmFieldType.Boolean, "boolean"),
        SyncTestBed.Field("ConvertedContactId", CrmFieldType.Reference, "reference"), SyncTestBed.Field("SystemModstamp", CrmFieldType.DateTime, "datetime"),
    ]);

    private static CrmRecord Rest(string json) => SalesforceJson.ParseRecord(JsonDocument.Parse(json).RootElement, Lead(), "Lead");

    private static IReadOnlyList<CrmRecord> Bulk(string csv)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv));
        return SalesforceBulkCsv.Read(stream, Lead(), "Lead").ToList();
    }

    [Fact]
    public void A_converted_lead_read_through_rest_names_the_contact_it_became()
    {
        Assert.Equal("003000000000001AAA",
            Rest("""{"Id":"00Q000000000001AAA","IsConverted":true,"ConvertedContactId":"003000000000001AAA","SystemModstamp":"2026-11-02T09:00:00.000+0000"}""").ConvertedIntoId);
        Assert.Null(Rest("""{"Id":"00Q000000000001AAA","IsConverted":false,"ConvertedContactId":null}""").ConvertedIntoId);
        Assert.Null(Rest("""{"Id":"00Q000000000001AAA","IsConverted":true,"ConvertedContactId":""}""").ConvertedIntoId);
        Assert.Null(Rest("""{"Id":"00Q000000000001AAA"}""").ConvertedIntoId);
    }

    [Fact]
    public void A_converted_lead_read_through_bulk_names_the_contact_it_became()
    {
        var records = Bulk("Id,IsConverted,ConvertedContactId\n00Q000000000001AAA,true,003000000000001AAA\n00Q000000000002AAA,false,\n");

        Assert.Equal("003000000000001AAA", records[0].ConvertedIntoId);
        Assert.Null(records[1].ConvertedIntoId);
        Assert.Null(Bulk("Id\n00Q000000000003AAA\n")[0].ConvertedIntoId);
    }
}
