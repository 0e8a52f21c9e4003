using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>Incremental reads after CRM-side changes: equal stamps, commit lag inside the overlap, deletes, merges, conversions, batches.</summary>
public sealed class IncrementalReadTests
{
    private static readonly string[] LeadFields = ["LastName", "Title", "Email", "IsConverted", "ConvertedContactId", "ConvertedAccountId"];

    private static async Task<List<CrmRecordPage>> ChangesAsync(TestClient test, CrmChangeReadRequest request) =>
        await FullReadTests.CollectAsync(test.Changes.ReadChangesAsync(request, CancellationToken.None));

    [Fact]
    public async Task Equal_stamps_across_pages_and_a_late_commit_inside_the_overlap_are_all_read()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 700 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var initial = await FullReadTests.CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, LeadFields) { Strategy = CrmFullReadStrategy.Paged }, CancellationToken.None));
        var w0 = initial[^1].Watermark!;

        // An hour later a CRM user updates 450 leads within one frozen instant: they all share one SystemModstamp.
        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var all = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        var updated = all.Where((_, i) => i % 3 != 0).Take(450).ToList();
        foreach (var id in updated)
            emulator.Host.Data.Update("Lead", id, new Dictionary<string, object?> { ["Title"] = "Wave 1" });
        var stamps = updated.Select(id => emulator.Host.Data.Get("Lead", id)!["SystemModstamp"]).Distinct().ToList();
        Assert.Single(stamps);

        var pages = await ChangesAsync(test, new CrmChangeReadRequest(lead, LeadFields) { Since = w0, PageSize = 200 });

        var read = pages.SelectMany(p => p.Records).ToList();
        Assert.Equal(3, pages.Count);
        Assert.Equal(read.Count, read.Select(r => r.Id).Distinct().Count());
        Assert.Subset(read.Select(r => r.Id).ToHashSet(), updated.ToHashSet());
        // Besides them, only what the 5-minute overlap before the old watermark re-reads (the watermark's own record).
        var lastSeeded = initial.SelectMany(p => p.Records).Max(r => r.ModifiedAt)!.Value;
        var extra = read.Where(r => !updated.Contains(r.Id)).ToList();
        Assert.All(extra, r => Assert.InRange(r.ModifiedAt!.Value, lastSeeded - TimeSpan.FromMinutes(5), lastSeeded));
        Assert.True(extra.Count <= 1);
        read = read.Where(r => updated.Contains(r.Id)).ToList();
        Assert.All(read, r => Assert.Equal("Wave 1", r.Values["Title"]));
        var w1 = pages[^1].Watermark!;
        Assert.NotEqual(w0, w1);

        // A record whose change committed late: its stamp is two minutes older than the watermark's (inside the 5-minute overlap).
        var late = all.First(id => !updated.Contains(id));
        var lateStamp = ((DateTime)stamps[0]!).AddMinutes(-2);
        var outcome = emulator.Host.Org.Store.Update(emulator.Host.Org.Store.Definition("Lead")!, late,
            new Dictionary<string, object?> { ["Title"] = "Late commit", ["SystemModstamp"] = lateStamp },
            new WriteContext(emulator.Host.Org.AdminUser.Id, System: true));
        Assert.True(outcome.Success);

        var withOverlap = (await ChangesAsync(test, new CrmChangeReadRequest(lead, LeadFields) { Since = w1 })).SelectMany(p => p.Records).ToList();
        var withoutOverlap = (await ChangesAsync(test, new CrmChangeReadRequest(lead, LeadFields) { Since = w1, Overlap = TimeSpan.Zero }))
            .SelectMany(p => p.Records).ToList();

        var lateRecord = Assert.Single(withOverlap, r => r.Id == late);
        Assert.Equal("Late commit", lateRecord.Values["Title"]);
        Assert.Equal(new DateTimeOffset(lateStamp, TimeSpan.Zero), lateRecord.ModifiedAt);
        Assert.DoesNotContain(withoutOverlap, r => r.Id == late);
        // Re-reading the overlap is harmless: the same 450 records again, never a record older than the window.
        Assert.Equal(451, withOverlap.Count);
    }

    [Fact]
    public async Task A_watermark_never_moves_backwards_when_only_overlap_records_come_back()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 50 });
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var ids = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        emulator.Host.Data.Update("Lead", ids[0], new Dictionary<string, object?> { ["Title"] = "A" });
        emulator.Clock.Advance(TimeSpan.FromMinutes(10));
        emulator.Host.Data.Update("Lead", ids[1], new Dictionary<string, object?> { ["Title"] = "B" });
        var first = await ChangesAsync(test, new CrmChangeReadRequest(lead, LeadFields) { Since = null });
        var w = first[^1].Watermark!;

        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var again = await ChangesAsync(test, new CrmChangeReadRequest(lead, LeadFields) { Since = w });

        // Only ids[1] (the watermark's own record) is inside the overlap; the watermark stays where it was.
        Assert.Equal([ids[1]], again.SelectMany(p => p.Records).Select(r => r.Id));
        Assert.Equal(w, again[^1].Watermark);
    }

    [Fact]
    public async Task One_composite_call_reads_every_synced_object_with_deletes_merges_and_conversions()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan
        {
            Leads = 120, Contacts = 60, Accounts = 20, Opportunities = 10, Campaigns = 3, Members = 15, Tasks = 10, Events = 10, Custom = 10,
        });
        var test = emulator.CreateClient();
        var schemas = new List<CrmObjectSchema>();
        foreach (var name in SchemaTests.SyncedObjects)
            schemas.Add(await test.Schema.DescribeAsync(name, CancellationToken.None));
        CrmChangeReadRequest Request(CrmObjectSchema s, CrmWatermark? since) =>
            new(s, s.Name == "Lead" ? LeadFields : s.Fields.Where(f => f.Type != CrmFieldType.Other).Select(f => f.Name).Take(12).ToList()) { Since = since };

        var composites = test.Wire.Count("/composite");
        var initial = await test.Changes.ReadChangesBatchAsync(schemas.Select(s => Request(s, null)).ToList(), CancellationToken.None);
        Assert.Equal(composites + 1, test.Wire.Count("/composite"));
        Assert.All(initial, i => Assert.Null(i.Error));
        Assert.All(initial, i => Assert.False(i.Page!.HasMore));
        Assert.Equal(120, initial.Single(i => i.Request.Object.Name == "Lead").Page!.Records.Count);
        var watermarks = initial.ToDictionary(i => i.Request.Object.Name, i => i.Page!.Watermark);
        Assert.All(watermarks, w => Assert.NotNull(w.Value));

        // An idle cycle: one API call for all eleven objects.
        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var usedBefore = emulator.Host.Org.Usage.Used;
        var wireBefore = test.Wire.Requests.Count;
        var idle = await test.Changes.ReadChangesBatchAsync(schemas.Select(s => Request(s, watermarks[s.Name])).ToList(), CancellationToken.None);
        Assert.Equal(1, emulator.Host.Org.Usage.Used - usedBefore);
        Assert.Equal(wireBefore + 1, test.Wire.Requests.Count);
        Assert.All(idle, i => Assert.Null(i.Error));
        Assert.Equal(11, idle.Count);

        // CRM-side changes: an update, a delete, a merge and a conversion.
        var leads = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        var contactId = (string)emulator.Host.Data.List("Contact")[5]["Id"]!;
        emulator.Clock.Advance(TimeSpan.FromMinutes(10));
        emulator.Host.Data.Update("Lead", leads[0], new Dictionary<string, object?> { ["Title"] = "Changed in CRM" });
        emulator.Host.Data.Delete("Contact", contactId);
        var merge = emulator.Host.Data.Merge("Lead", leads[1], leads[2]);
        var conversion = emulator.Host.Data.ConvertLead(new LeadConvertRequest { LeadId = leads[3], DoNotCreateOpportunity = true });
        emulator.Clock.Advance(TimeSpan.FromMinutes(2));

        usedBefore = emulator.Host.Org.Usage.Used;
        wireBefore = test.Wire.Requests.Count;
        var changed = await test.Changes.ReadChangesBatchAsync(schemas.Select(s => Request(s, watermarks[s.Name])).ToList(), CancellationToken.None);
        Assert.True(emulator.Host.Org.Usage.Used - usedBefore <= 2);
        Assert.Equal(wireBefore + 1, test.Wire.Requests.Count);
        Assert.All(changed, i => Assert.Null(i.Error));

        var leadPage = changed.Single(i => i.Request.Object.Name == "Lead").Page!;
        Assert.Equal("Changed in CRM", leadPage.Records.Single(r => r.Id == leads[0]).Values["Title"]);
        var loser = leadPage.Records.Single(r => r.Id == leads[2]);
        Assert.True(loser.IsDeleted);
        Assert.Equal(leads[1], loser.MergedIntoId);
        Assert.Contains(leadPage.Records, r => r.Id == leads[1] && !r.IsDeleted);
        var converted = leadPage.Records.Single(r => r.Id == leads[3]);
        Assert.Equal(true, converted.Values["IsConverted"]);
        Assert.Equal(conversion.ContactId, converted.Values["ConvertedContactId"]);
        Assert.Equal(conversion.AccountId, converted.Values["ConvertedAccountId"]);
        Assert.Equal(merge.Id, leads[1]);

        var contactPage = changed.Single(i => i.Request.Object.Name == "Contact").Page!;
        var deleted = contactPage.Records.Single(r => r.Id == contactId);
        Assert.True(deleted.IsDeleted);
        Assert.Null(deleted.MergedIntoId);
        Assert.Contains(contactPage.Records, r => r.Id == conversion.ContactId && !r.IsDeleted);
        Assert.Contains(changed.Single(i => i.Request.Object.Name == "Account").Page!.Records, r => r.Id == conversion.AccountId);

        // The same deletions through the /deleted resource.
        var since = TestEmulator.Start;
        var leadDeletions = await test.Changes.ReadDeletionsAsync("Lead", since, CancellationToken.None);
        var contactDeletions = await test.Changes.ReadDeletionsAsync("Contact", since, CancellationToken.None);
        Assert.Equal([leads[2]], leadDeletions.Records.Select(r => r.Id));
        Assert.Equal([contactId], contactDeletions.Records.Select(r => r.Id));
        Assert.False(contactDeletions.MayHaveMissedDeletions);
        Assert.NotNull(contactDeletions.LatestCovered);
        Assert.True(contactDeletions.Records[0].DeletedAt >= since);

        Assert.Equal(emulator.Host.Data.Count("Lead"), await test.Changes.EstimateCountAsync("Lead", CancellationToken.None));
    }

    [Fact]
    public async Task Deletions_older_than_the_delete_log_are_reported_as_possibly_missed()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 5 });
        var test = emulator.CreateClient();
        var id = (string)emulator.Host.Data.List("Lead")[0]["Id"]!;
        emulator.Host.Data.Delete("Lead", id);
        emulator.Clock.Advance(TimeSpan.FromDays(20));

        var result = await test.Changes.ReadDeletionsAsync("Lead", TestEmulator.Start.AddDays(-1), CancellationToken.None);

        Assert.True(result.MayHaveMissedDeletions);
        Assert.Empty(result.Records);
    }

    [Fact]
    public async Task The_updated_resource_lists_ids_changed_in_a_window()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 20 });
        var test = emulator.CreateClient();
        var changes = Assert.IsType<CrmSync.Engine.Crm.Salesforce.SalesforceChangeSource>(test.Changes);
        var ids = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        emulator.Clock.Advance(TimeSpan.FromHours(1));
        var windowStart = emulator.Clock.GetUtcNow();
        emulator.Clock.Advance(TimeSpan.FromMinutes(1));
        emulator.Host.Data.Update("Lead", ids[3], new Dictionary<string, object?> { ["Title"] = "x" });
        emulator.Host.Data.Update("Lead", ids[7], new Dictionary<string, object?> { ["Title"] = "y" });
        emulator.Clock.Advance(TimeSpan.FromMinutes(2));

        var updated = await changes.GetUpdatedIdsAsync("Lead", windowStart, emulator.Clock.GetUtcNow(), CancellationToken.None);

        Assert.Equal(new[] { ids[3], ids[7] }.Order(StringComparer.Ordinal), updated.Ids.Order(StringComparer.Ordinal));
        Assert.NotNull(updated.LatestDateCovered);
    }
}
