using System.Net;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Dynamics;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

/// <summary>
/// The neutral facts the Dataverse adapter fills for the pull and push (issue 13): qualify (ConvertedIntoId /
/// ConvertedFromId), no echo (ModifiedBySyncUser), the Two Options sync filter, list membership writes and a throttled
/// part's Retry-After. Every response here is hand-written in the documented shape (Web API query results, $batch parts,
/// AddMemberList's AddMemberListResponse); the emulator end-to-end versions are in CrmSync.Integration.Tests/Dynamics.
/// </summary>
public sealed class DataverseAdapterFactsTests
{
    private const string Lead1 = "0d9b7c1e-1111-ef11-9f89-000d3a5b7c01";
    private const string Lead2 = "0d9b7c1e-2222-ef11-9f89-000d3a5b7c01";
    private const string Contact1 = "49b0be2e-d01c-ed11-b83e-000d3a572421";
    private const string Contact2 = "49b0be2e-d01c-ed11-b83e-000d3a572422";
    private const string OtherUser = "8f1f6a4e-6f2b-ee11-9965-000d3a5b7c99";
    private const string List1 = "a0000000-0000-4000-8000-000000000001";
    private const string Member1 = "b0000000-0000-4000-8000-000000000001";

    private static readonly string Delta = TestDynamics.Api + "leads?$select=x&$deltatoken=1!01/01/2024";

    /// <summary>lead with statecode, modifiedby, masterid and the sync filter.</summary>
    private static DataverseEntityMetadata Lead()
    {
        var e = TestEntities.Entity("lead", "leads", "leadid", true,
        [
            TestEntities.Field("lastname", CrmFieldType.String, "String"),
            TestEntities.Field("modifiedon", CrmFieldType.DateTime, "DateTime"),
            TestEntities.Field("statecode", CrmFieldType.Picklist, "State"),
            TestEntities.Field("modifiedby", CrmFieldType.Reference, "Lookup", "systemuser"),
            TestEntities.Field("masterid", CrmFieldType.Reference, "Lookup", "lead"),
            TestEntities.Field("new_synctomkto", CrmFieldType.Boolean, "Boolean"),
        ]);
        return e with { Schema = e.Schema with { MergedIntoField = "masterid" } };
    }

    /// <summary>contact with originatingleadid, modifiedby and the sync filter.</summary>
    private static DataverseEntityMetadata Contact() => TestEntities.Entity("contact", "contacts", "contactid", true,
    [
        TestEntities.Field("lastname", CrmFieldType.String, "String"),
        TestEntities.Field("modifiedon", CrmFieldType.DateTime, "DateTime"),
        TestEntities.Field("modifiedby", CrmFieldType.Reference, "Lookup", "systemuser"),
        TestEntities.Field("originatingleadid", CrmFieldType.Reference, "Lookup", "lead"),
        TestEntities.Field("new_synctomkto", CrmFieldType.Boolean, "Boolean"),
    ]);

    private static TestDynamics SignedIn()
    {
        var d = new TestDynamics().ExpectLogin();
        d.Client.Schema.Remember(Lead(), TestEntities.SetNames);
        d.Client.Schema.Remember(Contact(), TestEntities.SetNames);
        return d;
    }

    private static async Task<List<CrmRecordPage>> All(IAsyncEnumerable<CrmRecordPage> pages)
    {
        var list = new List<CrmRecordPage>();
        await foreach (var p in pages) list.Add(p);
        return list;
    }

    private static string LeadRow(string id, int state, string modifiedBy, string? filter) =>
        $"{{\"@odata.etag\":\"W/\\\"100\\\"\",\"leadid\":\"{id}\",\"lastname\":\"L\",\"modifiedon\":\"2024-05-01T10:00:00Z\",\"statecode\":{state},"
        + $"\"_modifiedby_value\":\"{modifiedBy}\",\"_masterid_value\":null,\"new_synctomkto\":{filter ?? "null"}}}";

    private static string Page(string rows) => $"{{\"value\":[{rows}],\"@odata.deltaLink\":\"{Delta}\"}}";

