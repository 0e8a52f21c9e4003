using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>Long reads survive expired sessions; deleted rows page through queryAll; many objects split into composite chunks.</summary>
public sealed class SessionDuringReadTests
{
    [Fact]
    public async Task A_paged_read_continues_after_the_session_expires_between_pages()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 1000 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        var ids = new List<string>();
        var pages = 0;
        await foreach (var page in test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, ["LastName"]) { Strategy = CrmFullReadStrategy.Paged, PageSize = 300 }, CancellationToken.None))
        {
            ids.AddRange(page.Records.Select(r => r.Id));
            if (++pages == 2) emulator.Host.ExpireAllSessions();
        }

        Assert.Equal(1000, ids.Distinct().Count());
        Assert.Equal(1000, ids.Count);
        Assert.Equal(2, test.Wire.Logins);
    }

    [Fact]
    public async Task A_bulk_read_continues_after_the_session_expires_between_chunks()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 1000 }, bulkPollsToComplete: 2);
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        async Task<List<string>> ReadAsync()
        {
            var ids = new List<string>();
            var pages = 0;
            await foreach (var page in test.Changes.ReadAllAsync(
                new CrmFullReadRequest(lead, ["LastName"]) { Strategy = CrmFullReadStrategy.Bulk, BulkPageSize = 300 }, CancellationToken.None))
            {
                ids.AddRange(page.Records.Select(r => r.Id));
                if (++pages == 2) emulator.Host.ExpireAllSessions();
            }
            return ids;
        }
        var read = await test.Time.RunAdvancingAsync(ReadAsync(), TimeSpan.FromMinutes(1));

        Assert.Equal(1000, read.Distinct().Count());
        Assert.Equal(1000, read.Count);
        Assert.Equal(2, test.Wire.Logins);
        Assert.Equal(1, test.Wire.Count("/jobs/query", HttpMethod.Post));
    }

    [Fact]
    public async Task Incremental_reads_page_deleted_records_through_queryAll()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 600 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var start = await FullReadTests.CollectAsync(test.Changes.ReadChangesAsync(new CrmChangeReadRequest(lead, ["LastName"]), CancellationToken.None));
        Assert.Equal(600, start.Sum(p => p.Records.Count));
        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var deleted = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).Where((_, i) => i % 2 == 0).Take(250).ToList();
        foreach (var id in deleted) emulator.Host.Data.Delete("Lead", id);

        var pages = await FullReadTests.CollectAsync(test.Changes.ReadChangesAsync(
            new CrmChangeReadRequest(lead, ["LastName"]) { Since = start[^1].Watermark, PageSize = 200 }, CancellationToken.None));
        var withoutDeleted = await FullReadTests.CollectAsync(test.Changes.ReadChangesAsync(
            new CrmChangeReadRequest(lead, ["LastName"]) { Since = start[^1].Watermark, PageSize = 200, IncludeDeleted = false }, CancellationToken.None));

        var records = pages.SelectMany(p => p.Records).Where(r => r.IsDeleted).ToList();
        Assert.True(deleted.ToHashSet().SetEquals(records.Select(r => r.Id)));
        Assert.All(records, r => Assert.Null(r.MergedIntoId));
        Assert.True(test.Wire.Count("/queryAll") >= 2);
        Assert.DoesNotContain(withoutDeleted.SelectMany(p => p.Records), r => r.IsDeleted);
    }

    [Fact]
    public async Task More_than_25_objects_are_read_in_one_composite_call_per_25()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 30 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var requests = Enumerable.Range(0, 30).Select(_ => new CrmChangeReadRequest(lead, ["LastName"])).ToList();

        var items = await test.Changes.ReadChangesBatchAsync(requests, CancellationToken.None);

        Assert.Equal(30, items.Count);
        Assert.All(items, i => Assert.Equal(30, i.Page!.Records.Count));
        Assert.Equal(requests, items.Select(i => i.Request));
        Assert.Equal(2, test.Wire.Count("/composite"));
    }

    [Fact]
    public async Task A_batched_object_with_more_changes_than_a_page_continues_with_its_cursor()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 500, Contacts = 20 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var contact = await test.Schema.DescribeAsync("Contact", CancellationToken.None);

        var items = await test.Changes.ReadChangesBatchAsync(
            [new CrmChangeReadRequest(lead, ["LastName"]) { PageSize = 200 }, new CrmChangeReadRequest(contact, ["LastName"])], CancellationToken.None);
        var leadItem = items[0];
        Assert.True(leadItem.Page!.HasMore);
        Assert.False(items[1].Page!.HasMore);
        var rest = await FullReadTests.CollectAsync(test.Changes.ReadChangesAsync(
            leadItem.Request with { ResumeCursor = leadItem.Page.Cursor }, CancellationToken.None));

        var ids = leadItem.Page.Records.Concat(rest.SelectMany(p => p.Records)).Select(r => r.Id).ToList();
        Assert.Equal(500, ids.Count);
        Assert.Equal(500, ids.Distinct().Count());
    }

    [Fact]
    public async Task The_restricted_user_cannot_read_a_field_it_cannot_see()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 5 });
        var full = emulator.CreateClient();
        var restricted = emulator.CreateClient(emulator.Settings(username: emulator.Host.Credentials.RestrictedUsername));
        var lead = await full.Schema.DescribeAsync("Lead", CancellationToken.None);

        var ex = await Assert.ThrowsAsync<CrmSync.Engine.CrmSyncException>(() => FullReadTests.CollectAsync(restricted.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, ["LastName", "AnnualRevenue"]) { Strategy = CrmFullReadStrategy.Paged }, CancellationToken.None)));

        Assert.Equal(CrmSync.Engine.ErrorIds.CrmRequestFailed, ex.ErrorId);
        Assert.Contains("AnnualRevenue", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bulk_read_whose_job_vanished_restarts_with_a_new_job_and_its_watermark_feeds_incremental_reads()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 900 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var request = new CrmFullReadRequest(lead, ["LastName", "Title"]) { Strategy = CrmFullReadStrategy.Bulk, BulkPageSize = 300 };
        var first = await FullReadTests.CollectAsync(test.Changes.ReadAllAsync(request, CancellationToken.None), take: 1);
        var bulk = Assert.IsType<CrmSync.Engine.Crm.Salesforce.SalesforceChangeSource>(test.Changes).Bulk;
        var jobId = Assert.Single(emulator.Host.Org.BulkJobs.All).Id;
        Assert.True(await bulk.DeleteJobAsync(jobId, CancellationToken.None));

        var rest = await FullReadTests.CollectAsync(test.Changes.ReadAllAsync(request with { ResumeCursor = first[0].Cursor }, CancellationToken.None));

        // The job expired: the copy restarted from the beginning with a new job (re-applying the first page is harmless).
        Assert.Equal(2, test.Wire.Count("/jobs/query", HttpMethod.Post));
        Assert.Equal(900, rest.Sum(p => p.Records.Count));
        Assert.Equal(900, first.Concat(rest).SelectMany(p => p.Records).Select(r => r.Id).Distinct().Count());

        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var changedId = (string)emulator.Host.Data.List("Lead")[400]["Id"]!;
        emulator.Host.Data.Update("Lead", changedId, new Dictionary<string, object?> { ["Title"] = "After the copy" });
        var changes = await FullReadTests.CollectAsync(test.Changes.ReadChangesAsync(
            new CrmChangeReadRequest(lead, ["Title"]) { Since = rest[^1].Watermark }, CancellationToken.None));
        Assert.Equal([changedId], changes.SelectMany(p => p.Records).Select(r => r.Id));
    }

    [Fact]
    public async Task One_failing_object_in_a_batch_does_not_fail_the_others()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 10, Contacts = 10 });
        var full = emulator.CreateClient();
        var restricted = emulator.CreateClient(emulator.Settings(username: emulator.Host.Credentials.RestrictedUsername));
        var lead = await full.Schema.DescribeAsync("Lead", CancellationToken.None);
        var contact = await full.Schema.DescribeAsync("Contact", CancellationToken.None);

        var items = await restricted.Changes.ReadChangesBatchAsync(
            [new CrmChangeReadRequest(lead, ["LastName", "AnnualRevenue"]), new CrmChangeReadRequest(contact, ["LastName"])], CancellationToken.None);

        Assert.Null(items[0].Page);
        Assert.Equal(CrmSync.Engine.ErrorIds.CrmRequestFailed, items[0].Error!.ErrorId);
        Assert.Contains("AnnualRevenue", items[0].Error!.Message, StringComparison.Ordinal);
        Assert.Null(items[1].Error);
        Assert.Equal(emulator.Host.Data.Count("Contact"), items[1].Page!.Records.Count);
    }

    [Fact]
    public async Task A_write_on_an_expired_session_is_replayed_once_after_a_new_login()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 3 });
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        var ids = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        emulator.Host.ExpireAllSessions();

        var results = await test.Writer.UpdateAsync("Lead",
            ids.Select(id => new CrmRecordChange(id, new Dictionary<string, object?> { ["Title"] = "Replayed" })).ToList(), CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Success));
        Assert.Equal(2, test.Wire.Logins);
        Assert.Equal(2, test.Wire.Count("/composite/sobjects", HttpMethod.Patch));
        Assert.All(ids, id => Assert.Equal("Replayed", emulator.Host.Data.Get("Lead", id)!["Title"]));
    }
}
