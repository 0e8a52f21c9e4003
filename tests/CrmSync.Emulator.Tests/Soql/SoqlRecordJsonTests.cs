using System.Text;
using System.Text.Json;
using CrmSync.Emulator.Salesforce.Soql;
using static CrmSync.Emulator.Tests.Soql.SoqlTestData;

namespace CrmSync.Emulator.Tests.Soql;

public sealed class SoqlRecordJsonTests
{
    private static string Json(SoqlRecord record)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            record.WriteJson(writer, "59.0");
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void A_record_is_written_as_salesforce_returns_it()
    {
        var owner = new Dictionary<string, object?> { ["Id"] = UserId(1), ["Name"] = "Ann" };
        var lead = Lead(1, ("OwnerId", UserId(1)), ("SystemModstamp", new DateTime(2022, 8, 30, 11, 25, 21, DateTimeKind.Utc)),
            ("ConvertedDate", new DateOnly(2022, 8, 30)), ("NumberOfEmployees", 12), ("AnnualRevenue", 1500.25m), ("IsConverted", true));

        var record = Run("SELECT Id, Owner.Name, SystemModstamp, ConvertedDate, NumberOfEmployees, AnnualRevenue, IsConverted, Email, MasterRecord.LastName FROM Lead", [lead], Context(owner)).Records[0];

        Assert.Equal(
            "{\"attributes\":{\"type\":\"Lead\",\"url\":\"/services/data/v59.0/sobjects/Lead/00Q000000000001AAA\"},"
            + "\"Id\":\"00Q000000000001AAA\","
            + "\"Owner\":{\"attributes\":{\"type\":\"User\",\"url\":\"/services/data/v59.0/sobjects/User/005000000000001AAA\"},\"Name\":\"Ann\"},"
            + "\"SystemModstamp\":\"2022-08-30T11:25:21.000+0000\",\"ConvertedDate\":\"2022-08-30\",\"NumberOfEmployees\":12,"
            + "\"AnnualRevenue\":1500.25,\"IsConverted\":true,\"Email\":\"lead1@example.com\",\"MasterRecord\":null}",
            Json(record));
    }

    [Fact]
    public void An_aggregate_result_has_a_type_and_no_url()
    {
        var record = Run("SELECT COUNT(Id) FROM Lead", [Lead(1), Lead(2)]).Records[0];

        Assert.Equal("{\"attributes\":{\"type\":\"AggregateResult\"},\"expr0\":2}", Json(record));
    }
}