    [Fact]
    public async Task Reads_always_select_modifiedby_and_the_qualify_columns_and_mark_the_sync_users_own_changes()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "contacts?$select=contactid,modifiedon,lastname,new_synctomkto,_modifiedby_value,_originatingleadid_value",
            HttpStatusCode.OK, Page(
                $"{{\"contactid\":\"{Contact1}\",\"modifiedon\":\"2024-05-01T10:00:00Z\",\"lastname\":\"Mine\",\"new_synctomkto\":true,\"_modifiedby_value\":\"{TestDynamics.UserId.ToUpperInvariant()}\",\"_originatingleadid_value\":\"{Lead1}\"}},"
                + $"{{\"contactid\":\"{Contact2}\",\"modifiedon\":\"2024-05-01T10:00:00Z\",\"lastname\":\"Theirs\",\"new_synctomkto\":false,\"_modifiedby_value\":\"{OtherUser}\",\"_originatingleadid_value\":null}}"));

        var page = Assert.Single(await All(d.Client.Changes.ReadAllAsync(new CrmFullReadRequest(Contact().Schema, ["lastname", "new_synctomkto"]), CancellationToken.None)));

        d.Http.VerifyAllConsumed();
        Assert.True(page.Records[0].ModifiedBySyncUser); // WhoAmI's UserId, in any case
        Assert.False(page.Records[1].ModifiedBySyncUser);
        Assert.Equal(Lead1, page.Records[0].ConvertedFromId);
        Assert.Null(page.Records[1].ConvertedFromId);
        Assert.Null(page.Records[0].ConvertedIntoId);
        // The Two Options sync filter is a bool.
        Assert.Equal(true, page.Records[0].Values["new_synctomkto"]);
        Assert.Equal(false, page.Records[1].Values["new_synctomkto"]);
    }

    [Fact]
    public async Task A_qualified_lead_gets_its_contact_from_one_batched_originatingleadid_lookup_per_page()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "leads?$select=leadid,modifiedon,lastname,new_synctomkto,_masterid_value,_modifiedby_value,statecode",
                HttpStatusCode.OK, Page(LeadRow(Lead1, 1, OtherUser, "true") + "," + LeadRow(Lead2, 1, OtherUser, null) + ","
                                        + LeadRow("0d9b7c1e-3333-ef11-9f89-000d3a5b7c01", 0, OtherUser, "false")))
            // Two contacts name Lead1 (the qualify's and a later one): the earlier created wins; Lead2 was qualified without a contact.
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", $"{{\"value\":[{{\"contactid\":\"{Contact2}\",\"_originatingleadid_value\":\"{Lead1}\",\"createdon\":\"2024-05-02T00:00:00Z\"}},"
                           + $"{{\"contactid\":\"{Contact1}\",\"_originatingleadid_value\":\"{Lead1}\",\"createdon\":\"2024-05-01T00:00:00Z\"}}]}}")));

        var page = Assert.Single(await All(d.Client.Changes.ReadAllAsync(new CrmFullReadRequest(Lead().Schema, ["lastname", "new_synctomkto"]), CancellationToken.None)));

        d.Http.VerifyAllConsumed();
        Assert.Equal(4, d.Http.Requests.Count); // token, WhoAmI, the page, one $batch
        var lines = DynamicsFixtures.RequestLines(d.Http.Requests[^1].BodyText);
        Assert.Equal(
            ("GET", $"/api/data/v9.2/contacts?$select=contactid,_originatingleadid_value,createdon&$filter=_originatingleadid_value eq {Lead1} or _originatingleadid_value eq {Lead2}"),
            Assert.Single(lines));
        Assert.Equal(Contact1, page.Records[0].ConvertedIntoId);
        Assert.Null(page.Records[1].ConvertedIntoId);
        Assert.Null(page.Records[2].ConvertedIntoId); // open
        Assert.Equal("1", page.Records[0].Values["statecode"]);
        Assert.Null(page.Records[1].Values["new_synctomkto"]); // empty
    }

    [Fact]
    public async Task A_page_without_qualified_leads_costs_no_lookup_and_many_leads_are_looked_up_in_chunks_of_one_batch()
    {
        using var d = SignedIn();
        var ids = Enumerable.Range(0, DataverseChangeSource.ConvertedLookupChunk + 1).Select(i => new Guid(i, 1, 1, new byte[8]).ToString()).ToList();
        d.Http.Expect(HttpMethod.Get, TestDynamics.Api + "leads?", HttpStatusCode.OK, Page(LeadRow(Lead1, 0, OtherUser, null)))
            .Expect(HttpMethod.Get, TestDynamics.Api + "leads?", HttpStatusCode.OK, Page(string.Join(",", ids.Select(id => LeadRow(id, 1, OtherUser, null)))))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(("200 OK", "{\"value\":[]}"), ("200 OK", "{\"value\":[]}")));

        await All(d.Client.Changes.ReadAllAsync(new CrmFullReadRequest(Lead().Schema, ["lastname"]), CancellationToken.None));
        Assert.Equal(3, d.Http.Requests.Count);
        var pages = await All(d.Client.Changes.ReadAllAsync(new CrmFullReadRequest(Lead().Schema, ["lastname"]), CancellationToken.None));

        d.Http.VerifyAllConsumed();
        Assert.Equal(2, DynamicsFixtures.RequestLines(d.Http.Requests[^1].BodyText).Count);
        Assert.All(pages[0].Records, r => Assert.Null(r.ConvertedIntoId));
    }

    [Fact]
    public async Task Batched_change_reads_look_up_every_qualified_lead_in_one_more_batch()
    {
        using var d = SignedIn();
        var since = new CrmWatermark(Delta);
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", Page(LeadRow(Lead1, 1, TestDynamics.UserId, "true"))),
                ("200 OK", Page($"{{\"contactid\":\"{Contact1}\",\"_originatingleadid_value\":\"{Lead1}\",\"_modifiedby_value\":\"{OtherUser}\"}}"))))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", $"{{\"value\":[{{\"contactid\":\"{Contact1}\",\"_originatingleadid_value\":\"{Lead1}\",\"createdon\":\"2024-05-01T00:00:00Z\"}}]}}")));

        var items = await d.Client.Changes.ReadChangesBatchAsync(
        [
            new CrmChangeReadRequest(Lead().Schema, ["lastname"]) { Since = since },
            new CrmChangeReadRequest(Contact().Schema, ["lastname"]) { Since = since },
        ], CancellationToken.None);

        d.Http.VerifyAllConsumed();
        Assert.Equal(4, d.Http.Requests.Count);
        var lead = Assert.Single(items[0].Page!.Records);
        Assert.Equal(Contact1, lead.ConvertedIntoId);
        Assert.True(lead.ModifiedBySyncUser);
        var contact = Assert.Single(items[1].Page!.Records);
        Assert.Equal(Lead1, contact.ConvertedFromId);
        Assert.False(contact.ModifiedBySyncUser);
    }

    [Fact]
    public async Task A_failed_lookup_fails_the_lead_items_of_a_batched_read_only()
    {
        using var d = SignedIn();
        var since = new CrmWatermark(Delta);
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", Page(LeadRow(Lead1, 1, OtherUser, null))),
                ("200 OK", Page(""))))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("403 Forbidden", "{\"error\":{\"code\":\"0x80040220\",\"message\":\"Principal user is missing prvReadContact privilege.\"}}")));

        var items = await d.Client.Changes.ReadChangesBatchAsync(
        [
            new CrmChangeReadRequest(Lead().Schema, ["lastname"]) { Since = since },
            new CrmChangeReadRequest(Contact().Schema, ["lastname"]) { Since = since },
        ], CancellationToken.None);

        Assert.Equal(ErrorIds.CrmPermissionDenied, items[0].Error!.ErrorId);
        Assert.Null(items[0].Page);
        Assert.NotNull(items[1].Page);
    }

    [Fact]
    public async Task List_members_are_added_with_AddMemberList_in_one_batch_and_an_existing_member_is_a_success()
    {
        using var d = SignedIn();
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", $"{{\"@odata.context\":\"{TestDynamics.Api}$metadata#Microsoft.Dynamics.CRM.AddMemberListResponse\",\"id\":\"{Member1}\"}}"),
                ("412 Precondition Failed", "{\"error\":{\"code\":\"0x80040237\",\"message\":\"Cannot insert duplicate key.\"}}"),
                ("404 Not Found", $"{{\"error\":{{\"code\":\"0x80040217\",\"message\":\"list With Id = {List1} Does Not Exist\"}}}}")))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", "{\"value\":[{\"listmemberid\":\"b0000000-0000-4000-8000-000000000002\"}]}")));

        var results = await d.Client.Writer.CreateAsync("listmember",
        [
            new CrmRecordChange(null, new Dictionary<string, object?> { ["listid"] = List1, ["entityid"] = "contact:" + Contact1 }),
            new CrmRecordChange(null, new Dictionary<string, object?> { ["listid"] = List1, ["entityid"] = Contact2 }),
            new CrmRecordChange(null, new Dictionary<string, object?> { ["listid"] = List1, ["entityid"] = Lead1 }),
            new CrmRecordChange(null, new Dictionary<string, object?> { ["listid"] = List1 }),
        ], CancellationToken.None);

        d.Http.VerifyAllConsumed();
        var add = d.Http.Requests[2];
        Assert.Equal("odata.continue-on-error", add.Header("Prefer"));
        Assert.Equal(("POST", $"/api/data/v9.2/lists({List1})/Microsoft.Dynamics.CRM.AddMemberList"), DynamicsFixtures.RequestLines(add.BodyText)[0]);
        Assert.EndsWith("{\"EntityId\":\"" + Contact1 + "\"}\r\n", DynamicsFixtures.RequestParts(add)[0]);
        Assert.Equal(3, DynamicsFixtures.RequestLines(add.BodyText).Count);
        Assert.Equal(("GET", $"/api/data/v9.2/listmembers?$select=listmemberid&$filter=_listid_value eq {List1} and _entityid_value eq {Contact2}"),
            Assert.Single(DynamicsFixtures.RequestLines(d.Http.Requests[3].BodyText)));

        Assert.True(results[0].Success);
        Assert.Equal(Member1, results[0].Id);
        Assert.True(results[1].Success); // already a member: idempotent on retry
        Assert.Equal("b0000000-0000-4000-8000-000000000002", results[1].Id);
        Assert.False(results[2].Success);
        Assert.Equal("0x80040217", results[2].Errors[0].Code);
        Assert.False(results[3].Success);
        Assert.Equal("InvalidLookup", results[3].Errors[0].Code);
    }

    [Fact]
    public async Task List_members_are_removed_by_disassociating_and_a_missing_membership_is_a_success()
    {
        using var d = SignedIn();
        const string member2 = "b0000000-0000-4000-8000-000000000002";
        const string member3 = "b0000000-0000-4000-8000-000000000003";
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("200 OK", $"{{\"listmemberid\":\"{Member1}\",\"_listid_value\":\"{List1}\",\"_entityid_value\":\"{Contact1}\",\"_entityid_value@Microsoft.Dynamics.CRM.lookuplogicalname\":\"contact\"}}"),
                ("404 Not Found", $"{{\"error\":{{\"code\":\"0x80040217\",\"message\":\"listmember With Id = {member2} Does Not Exist\"}}}}"),
                ("200 OK", $"{{\"listmemberid\":\"{member3}\",\"_listid_value\":\"{List1}\",\"_entityid_value\":\"{Lead1}\",\"_entityid_value@Microsoft.Dynamics.CRM.lookuplogicalname\":\"lead\"}}")))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
                ("204 No Content", null),
                ("404 Not Found", $"{{\"error\":{{\"code\":\"0x80040217\",\"message\":\"lead With Id = {Lead1} is not a member\"}}}}")));

        var results = await d.Client.Writer.DeleteAsync("listmember", [Member1, member2, member3, "nope"], CancellationToken.None);

        d.Http.VerifyAllConsumed();
        var read = d.Http.Requests[2];
        Assert.Equal(("GET", $"/api/data/v9.2/listmembers({Member1})?$select=_listid_value,_entityid_value"), DynamicsFixtures.RequestLines(read.BodyText)[0]);
        Assert.Contains("Prefer: odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\"\r\n", DynamicsFixtures.RequestParts(read)[0]);
        Assert.Equal(
            [("DELETE", $"/api/data/v9.2/lists({List1})/listcontact_association({Contact1})/$ref"), ("DELETE", $"/api/data/v9.2/lists({List1})/listlead_association({Lead1})/$ref")],
            DynamicsFixtures.RequestLines(d.Http.Requests[3].BodyText));
        Assert.Equal([true, true, true, false], results.Select(r => r.Success));
        Assert.Equal([Member1, member2, member3], results.Take(3).Select(r => r.Id));
        Assert.Equal("InvalidId", results[3].Errors[0].Code);
    }

    [Fact]
    public async Task A_membership_cannot_be_updated_or_upserted()
    {
        using var d = SignedIn();
        var update = await d.Client.Writer.UpdateAsync("listmember", [new CrmRecordChange(Member1, new Dictionary<string, object?> { ["listid"] = List1 })], CancellationToken.None);
        var upsert = await d.Client.Writer.UpsertAsync("listmember", "listid", [new CrmRecordChange(null, new Dictionary<string, object?> { ["listid"] = List1 })], CancellationToken.None);
        Assert.Equal("NotSupported", Assert.Single(Assert.Single(update).Errors).Code);
        Assert.False(Assert.Single(upsert).Success);
        Assert.Empty(d.Http.Requests);
    }

    [Fact]
    public async Task A_throttled_part_carries_its_retry_after_as_seconds_or_as_a_date()
    {
        using var d = SignedIn();
        const string throttled = "{\"error\":{\"code\":\"0x80072322\",\"message\":\"Number of requests exceeded the limit of 6000 over time window of 300 seconds.\"}}";
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch([("204 No Content", null), ("429 Too Many Requests", throttled)], retryAfterOfLast: "37"))
            .Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch([("429 Too Many Requests", throttled)],
                retryAfterOfLast: d.Time.GetUtcNow().AddSeconds(90).ToString("r", System.Globalization.CultureInfo.InvariantCulture)));
        d.Client.Schema.Remember(TestEntities.Lead(), TestEntities.SetNames);

        var first = await d.Client.Writer.UpdateAsync("lead",
            [new CrmRecordChange(Lead1, new Dictionary<string, object?> { ["lastname"] = "A" }), new CrmRecordChange(Lead2, new Dictionary<string, object?> { ["lastname"] = "B" })],
            CancellationToken.None);
        var second = await d.Client.Writer.UpdateAsync("lead", [new CrmRecordChange(Lead1, new Dictionary<string, object?> { ["lastname"] = "A" })], CancellationToken.None);

        Assert.Null(first[0].RetryAfter);
        Assert.True(first[1].IsTransientFailure);
        Assert.Equal(TimeSpan.FromSeconds(37), first[1].Errors[0].RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(37), first[1].RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(90), second[0].RetryAfter);
    }

    [Fact]
    public async Task A_batch_stopped_by_a_throttled_part_gives_every_row_its_retry_after()
    {
        using var d = SignedIn();
        d.Client.Schema.Remember(TestEntities.Lead(), TestEntities.SetNames);
        // Hand-written: without continue-on-error honoured, the answer holds only the part that stopped the batch.
        d.Http.Expect(HttpMethod.Post, TestDynamics.Api + "$batch", _ => DynamicsFixtures.HandWrittenBatch(
            [("429 Too Many Requests", "{\"error\":{\"code\":\"0x80072321\",\"message\":\"Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds.\"}}")],
            retryAfterOfLast: "12"));

        var results = await d.Client.Writer.UpdateAsync("lead",
            [new CrmRecordChange(Lead1, new Dictionary<string, object?> { ["lastname"] = "A" }), new CrmRecordChange(Lead2, new Dictionary<string, object?> { ["lastname"] = "B" })],
            CancellationToken.None);

        Assert.All(results, r => Assert.True(r.IsTransientFailure));
        Assert.All(results, r => Assert.Equal(TimeSpan.FromSeconds(12), r.RetryAfter));
        Assert.All(results, r => Assert.Equal("0x80072321", r.Errors[0].Code));
    }

    [Fact]
    public void Retry_after_values_are_read_leniently()
    {
        var now = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        static DataverseBatchResponse Part(string? value) =>
            new(429, value is null ? new Dictionary<string, string>() : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = value }, "", null);
        Assert.Null(DataverseRecordWriter.RetryAfterOf(null, now));
        Assert.Null(DataverseRecordWriter.RetryAfterOf(Part(null), now));
        Assert.Null(DataverseRecordWriter.RetryAfterOf(Part("soon"), now));
        Assert.Equal(TimeSpan.FromSeconds(5), DataverseRecordWriter.RetryAfterOf(Part(" 5 "), now));
        Assert.Equal(TimeSpan.FromSeconds(1.5), DataverseRecordWriter.RetryAfterOf(Part("1.5"), now));
        Assert.Equal(TimeSpan.Zero, DataverseRecordWriter.RetryAfterOf(Part("Wed, 01 May 2024 11:00:00 GMT"), now));
    }

    [Fact]
    public void Membership_ids_are_bare_or_name_their_entity()
    {
        var id = Guid.Parse(Contact1);
        Assert.Equal(id, DataverseListMembership.IdOf(Contact1, null));
        Assert.Equal(id, DataverseListMembership.IdOf("contact:" + Contact1, null));
        Assert.Equal(id, DataverseListMembership.IdOf("list:" + Contact1, "list"));
        Assert.Null(DataverseListMembership.IdOf("systemuser:" + Contact1, null));
        Assert.Null(DataverseListMembership.IdOf("x", null));
        Assert.Null(DataverseListMembership.IdOf(null, null));
    }
}
