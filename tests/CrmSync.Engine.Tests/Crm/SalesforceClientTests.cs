using System.Net;
using System.Text;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;
using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Tests.Crm;

public sealed class SalesforceClientTests
{
    private const string Data = "https://na15.salesforce.com/services/data/v59.0/";
    private static readonly CrmObjectSchema Lead = SalesforceFixtureParsingTests.LeadSchema();
    private static readonly string SessionExpired = """[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]""";

    private static string LeadJson(string id, DateTimeOffset stamp, string lastName, bool deleted = false, string? master = null) =>
        $$"""{"attributes":{"type":"Lead","url":"/services/data/v59.0/sobjects/Lead/{{id}}"},"Id":"{{id}}","SystemModstamp":"{{stamp.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff}}+0000","IsDeleted":{{(deleted ? "true" : "false")}},"MasterRecordId":{{(master is null ? "null" : "\"" + master + "\"")}},"LastName":"{{lastName}}"}""";

    private static string QueryJson(IEnumerable<string> records, bool done = true, string? next = null)
    {
        var list = records.ToList();
        return $$"""{"totalSize":{{list.Count}},"done":{{(done ? "true" : "false")}}{{(next is null ? "" : $",\"nextRecordsUrl\":\"{next}\"")}},"records":[{{string.Join(",", list)}}]}""";
    }

