using System.Text.Json;
using CrmSync.Engine.Crm.Dynamics;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

/// <summary>The multipart $batch writer and reader against Microsoft's published batch examples (tests/fixtures/dynamics/batch-*.http).</summary>
public sealed class DataverseBatchTests
{
    [Fact]
    public void The_writer_reproduces_the_recorded_change_set_request_byte_for_byte()
    {
        var recorded = DynamicsFixtures.Crlf(DynamicsFixtures.Text("batch-request-changeset.http"));
        var head = recorded[..recorded.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        var expectedBody = recorded[(head.Length + 4)..];
        Assert.Contains("Content-Type: multipart/mixed; boundary=\"batch_22975cad-7f57-410d-be15-6363209367ea\"", head);

        static string Task(int n) => DynamicsFixtures.Crlf(
            "{\n  \"subject\": \"Task " + n + " in batch\",\n  \"regardingobjectid_account_task@odata.bind\": \"accounts(00000000-0000-0000-0000-000000000001)\"\n}");
        var creates = Enumerable.Range(1, 3).Select(n =>
            new DataverseBatchRequest(HttpMethod.Post, "/api/data/v9.2/tasks", [], Task(n), ContentId: n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var written = DataverseBatch.Write("batch_22975cad-7f57-410d-be15-6363209367ea",
        [
            DataverseBatchPart.Atomic("changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a", creates),
            DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Get,
                "/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject", [], null)),
        ]);

        Assert.Equal(expectedBody, written);
        Assert.Equal("multipart/mixed; boundary=\"batch_22975cad-7f57-410d-be15-6363209367ea\"",
            DataverseBatch.ContentType("batch_22975cad-7f57-410d-be15-6363209367ea").ToString());
    }

    [Fact]
    public void Part_headers_come_after_the_request_line_and_before_the_body()
    {
        var written = DataverseBatch.Write("batch_x",
        [
            DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Patch, "/api/data/v9.2/leads(1)", [new("If-Match", "*")], "{\"a\":1}")),
            DataverseBatchPart.Single(new DataverseBatchRequest(HttpMethod.Delete, "/api/data/v9.2/leads(2)", [], null)),
        ]);
        Assert.Equal(
            "--batch_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            + "PATCH /api/data/v9.2/leads(1) HTTP/1.1\r\nIf-Match: *\r\nContent-Type: application/json; type=entry\r\n\r\n{\"a\":1}\r\n"
            + "--batch_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            + "DELETE /api/data/v9.2/leads(2) HTTP/1.1\r\n\r\n\r\n"
            + "--batch_x--\r\n", written);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_change_set_response_is_read_in_request_order_with_its_content_ids(bool crlf)
    {
        var (_, contentType, body) = DynamicsFixtures.BatchResponse("batch-response-changeset.http", crlf);
        var parts = DataverseBatch.Parse(contentType, body);

        Assert.Equal(4, parts.Count);
        Assert.Equal([204, 204, 204, 200], parts.Select(p => p.Status));
        Assert.Equal(["1", "2", "3", null], parts.Select(p => p.ContentId));
        Assert.Equal(TestDynamics.Org + "/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)", parts[0].Header("OData-EntityId"));
        Assert.Equal("e93ffc82-e292-ed11-aad1-000d3a9933c9", DataverseRecordWriter.IdFromEntityId(parts[2].Header("odata-entityid")));
        Assert.Equal("", parts[0].Body);
        using var doc = JsonDocument.Parse(parts[3].Body);
        Assert.Equal(3, doc.RootElement.GetProperty("value").GetArrayLength());
        Assert.Equal("application/json; odata.metadata=minimal; odata.streaming=true", parts[3].Header("Content-Type"));
    }

    [Fact]
    public void Continue_on_error_answers_each_part_with_its_own_status()
    {
        var (status, contentType, body) = DynamicsFixtures.BatchResponse("batch-response-continue-on-error.http");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        var parts = DataverseBatch.Parse(contentType, body);
        Assert.Equal([400, 204, 204], parts.Select(p => p.Status));
        var error = DataverseJson.ParseError(parts[0].Body)!;
        Assert.Equal("0x80044331", error.Code);
        Assert.StartsWith("A validation error occurred.", error.Message);
        Assert.Equal("de4c5227-4a28-4ebd-8ced-3392ece1697b", parts[0].Header("REQ_ID"));
        Assert.False(parts[0].IsSuccess);
        Assert.True(parts[1].IsSuccess);
    }

    [Fact]
    public void Stop_on_error_answers_only_the_failing_part()
    {
        var (status, contentType, body) = DynamicsFixtures.BatchResponse("batch-response-error-400-stop-on-error.http");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
        var part = Assert.Single(DataverseBatch.Parse(contentType, body));
        Assert.Equal(400, part.Status);
        Assert.Equal("0x80044331", DataverseJson.ParseError(part.Body)!.Code);
    }

    [Fact]
    public void A_batch_without_change_sets_and_a_body_without_a_content_type_boundary_are_read()
    {
        var (_, _, body) = DynamicsFixtures.BatchResponse("batch-response-no-changeset.http");
        var parts = DataverseBatch.Parse(null, body); // the boundary comes from the first delimiter line
        Assert.Equal([204, 204, 204, 200], parts.Select(p => p.Status));
        Assert.Equal(TestDynamics.Org + "/api/data/v9.2/tasks(d41ba648-c592-ed11-aad1-000d3a993550)", parts[1].Header("Location"));
    }

    [Fact]
    public void A_truncated_or_foreign_body_is_refused()
    {
        var (_, contentType, body) = DynamicsFixtures.BatchResponse("batch-response-no-changeset.http");
        var cut = body[..body.LastIndexOf("--batchresponse", StringComparison.Ordinal)];
        Assert.Throws<FormatException>(() => DataverseBatch.Parse(contentType, cut));
        Assert.Throws<FormatException>(() => DataverseBatch.Parse("multipart/mixed; boundary=b", "--b\r\nContent-Type: application/http\r\n\r\nnot http\r\n--b--\r\n"));
        Assert.Throws<FormatException>(() => DataverseBatch.Parse("application/json", "{\"value\":[]}"));
    }
}
