using System.Net;
using System.Net.Http.Headers;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

public sealed class DataverseRecordWriterTests
{
    private const string Lead1 = "0d9b7c1e-1111-ef11-9f89-000d3a5b7c01";
    private const string Lead2 = "0d9b7c1e-2222-ef11-9f89-000d3a5b7c01";
    private const string Account1 = "60c4e274-0d87-e711-80e5-00155db19e6d";

    private static TestDynamics SignedIn(CrmResilienceOptions? resilience = null)
    {
        var d = new TestDynamics(resilience: resilience).ExpectLogin();
        d.Client.Schema.Remember(TestEntities.Lead(), TestEntities.SetNames);
        d.Client.Schema.Remember(TestEntities.Entity("task", "tasks", "activityid", true, [TestEntities.Field("subject", CrmFieldType.String, "String")]));
        return d;
    }

    private static Dictionary<string, object?> Values(params (string Name, object? Value)[] values) => values.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public async Task Updates_patch_only_the_given_columns_with_if_match_and_a_gone_row_is_its_own_error()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
            ("204 No Content", null),
            ("404 Not Found", DynamicsFixtures.Text("error-404-upsert-prevent-create.json"))));

        var results = await d.Client.Writer.UpdateAsync("lead",
        [
            new CrmRecordChange(Lead1, Values(("lastname", "O'Hara"), ("numberofemployees", 12L), ("revenue", 1500.50m), ("donotemail", true),
                ("leadsourcecode", "8"), ("new_interests", "100000000;100000002"), ("parentaccountid", Account1), ("customerid", "contact:" + Lead2))),
            new CrmRecordChange(Lead2, Values(("firstname", null), ("parentaccountid", null))),
        ], CancellationToken.None);

        d.Http.VerifyAllConsumed();
        var batch = d.Http.Requests[^1];
        Assert.Equal("odata.continue-on-error", batch.Header("Prefer"));
        Assert.Equal("Bearer " + TestDynamics.FixtureToken, batch.Header("Authorization"));
        Assert.Equal("4.0", batch.Header("OData-Version"));
        var parts = DynamicsFixtures.RequestParts(batch);
        Assert.Equal(
            "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            + $"PATCH /api/data/v9.2/leads({Lead1}) HTTP/1.1\r\nIf-Match: *\r\nContent-Type: application/json; type=entry\r\n\r\n"
            + "{\"lastname\":\"O\\u0027Hara\",\"numberofemployees\":12,\"revenue\":1500.50,\"donotemail\":true,\"leadsourcecode\":8,\"new_interests\":\"100000000,100000002\","
            + $"\"parentaccountid@odata.bind\":\"accounts({Account1})\",\"customerid_contact@odata.bind\":\"contacts({Lead2})\"}}\r\n",
            parts[0]);
        Assert.EndsWith("{\"firstname\":null,\"parentaccountid@odata.bind\":null}\r\n", parts[1]);

        Assert.True(results[0].Success);
        Assert.Equal(Lead1, results[0].Id);
        Assert.False(results[1].Success);
        var error = Assert.Single(results[1].Errors);
        Assert.Equal("HTTP 404", error.Code); // the recorded body's code is empty
        Assert.Equal("account With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist", error.Message);
        Assert.False(error.IsTransient);
        d.AssertWebApiHeadersOnEveryCall();
    }

    [Fact]
    public async Task Creates_upsert_on_the_key_with_if_none_match_and_an_existing_key_is_a_success_whose_id_is_looked_up()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("201 Created", $"{{\"@odata.context\":\"{TestDynamics.Api}$metadata#leads(leadid)/$entity\",\"@odata.etag\":\"W/\\\"1001\\\"\",\"leadid\":\"{Lead1}\"}}"),
                ("412 Precondition Failed", DynamicsFixtures.Text("error-412-upsert-prevent-update.json"))))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", $"{{\"@odata.etag\":\"W/\\\"998\\\"\",\"leadid\":\"{Lead2}\"}}")));

        var results = await d.Client.Writer.UpsertAsync("lead", "crmsync_id",
        [
            new CrmRecordChange(null, Values(("crmsync_id", "7f0c2a9e-aaaa-4bbb-8ccc-000000000001"), ("lastname", "Nguyen"))),
            new CrmRecordChange(null, Values(("crmsync_id", "7f0c2a9e-aaaa-4bbb-8ccc-000000000002"), ("lastname", "Ito"))),
        ], CancellationToken.None);

        d.Http.VerifyAllConsumed();
        var parts = DynamicsFixtures.RequestParts(d.Http.Requests[2]);
        Assert.Equal(
            "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            + "PATCH /api/data/v9.2/leads(crmsync_id='7f0c2a9e-aaaa-4bbb-8ccc-000000000001')?$select=leadid HTTP/1.1\r\n"
            + "If-None-Match: *\r\nPrefer: return=representation\r\nContent-Type: application/json; type=entry\r\n\r\n"
            + "{\"crmsync_id\":\"7f0c2a9e-aaaa-4bbb-8ccc-000000000001\",\"lastname\":\"Nguyen\"}\r\n", parts[0]);
        Assert.Equal([("GET", "/api/data/v9.2/leads(crmsync_id='7f0c2a9e-aaaa-4bbb-8ccc-000000000002')?$select=leadid")],
            DynamicsFixtures.RequestLines(d.Http.Requests[3].BodyText));

        Assert.Equal((0, Lead1, true, (bool?)true), (results[0].Index, results[0].Id, results[0].Success, results[0].Created));
        Assert.Empty(results[0].Errors);
        Assert.True(results[1].Success);
        Assert.False(results[1].Created);
        Assert.Equal(Lead2, results[1].Id);
        d.AssertWebApiHeadersOnEveryCall();
    }

    [Fact]
    public async Task A_create_answered_without_a_body_gets_its_id_looked_up_and_stays_created()
    {
        using var d = SignedIn();
        // Hand-written: 204 with OData-EntityId echoing the key URL (use-upsert-insert-update-record.md), no representation.
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.Multipart(HttpStatusCode.OK, "multipart/mixed; boundary=batchresponse_1",
                "--batchresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n"
                + "OData-EntityId: " + TestDynamics.Api + "leads(crmsync_id='k1')\r\n\r\n\r\n--batchresponse_1--\r\n"))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(("200 OK", $"{{\"leadid\":\"{Lead1}\"}}")));
        var result = Assert.Single(await d.Client.Writer.UpsertAsync("lead", "crmsync_id", [new CrmRecordChange(null, Values(("crmsync_id", "k1")))], CancellationToken.None));
        d.Http.VerifyAllConsumed();
        Assert.Equal((true, (bool?)true, Lead1), (result.Success, result.Created, result.Id));
    }

    [Fact]
    public async Task A_key_value_dataverse_refuses_is_a_row_error_and_nothing_is_sent_for_it()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
            ("201 Created", $"{{\"leadid\":\"{Lead1}\"}}")));
        var results = await d.Client.Writer.UpsertAsync("lead", "crmsync_id",
        [
            new CrmRecordChange(null, Values(("crmsync_id", "a/b"), ("lastname", "X"))),
            new CrmRecordChange(null, Values(("lastname", "Y"))),
            new CrmRecordChange(null, Values(("crmsync_id", "ok-1"), ("nosuch", "Z"))),
            new CrmRecordChange(null, Values(("crmsync_id", "ok-2"), ("customerid", Account1))),
            new CrmRecordChange(null, Values(("crmsync_id", "ok-3"), ("lastname", "W"))),
        ], CancellationToken.None);
        d.Http.VerifyAllConsumed();
        Assert.Equal(["InvalidKey", "MissingKey", "FieldNotFound", "InvalidLookup"], results.Take(4).Select(r => Assert.Single(r.Errors).Code));
        Assert.True(results[4].Success);
        Assert.Single(DynamicsFixtures.RequestLines(d.Http.Requests[^1].BodyText));
        await Assert.ThrowsAsync<CrmSyncException>(() => d.Client.Writer.UpsertAsync("lead", "new_missing", [new CrmRecordChange(null, Values(("new_missing", "1")))], CancellationToken.None));
    }

    [Fact]
    public async Task The_recorded_continue_on_error_answer_maps_to_per_row_results_in_order()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.BatchHttpResponse("batch-response-continue-on-error.http"));
        var results = await d.Client.Writer.UpdateAsync("task",
        [
            new CrmRecordChange(Lead1, Values(("subject", new string('x', 201)))),
            new CrmRecordChange(Lead2, Values(("subject", "ok"))),
            new CrmRecordChange(Account1, Values(("subject", "ok"))),
        ], CancellationToken.None);
        d.Http.VerifyAllConsumed();
        Assert.Equal([false, true, true], results.Select(r => r.Success));
        var error = Assert.Single(results[0].Errors);
        Assert.Equal("0x80044331", error.Code);
        Assert.Contains("exceeded the maximum allowed length of '200'", error.Message);
        Assert.Equal(["subject"], error.Fields);
        Assert.False(results[0].IsTransientFailure);
        Assert.Equal([0, 1, 2], results.Select(r => r.Index));
    }

    [Fact]
    public async Task A_batch_stopped_at_its_first_error_leaves_every_row_to_retry()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.BatchHttpResponse("batch-response-error-400-stop-on-error.http"));
        var results = await d.Client.Writer.UpdateAsync("task",
            [new CrmRecordChange(Lead1, Values(("subject", "a"))), new CrmRecordChange(Lead2, Values(("subject", "b")))], CancellationToken.None);
        Assert.All(results, r => Assert.True(r.IsTransientFailure));
        Assert.All(results, r => Assert.Equal("0x80044331", r.Errors[0].Code));
    }

    [Fact]
    public async Task Throttled_parts_are_transient_and_creates_choose_their_id_so_a_replay_is_harmless()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
        [
            ("204 No Content", null),
            ("412 Precondition Failed", DynamicsFixtures.Text("error-412-upsert-prevent-update.json")),
            // Hand-written: a throttled part (api-limits.md code and message).
            ("429 Too Many Requests", "{\"error\":{\"code\":\"0x80072322\",\"message\":\"Number of requests exceeded the limit of 6000 over time window of 300 seconds.\"}}"),
        ], retryAfterOfLast: "20"));
        var results = await d.Client.Writer.CreateAsync("lead",
        [
            new CrmRecordChange(null, Values(("lastname", "A"))),
            new CrmRecordChange(Lead2, Values(("lastname", "B"))),
            new CrmRecordChange(null, Values(("leadid", Lead1), ("lastname", "C"))),
        ], CancellationToken.None);

        d.Http.VerifyAllConsumed();
        var lines = DynamicsFixtures.RequestLines(d.Http.Requests[^1].BodyText);
        Assert.All(lines, l => Assert.Equal("PATCH", l.Method));
        Assert.Matches("^/api/data/v9.2/leads\\([0-9a-f-]{36}\\)$", lines[0].Target);
        Assert.Equal($"/api/data/v9.2/leads({Lead2})", lines[1].Target);
        Assert.Equal($"/api/data/v9.2/leads({Lead1})", lines[2].Target);
        Assert.DoesNotContain("\"leadid\"", d.Http.Requests[^1].BodyText);
        Assert.Equal(3, DynamicsFixtures.RequestParts(d.Http.Requests[^1]).Count(p => p.Contains("If-None-Match: *\r\n", StringComparison.Ordinal)));

        Assert.True(results[0].Success);
        Assert.Equal(lines[0].Target[^37..^1], results[0].Id);
        Assert.True(results[1].Success); // 412: our earlier attempt created it
        Assert.Equal(Lead2, results[1].Id);
        Assert.True(results[2].IsTransientFailure);
        Assert.Equal("0x80072322", results[2].Errors[0].Code);
        Assert.EndsWith("(Retry-After: 20 s)", results[2].Errors[0].Message);
    }

    [Fact]
    public async Task Deletes_treat_a_gone_row_as_done_and_large_inputs_are_split_into_batches_of_100()
    {
        using var d = SignedIn();
        var ids = Enumerable.Range(0, 101).Select(i => new Guid(i, 0, 0, new byte[8]).ToString()).ToList();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                Enumerable.Range(0, 100).Select(i => i == 5 ? ("404 Not Found", DynamicsFixtures.Text("error-404-upsert-prevent-create.json")) : ("204 No Content", (string?)null)).ToArray()))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("403 Forbidden", "{\"error\":{\"code\":\"0x80040220\",\"message\":\"Principal user is missing prvDeleteLead privilege.\"}}")));

        var results = await d.Client.Writer.DeleteAsync("lead", ids, CancellationToken.None);

        d.Http.VerifyAllConsumed();
        Assert.Equal(100, DynamicsFixtures.RequestLines(d.Http.Requests[2].BodyText).Count);
        Assert.Equal(("DELETE", $"/api/data/v9.2/leads({ids[100]})"), Assert.Single(DynamicsFixtures.RequestLines(d.Http.Requests[3].BodyText)));
        Assert.Equal(100, results.Take(100).Count(r => r.Success));
        Assert.False(results[100].Success);
        Assert.Equal("0x80040220", results[100].Errors[0].Code);
        d.AssertWebApiHeadersOnEveryCall();
    }

    [Fact]
    public async Task A_throttled_batch_is_retried_whole_after_retry_after_because_every_part_is_idempotent()
    {
        using var d = SignedIn(new CrmResilienceOptions { MaxRetryAttempts = 2, UseJitter = false, MinimumThroughput = 100 });
        await d.Client.Session.LoginAsync(CancellationToken.None);
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", (HttpStatusCode)429,
                "{\"error\":{\"code\":\"0x80072326\",\"message\":\"Number of concurrent requests exceeded the limit of 52.\"}}",
                configure: r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(9)))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(("204 No Content", null)));

        var call = d.Client.Writer.UpdateAsync("lead", [new CrmRecordChange(Lead1, Values(("lastname", "Z")))], CancellationToken.None);
        await d.Time.WaitForPendingTimerAsync(TimeSpan.FromSeconds(9));
        d.Time.Advance(TimeSpan.FromSeconds(9));
        var results = await call;

        d.Http.VerifyAllConsumed();
        Assert.True(Assert.Single(results).Success);
        Assert.Equal(d.Http.Requests[^2].BodyText, d.Http.Requests[^1].BodyText);
        Assert.Equal(d.Http.Requests[^2].Header("Content-Type"), d.Http.Requests[^1].Header("Content-Type"));
    }

    [Fact]
    public void Key_literals_are_quoted_escaped_or_refused()
    {
        Assert.Null(DataverseRecordWriter.KeyLiteral("O'Brien &"));
        Assert.Equal("'O''Brien%20Co'", DataverseRecordWriter.KeyLiteral("O'Brien Co"));
        Assert.Equal("42", DataverseRecordWriter.KeyLiteral(42L));
        Assert.Null(DataverseRecordWriter.KeyLiteral("50%"));
    }
}