    private static string Id(int n) => "00Q" + n.ToString("D12") + "AAA";

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source) list.Add(item);
        return list;
    }

    [Fact]
    public async Task A_connection_that_breaks_while_the_body_is_read_is_CrmUnreachable()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/", _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BrokenStream()) });
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.ListObjectsAsync(CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.CrmUnreachable, ex.ErrorId);
        Assert.IsType<HttpRequestException>(ex.InnerException); // HttpContent wraps the body's IOException
    }

    /// <summary>A response body whose connection breaks mid-read (as SocketsHttpHandler's HttpIOException does).</summary>
    private sealed class BrokenStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("The response ended prematurely.");
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("The response ended prematurely."));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromException<int>(new IOException("The response ended prematurely."));
    }

    [Fact]
    public async Task Expired_session_logs_in_again_once_and_replays_the_call()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/", HttpStatusCode.Unauthorized, SessionExpired);
        sf.Http.Expect(HttpMethod.Post, "https://login.salesforce.com/services/Soap/u/59.0", HttpStatusCode.OK,
            Fixtures.Text("soap-login-response.xml").Replace("<sessionId>12345</sessionId>", "<sessionId>67890</sessionId>"), "text/xml");
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/", HttpStatusCode.OK, Fixtures.Text("describe-global.json"));

        var objects = await sf.Client.Schema.ListObjectsAsync(CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Equal("Account", Assert.Single(objects).Name);
        Assert.Equal("Bearer 12345", sf.Http.Requests[1].Header("Authorization"));
        Assert.Equal("Bearer 67890", sf.Http.Requests[3].Header("Authorization"));
        Assert.Contains(sf.Events.Items, e => e.Kind == CrmEventKind.Relogin && e.Level == CrmEventLevel.Verbose);
    }

    [Fact]
    public async Task A_second_401_after_the_relogin_fails_without_looping()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Lead/describe", HttpStatusCode.Unauthorized, SessionExpired);
        sf.ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Lead/describe", HttpStatusCode.Unauthorized, SessionExpired);

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.DescribeAsync("Lead", CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.SessionExpired, ex.ErrorId);
    }

    [Fact]
    public async Task A_successful_response_whose_body_is_not_json_is_a_protocol_error_naming_the_request()
    {
        // A proxy's or a maintenance page's HTML with 200 OK: the body is parsed as UTF-8 JSON straight from the response.
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Lead/describe", HttpStatusCode.OK, "<html><body>Down for maintenance</body></html>", "text/html");
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Whizbang/describe", HttpStatusCode.OK, "{\"name\": \"Whizbang\", \"fields\": [");

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.DescribeAsync("Lead", CancellationToken.None));
        Assert.Equal(ErrorIds.CrmProtocolError, ex.ErrorId);
        Assert.Contains("not JSON", ex.Message);
        Assert.Contains("Lead", ex.Message);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
        var truncated = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.DescribeAsync("Whizbang", CancellationToken.None));
        Assert.Equal(ErrorIds.CrmProtocolError, truncated.ErrorId);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task A_json_body_that_starts_with_a_byte_order_mark_is_read()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Whizbang/describe", _ =>
            new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new ByteArrayContent([.. new byte[] { 0xEF, 0xBB, 0xBF }, .. System.Text.Encoding.UTF8.GetBytes(Fixtures.Text("describe-custom-object-whizbang.json"))])
                {
                    Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") },
                },
            });

        var schema = await sf.Client.Schema.DescribeAsync("Whizbang", CancellationToken.None);
        Assert.Equal(30, schema.Fields.Count);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task Describe_parses_and_unknown_object_is_not_found()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Whizbang/describe", HttpStatusCode.OK, Fixtures.Text("describe-custom-object-whizbang.json"));
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Nope__c/describe", HttpStatusCode.NotFound, Fixtures.Text("describe-error-not-found.json"));

        var schema = await sf.Client.Schema.DescribeAsync("Whizbang", CancellationToken.None);
        Assert.Equal(30, schema.Fields.Count);
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.DescribeAsync("Nope__c", CancellationToken.None));
        Assert.Equal(ErrorIds.CrmObjectNotFound, ex.ErrorId);
        await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.DescribeAsync("Lead/../../x", CancellationToken.None));
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task Incremental_read_applies_the_overlap_and_continues_by_keyset_across_equal_stamps()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        var stamp = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var watermark = new CrmWatermark("{\"m\":\"keyset\",\"s\":\"2024-05-01T11:00:00.000Z\",\"id\":\"00Q000000000000AAA\"}");
        // Page 1: 200 records, all with the same stamp (a mass update); page 2 continues strictly after the last (stamp, Id).
        sf.Http.Expect(HttpMethod.Get, Data + "queryAll?q=SELECT Id, SystemModstamp, IsDeleted, MasterRecordId, LastName FROM Lead WHERE SystemModstamp >= 2024-05-01T10:55:00.000Z ORDER BY SystemModstamp, Id LIMIT 200",
            HttpStatusCode.OK, QueryJson(Enumerable.Range(1, 200).Select(i => LeadJson(Id(i), stamp, "L" + i))));
        sf.Http.Expect(HttpMethod.Get, Data + $"queryAll?q=SELECT Id, SystemModstamp, IsDeleted, MasterRecordId, LastName FROM Lead WHERE (SystemModstamp > 2024-05-01T12:00:00.000Z OR (SystemModstamp = 2024-05-01T12:00:00.000Z AND Id > '{Id(200)}')) ORDER BY SystemModstamp, Id LIMIT 200",
            HttpStatusCode.OK, QueryJson([LeadJson(Id(201), stamp, "L201"), LeadJson(Id(7), stamp.AddSeconds(5), "gone", deleted: true, master: Id(8))]));

        var pages = await ToListAsync(sf.Client.Changes.ReadChangesAsync(new CrmChangeReadRequest(Lead, ["LastName"])
        {
            Since = watermark,
            PageSize = 200,
            Overlap = TimeSpan.FromMinutes(5),
        }, CancellationToken.None));

        sf.Http.VerifyAllConsumed();
        Assert.Equal("batchSize=200", sf.Http.Requests[1].Header("Sforce-Query-Options"));
        Assert.Equal(2, pages.Count);
        Assert.True(pages[0].HasMore);
        Assert.Equal(200, pages[0].Records.Count);
        Assert.False(pages[1].HasMore);
        var deleted = pages[1].Records[1];
        Assert.True(deleted.IsDeleted);
        Assert.Equal(Id(8), deleted.MergedIntoId);
        Assert.Equal(stamp.AddSeconds(5), deleted.ModifiedAt);
        // The watermark after the last page is its last record's (stamp, Id), and resumes exactly after it.
        Assert.Equal(pages[1].Cursor, pages[1].Watermark!.Value);
        Assert.Contains("2024-05-01T12:00:05.000Z", pages[1].Watermark!.Value);
        Assert.Contains(Id(7), pages[1].Watermark!.Value);
    }

    [Fact]
    public async Task The_watermark_never_moves_back_when_only_overlap_records_return()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        var since = new CrmWatermark("{\"m\":\"keyset\",\"s\":\"2024-05-01T12:00:00.000Z\",\"id\":\"00Q000000000005AAA\"}");
        sf.Http.Expect(HttpMethod.Get, Data + "query?q=SELECT Id, SystemModstamp, LastName FROM Lead WHERE SystemModstamp >= 2024-05-01T11:58:00.000Z",
            HttpStatusCode.OK, QueryJson([LeadJson(Id(3), new DateTimeOffset(2024, 5, 1, 11, 59, 0, TimeSpan.Zero), "seen before")]));
        sf.Http.Expect(HttpMethod.Get, Data + "query?q=SELECT Id, SystemModstamp, LastName FROM Lead WHERE SystemModstamp >= 2024-05-01T11:58:00.000Z",
            HttpStatusCode.OK, QueryJson([]));
        var request = new CrmChangeReadRequest(Lead, ["LastName"]) { Since = since, Overlap = TimeSpan.FromMinutes(2), IncludeDeleted = false };

        var page = Assert.Single(await ToListAsync(sf.Client.Changes.ReadChangesAsync(request, CancellationToken.None)));
        Assert.Equal("seen before", page.Records.Single().Values["LastName"]); // re-read inside the overlap window: applying twice is harmless
        Assert.Contains("2024-05-01T12:00:00.000Z", page.Watermark!.Value);
        Assert.Contains("00Q000000000005AAA", page.Watermark!.Value);
        var idle = Assert.Single(await ToListAsync(sf.Client.Changes.ReadChangesAsync(request, CancellationToken.None)));
        Assert.Empty(idle.Records);
        Assert.Equal(since, idle.Watermark);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task Paged_full_read_follows_nextRecordsUrl_and_yields_a_page_for_an_empty_object()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        var whizbang = SalesforceJson.ParseDescribe(JsonDocument.Parse(Fixtures.Text("describe-custom-object-whizbang.json")).RootElement);
        sf.Http.Expect(HttpMethod.Get, Data + "query?q=SELECT Id, SystemModstamp, Name FROM Whizbang ORDER BY SystemModstamp, Id LIMIT 2000",
            HttpStatusCode.OK, Fixtures.Text("query-page1-nextRecordsUrl.json"));
        sf.Http.Expect(HttpMethod.Get, "https://na15.salesforce.com/services/data/v26.0/query/01gD", HttpStatusCode.OK,
            Fixtures.Text("query-page2-last.json").Replace("Whizbang/foo", "Whizbang/bar")); // a different record: same-key records are de-duplicated

        var pages = await ToListAsync(sf.Client.Changes.ReadAllAsync(new CrmFullReadRequest(whizbang, ["Name"]) { Strategy = CrmFullReadStrategy.Paged },
            CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        var page = Assert.Single(pages);
        Assert.Equal(["First Page", "Last Page"], page.Records.Select(r => (string)r.Values["Text_Label"]!));
        Assert.False(page.HasMore);

        sf.Http.Expect(HttpMethod.Get, Data + "query?q=SELECT COUNT() FROM Whizbang", HttpStatusCode.OK, """{"totalSize":0,"done":true,"records":[]}""");
        sf.Http.Expect(HttpMethod.Get, Data + "query?q=SELECT Id, SystemModstamp, Name FROM Whizbang ORDER BY", HttpStatusCode.OK, QueryJson([]));
        var empty = await ToListAsync(sf.Client.Changes.ReadAllAsync(new CrmFullReadRequest(whizbang, ["Name"]), CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.False(Assert.Single(empty).HasMore);
    }

    [Fact]
    public async Task Composite_reads_the_first_page_of_many_objects_in_one_call()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        var contact = Lead with { Name = "Contact", Label = "Contact" };
        var stamp = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var sub0 = QueryJson([LeadJson(Id(1), stamp, "Changed")]);
        sf.Http.Expect(HttpMethod.Post, Data + "composite", HttpStatusCode.OK,
            $$"""{"compositeResponse":[{"body":{{sub0}},"httpHeaders":{},"httpStatusCode":200,"referenceId":"r0"},{"body":[{"message":"error_message","errorCode":"INVALID_FIELD"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"r1"}]}""");

        var items = await sf.Client.Changes.ReadChangesBatchAsync(
        [
            new CrmChangeReadRequest(Lead, ["LastName"]) { Since = new CrmWatermark("{\"m\":\"keyset\",\"s\":\"2024-05-01T11:00:00.000Z\",\"id\":null}") },
            new CrmChangeReadRequest(contact, ["LastName"]) { IncludeDeleted = false },
        ], CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Equal(2, sf.Http.Requests.Count); // the login and ONE data call for both objects
        using var body = JsonDocument.Parse(sf.Http.Requests[1].Body);
        var subs = body.RootElement.GetProperty("compositeRequest").EnumerateArray().ToList();
        Assert.Equal("GET", subs[0].GetProperty("method").GetString());
        Assert.Equal("/services/data/v59.0/queryAll?q=" + Uri.EscapeDataString("SELECT Id, SystemModstamp, IsDeleted, MasterRecordId, LastName FROM Lead WHERE SystemModstamp >= 2024-05-01T10:55:00.000Z ORDER BY SystemModstamp, Id LIMIT 2000"),
            subs[0].GetProperty("url").GetString());
        Assert.StartsWith("/services/data/v59.0/query?q=", subs[1].GetProperty("url").GetString());
        Assert.Equal("Changed", items[0].Page!.Records.Single().Values["LastName"]);
        Assert.False(items[0].Page!.HasMore);
        Assert.Equal(ErrorIds.CrmRequestFailed, items[1].Error!.ErrorId);
        Assert.Null(items[1].Page);
    }

    [Fact]
    public async Task Bulk_full_read_creates_polls_with_backoff_reads_by_locator_and_deletes_the_job()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        const string job = "750R0000000zlh9IAA";
        var startedAt = sf.Time.GetUtcNow();
        sf.Http.Expect(HttpMethod.Post, Data + "jobs/query", HttpStatusCode.OK, Fixtures.Text("bulk2-query-job-create-response.json").Replace("7986gEXAMPLE4X2OPT", job));
        sf.Http.Expect(HttpMethod.Get, Data + "jobs/query/" + job, HttpStatusCode.OK,
            Fixtures.Text("bulk2-query-job-info-complete.json").Replace("\"JobComplete\"", "\"InProgress\""));
        sf.Http.Expect(HttpMethod.Get, Data + "jobs/query/" + job, HttpStatusCode.OK, Fixtures.Text("bulk2-query-job-info-complete.json"));
        sf.Http.Expect(HttpMethod.Get, Data + $"jobs/query/{job}/results?maxRecords=50000", HttpStatusCode.OK, Fixtures.Text("bulk2-query-results.csv"), "text/csv",
            r => { r.Headers.Add("Sforce-Locator", "MTAwMDA"); r.Headers.Add("Sforce-NumberOfRecords", "3"); });
        sf.Http.Expect(HttpMethod.Get, Data + $"jobs/query/{job}/results?maxRecords=50000&locator=MTAwMDA", HttpStatusCode.OK,
            "\"Id\",\"LastName\",\"AnnualRevenue\",\"IsConverted\",\"ConvertedDate\"\n\"00Q000000000009AAA\",\"Last\",\"\",\"true\",\"2024-01-31\"\n", "text/csv",
            r => r.Headers.Add("Sforce-Locator", "null"));
        sf.Http.Expect(HttpMethod.Delete, Data + "jobs/query/" + job, HttpStatusCode.NoContent);

        var reading = ToListAsync(sf.Client.Changes.ReadAllAsync(new CrmFullReadRequest(Lead, ["LastName"]) { Strategy = CrmFullReadStrategy.Bulk }, CancellationToken.None));
        await sf.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(1)); // the first poll backoff, on the fake clock
        sf.Time.Advance(TimeSpan.FromSeconds(1));
        var pages = await reading;

        sf.Http.VerifyAllConsumed();
        using (var create = JsonDocument.Parse(sf.Http.Requests[1].Body))
        {
            Assert.Equal("query", create.RootElement.GetProperty("operation").GetString());
            Assert.Equal("SELECT Id, SystemModstamp, LastName FROM Lead", create.RootElement.GetProperty("query").GetString());
        }
        Assert.Equal(2, pages.Count);
        Assert.True(pages[0].HasMore);
        Assert.Null(pages[0].Watermark); // not valid until the copy is complete
        Assert.Equal(3, pages[0].Records.Count);
        Assert.Equal(500, pages[0].TotalEstimate);
        var last = Assert.Single(pages[1].Records);
        Assert.Null(last.Values["AnnualRevenue"]); // empty CSV cell
        Assert.Equal(true, last.Values["IsConverted"]);
        Assert.Equal(new DateOnly(2024, 1, 31), last.Values["ConvertedDate"]);
        Assert.False(pages[1].HasMore);
        Assert.Contains(CrmValueConverter.FormatDateTime(startedAt), pages[1].Watermark!.Value);

        // Resuming from the middle re-reads only what is left of the same job.
        sf.Http.Expect(HttpMethod.Get, Data + "jobs/query/" + job, HttpStatusCode.OK, Fixtures.Text("bulk2-query-job-info-complete.json"));
        sf.Http.Expect(HttpMethod.Get, Data + "jobs/query/" + job, HttpStatusCode.OK, Fixtures.Text("bulk2-query-job-info-complete.json"));
        sf.Http.Expect(HttpMethod.Get, Data + $"jobs/query/{job}/results?maxRecords=50000&locator=MTAwMDA", HttpStatusCode.OK, "\"Id\"\n\"00Q000000000009AAA\"\n", "text/csv",
            r => r.Headers.Add("Sforce-Locator", "null"));
        sf.Http.Expect(HttpMethod.Delete, Data + "jobs/query/" + job, HttpStatusCode.NoContent);
        var resumed = await ToListAsync(sf.Client.Changes.ReadAllAsync(new CrmFullReadRequest(Lead, ["LastName"]) { ResumeCursor = pages[0].Cursor }, CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.Equal(pages[1].Watermark, Assert.Single(resumed).Watermark);
    }

    [Fact]
    public async Task Bulk_results_before_completion_fail_with_the_crm_message()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "jobs/query/750R0000000zlh9IAA/results", HttpStatusCode.PreconditionFailed, Fixtures.Text("bulk2-query-results-error-412.json"));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Changes.Bulk.ReadResultsAsync("750R0000000zlh9IAA", null, 1000, Lead, "Lead", CancellationToken.None));
        Assert.Contains("JOB_NOT_COMPLETE", ex.Message);
        sf.Http.VerifyAllConsumed();
    }

    [Fact]
    public async Task A_bulk_record_chunk_whose_body_breaks_is_read_again_from_the_same_locator()
    {
        // The chunk is read unbuffered (the resilience handler, here with no retries at all, does not buffer it), so the
        // broken first body is retried by the bulk reader itself: the same GET of the same locator.
        using var sf = new TestSalesforce().ExpectSoapLogin();
        const string job = "750R0000000zlh9IAA";
        var url = Data + $"jobs/query/{job}/results?maxRecords=1000&locator=MTAwMDA";
        sf.Http.Expect(HttpMethod.Get, url, _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BrokenStream()) });
        sf.Http.Expect(HttpMethod.Get, url, HttpStatusCode.OK, "\"Id\",\"LastName\"\n\"00Q000000000009AAA\",\"Last\"\n", "text/csv",
            r => r.Headers.Add("Sforce-Locator", "null"));

        var (records, next) = await sf.Client.Changes.Bulk.ReadResultsAsync(job, "MTAwMDA", 1000, Lead, "Lead", CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Null(next);
        Assert.Equal("Last", Assert.Single(records).Values["LastName"]);
    }

    [Fact]
    public async Task A_bulk_record_chunk_that_breaks_three_times_is_CrmUnreachable()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        const string job = "750R0000000zlh9IAA";
        for (var i = 0; i < 3; i++)
            sf.Http.Expect(HttpMethod.Get, Data + $"jobs/query/{job}/results?maxRecords=1000", _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BrokenStream()) });

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Changes.Bulk.ReadResultsAsync(job, null, 1000, Lead, "Lead", CancellationToken.None));

        sf.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.CrmUnreachable, ex.ErrorId);
    }

    [Fact]
    public async Task Deletions_updated_ids_and_counts()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        var since = sf.Time.GetUtcNow().AddDays(-2);
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Whizbang/deleted/?start=2024-04-29T12:00:00+00:00&end=2024-05-01T12:00:00+00:00", HttpStatusCode.OK, Fixtures.Text("deleted.json"));
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/Contact/updated/?start=", HttpStatusCode.OK, Fixtures.Text("updated.json"));
        sf.Http.Expect(HttpMethod.Get, Data + "query?q=SELECT COUNT() FROM Lead", HttpStatusCode.OK, """{"totalSize":123456,"done":true,"records":[]}""");

        var deletions = await sf.Client.Changes.ReadDeletionsAsync("Whizbang", since, CancellationToken.None);
        var updated = await sf.Client.Changes.GetUpdatedIdsAsync("Contact", since, sf.Time.GetUtcNow(), CancellationToken.None);
        var count = await sf.Client.Changes.EstimateCountAsync("Lead", CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Equal("a00D0000008pQRAIA2", deletions.Records.Single().Id);
        Assert.Equal(7, updated.Ids.Count);
        Assert.Equal(123456, count);
    }

    [Fact]
    public async Task Limit_info_header_is_reported_and_the_reserve_is_tracked()
    {
        using var sf = new TestSalesforce(reserve: 0.1).ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/", HttpStatusCode.OK, Fixtures.Text("describe-global.json"), configure: r =>
            r.Headers.Add("Sforce-Limit-Info", "api-usage=18/5000; per-app-api-usage=17/250(appName=sample-connected-app)"));
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/", HttpStatusCode.OK, Fixtures.Text("describe-global.json"), configure: r =>
            r.Headers.Add("Sforce-Limit-Info", "api-usage=4600/5000"));
        sf.Http.Expect(HttpMethod.Get, Data + "limits/", HttpStatusCode.OK, Fixtures.Text("limits.json"));

        await sf.Client.Schema.ListObjectsAsync(CancellationToken.None);
        Assert.Equal(new CrmApiUsage(18, 5000), sf.Client.Session.ApiUsage);
        Assert.False(sf.Client.Session.IsApiReserveReached);
        await sf.Client.Schema.ListObjectsAsync(CancellationToken.None);
        Assert.True(sf.Client.Session.IsApiReserveReached);
        Assert.Equal(0.08, sf.Client.Session.ApiUsage!.RemainingFraction, 6);
        var usage = await sf.Client.GetApiUsageAsync(CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Equal(new CrmApiUsage(2, 15000), usage);
        Assert.Equal([new CrmApiUsage(18, 5000), new CrmApiUsage(4600, 5000), new CrmApiUsage(2, 15000)], sf.Usage.Items);
        Assert.Contains(sf.Events.Items, e => e.Level == CrmEventLevel.Debug && e.Kind == CrmEventKind.Request && e.Message.Contains("/services/data/v59.0/sobjects/ -> 200"));
    }

    [Theory]
    [InlineData("api-usage=18/5000", 18L, 5000L)]
    [InlineData("api-usage=18/5000; per-app-api-usage=17/250(appName=x)", 18L, 5000L)]
    [InlineData("per-app-api-usage=17/250(appName=x); api-usage=7/15000", 7L, 15000L)]
    public void Limit_info_header_parses(string header, long used, long max) =>
        Assert.Equal(new CrmApiUsage(used, max), SalesforceResponseObserver.ParseLimitInfo(header));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("per-app-api-usage=17/250(appName=x)")]
    [InlineData("api-usage=abc/5000")]
    public void Limit_info_header_without_usage_is_ignored(string? header) => Assert.Null(SalesforceResponseObserver.ParseLimitInfo(header));

    [Fact]
    public async Task Request_limit_exceeded_is_not_retried_and_says_so()
    {
        using var sf = new TestSalesforce(resilience: new() { MaxRetryAttempts = 3 }).ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Get, Data + "sobjects/", HttpStatusCode.Forbidden, Fixtures.Text("error-request-limit-exceeded-403.json"));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Schema.ListObjectsAsync(CancellationToken.None));
        sf.Http.VerifyAllConsumed();
        Assert.Equal(ErrorIds.CrmApiLimitExceeded, ex.ErrorId);
        Assert.Contains("TotalRequests Limit exceeded", ex.Message);
    }

    [Fact]
    public async Task Collections_create_in_chunks_of_200_with_per_record_results()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        string Results(int n, int from) => "[" + string.Join(",", Enumerable.Range(from, n).Select(i => $$"""{"id":"{{Id(i)}}","success":true,"errors":[]}""")) + "]";
        sf.Http.Expect(HttpMethod.Post, Data + "composite/sobjects", HttpStatusCode.OK, Results(200, 0));
        sf.Http.Expect(HttpMethod.Post, Data + "composite/sobjects", HttpStatusCode.OK, Results(1, 200));

        var records = Enumerable.Range(0, 201).Select(i => new CrmRecordChange(null, new Dictionary<string, object?>
        {
            ["LastName"] = "O'Neil " + i,
            ["AnnualRevenue"] = 12.5m,
            ["ConvertedDate"] = new DateOnly(2024, 2, 29),
            ["Email"] = null,
        })).ToList();
        var results = await sf.Client.Writer.CreateAsync("Lead", records, CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Equal(Enumerable.Range(0, 201), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Success));
        Assert.Equal(Id(200), results[200].Id);
        using var body = JsonDocument.Parse(sf.Http.Requests[1].Body);
        Assert.False(body.RootElement.GetProperty("allOrNone").GetBoolean());
        var first = body.RootElement.GetProperty("records")[0];
        Assert.Equal("Lead", first.GetProperty("attributes").GetProperty("type").GetString());
        Assert.Equal("O'Neil 0", first.GetProperty("LastName").GetString());
        Assert.Equal(12.5m, first.GetProperty("AnnualRevenue").GetDecimal());
        Assert.Equal("2024-02-29", first.GetProperty("ConvertedDate").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("Email").ValueKind);
        Assert.Equal(200, body.RootElement.GetProperty("records").GetArrayLength());
    }

    [Fact]
    public async Task Update_partial_failure_marks_lock_errors_transient_and_does_not_throw()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Patch, Data + "composite/sobjects", HttpStatusCode.OK,
            """[{"id":"00Q000000000001AAA","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]},{"success":false,"errors":[{"statusCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","message":"Phone required","fields":["Phone"]}]}]""");
        var results = await sf.Client.Writer.UpdateAsync("Lead",
        [
            new CrmRecordChange(Id(1), new Dictionary<string, object?> { ["LastName"] = "A" }),
            new CrmRecordChange(Id(2), new Dictionary<string, object?> { ["LastName"] = "B" }),
            new CrmRecordChange(Id(3), new Dictionary<string, object?> { ["LastName"] = "C", ["Id"] = "ignored" }),
        ], CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.True(results[0].Success);
        Assert.True(results[1].IsTransientFailure);
        Assert.False(results[2].IsTransientFailure);
        Assert.Equal(["Phone"], results[2].Errors.Single().Fields);
        using var body = JsonDocument.Parse(sf.Http.Requests[1].Body);
        Assert.Equal(Id(3), body.RootElement.GetProperty("records")[2].GetProperty("id").GetString());
        Assert.False(body.RootElement.GetProperty("records")[2].TryGetProperty("Id", out _));
    }

    [Fact]
    public async Task A_refused_batch_becomes_a_failure_per_record()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Post, Data + "composite/sobjects", HttpStatusCode.BadRequest, Fixtures.Text("composite-sobjects-error-invalid-field-restforce.json"));
        var results = await sf.Client.Writer.CreateAsync("Lead",
            [new CrmRecordChange(null, new Dictionary<string, object?> { ["LastName"] = "A" }), new CrmRecordChange(null, new Dictionary<string, object?> { ["LastName"] = "B" })],
            CancellationToken.None);
        sf.Http.VerifyAllConsumed();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal("INVALID_FIELD", Assert.Single(r.Errors).Code));
    }

    [Fact]
    public async Task Collections_upsert_on_external_id_and_delete()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Patch, Data + "composite/sobjects/Lead/Ext_Key__c", HttpStatusCode.OK, Fixtures.Text("composite-sobjects-upsert-created-flags.json"));
        sf.Http.Expect(HttpMethod.Delete, Data + "composite/sobjects?allOrNone=false&ids=001RM000003oLruYAE,001RM000003oLrB000", HttpStatusCode.OK,
            Fixtures.Text("composite-sobjects-delete-partial-failure.json"));

        var upserted = await sf.Client.Writer.UpsertAsync("Lead", "Ext_Key__c",
        [
            new CrmRecordChange(null, new Dictionary<string, object?> { ["Ext_Key__c"] = "k1", ["LastName"] = "A" }),
            new CrmRecordChange(null, new Dictionary<string, object?> { ["Ext_Key__c"] = "k2", ["LastName"] = "B" }),
        ], CancellationToken.None);
        var deleted = await sf.Client.Writer.DeleteAsync("Lead", ["001RM000003oLruYAE", "001RM000003oLrB000"], CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.Equal([true, false], upserted.Select(r => r.Created));
        Assert.Contains("\"Ext_Key__c\":\"k1\"", sf.Http.Requests[1].BodyText);
        Assert.Equal("MALFORMED_ID", deleted[1].Errors.Single().Code);
        await Assert.ThrowsAsync<ArgumentException>(() => sf.Client.Writer.UpsertAsync("Lead", "Ext_Key__c",
            [new CrmRecordChange(null, new Dictionary<string, object?> { ["LastName"] = "no key" })], CancellationToken.None));
        await Assert.ThrowsAsync<CrmSyncException>(() => sf.Client.Writer.DeleteAsync("Lead", ["00Q&ids=x"], CancellationToken.None));
    }

    [Fact]
    public async Task Single_upsert_reports_created_300_and_404()
    {
        using var sf = new TestSalesforce().ExpectSoapLogin();
        sf.Http.Expect(HttpMethod.Patch, Data + "sobjects/Whizbang/Ext__c/a%2Fb", HttpStatusCode.Created, Fixtures.Text("upsert-created.json"));
        sf.Http.Expect(HttpMethod.Patch, Data + "sobjects/Whizbang/Ext__c/dup", (HttpStatusCode)300, Fixtures.Text("upsert-multiple-choices-300.json"));
        sf.Http.Expect(HttpMethod.Patch, Data + "sobjects/Whizbang/Namez/x", HttpStatusCode.NotFound, Fixtures.Text("upsert-error-not-found.json"));
        var values = new Dictionary<string, object?> { ["Name"] = "n", ["Ext__c"] = "a/b" };

        var created = await sf.Client.Writer.UpsertRecordAsync("Whizbang", "Ext__c", "a/b", values, CancellationToken.None);
        var ambiguous = await sf.Client.Writer.UpsertRecordAsync("Whizbang", "Ext__c", "dup", values, CancellationToken.None);
        var notFound = await sf.Client.Writer.UpsertRecordAsync("Whizbang", "Namez", "x", values, CancellationToken.None);

        sf.Http.VerifyAllConsumed();
        Assert.True(created.Success);
        Assert.True(created.Created);
        Assert.Equal("foo", created.Id);
        Assert.Equal("{\"Name\":\"n\"}", sf.Http.Requests[1].BodyText); // the key goes in the URL, not the body
        Assert.Equal("MULTIPLE_CHOICES", ambiguous.Errors.Single().Code);
        Assert.Contains("/services/data/v23.0/sobjects/Whizbang/bar", ambiguous.Errors.Single().Message);
        Assert.Equal("NOT_FOUND", notFound.Errors.Single().Code);
    }

    [Fact]
    public void Factory_builds_salesforce_and_needs_the_org_url_for_dynamics()
    {
        using var client = CrmClientFactory.Create(new CrmConnectionSettings { Kind = CrmKind.Salesforce, Username = "u", Password = SecretValue.Copy("p") },
            new CrmClientOptions { PrimaryHandler = new RecordedHttpHandler() });
        Assert.IsType<SalesforceClient>(client);
        Assert.Null(client.Session.Identity);
        var ex = Assert.Throws<CrmSyncException>(() => CrmClientFactory.Create(new CrmConnectionSettings { Kind = CrmKind.Dynamics }));
        Assert.Equal(ErrorIds.InvalidArgument, ex.ErrorId);
        Assert.Contains("organization URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_convert_by_type_and_back()
    {
        Assert.Equal(new DateTimeOffset(2022, 8, 30, 11, 25, 21, TimeSpan.Zero), CrmValueConverter.ParseDateTime("2022-08-30T11:25:21.000+0000"));
        Assert.Equal(new DateTimeOffset(2022, 8, 30, 9, 25, 21, TimeSpan.Zero), CrmValueConverter.ParseDateTime("2022-08-30T11:25:21.000+0200"));
        Assert.Equal(new DateTimeOffset(2022, 8, 30, 11, 25, 21, TimeSpan.Zero), CrmValueConverter.ParseDateTime("2022-08-30T11:25:21Z"));
        Assert.Null(CrmValueConverter.FromText("", CrmFieldType.String));
        Assert.Equal(5L, CrmValueConverter.FromText("5", CrmFieldType.Integer));
        Assert.Equal(1.25m, CrmValueConverter.FromText("1.25", CrmFieldType.Currency));
        Assert.Equal(new TimeOnly(13, 45), CrmValueConverter.FromText("13:45:00.000Z", CrmFieldType.Time));
        using var doc = JsonDocument.Parse("""{"a":3.0,"b":7,"c":"x","d":{"city":"Oslo"}}""");
        Assert.Equal(3L, CrmValueConverter.FromJson(doc.RootElement.GetProperty("a"), CrmFieldType.Integer));
        Assert.Equal(7m, CrmValueConverter.FromJson(doc.RootElement.GetProperty("b"), CrmFieldType.Double));
        Assert.Equal(7L, CrmValueConverter.FromJson(doc.RootElement.GetProperty("b"), null));
        Assert.Equal("{\"city\":\"Oslo\"}", CrmValueConverter.FromJson(doc.RootElement.GetProperty("d"), CrmFieldType.Other));

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            CrmValueConverter.WriteJson(w, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero));
            CrmValueConverter.WriteJson(w, new TimeOnly(13, 45));
            CrmValueConverter.WriteJson(w, true);
            w.WriteEndArray();
        }
        Assert.Equal("[\"2024-01-02T03:04:05.000Z\",\"13:45:00.000Z\",true]", Encoding.UTF8.GetString(ms.ToArray()));
    }
}
