using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>Initial copies of a few thousand seeded leads: paged queries and Bulk API 2.0, complete, without duplicates, resumable.</summary>
[Collection(SeededEmulatorCollection.Name)]
public sealed class FullReadTests(SeededEmulatorFixture fixture)
{
    private static readonly string[] LeadFields = ["FirstName", "LastName", "Email", "Company", "AnnualRevenue", "NumberOfEmployees", "CreatedDate", "IsConverted"];
    private static readonly TimeSpan PollDelays = TimeSpan.FromMinutes(1);

    private TestEmulator Emulator => fixture.Emulator;

    private HashSet<string> LeadIds() =>
        Emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToHashSet(StringComparer.Ordinal);

    internal static async Task<List<CrmRecordPage>> CollectAsync(IAsyncEnumerable<CrmRecordPage> pages, int? take = null)
    {
        var list = new List<CrmRecordPage>();
        await foreach (var page in pages)
        {
            list.Add(page);
            if (list.Count == take) break;
        }
        return list;
    }

    private static void AssertCompleteAndUnique(HashSet<string> expected, IEnumerable<CrmRecordPage> pages)
    {
        var ids = pages.SelectMany(p => p.Records).Select(r => r.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.True(expected.SetEquals(ids), $"read {ids.Count} ids, expected {expected.Count}");
    }

    [Fact]
    public async Task Paged_read_returns_every_lead_once_with_typed_values()
    {
        var test = Emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        var pages = await CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, LeadFields) { Strategy = CrmFullReadStrategy.Paged, PageSize = 400 }, CancellationToken.None));

        AssertCompleteAndUnique(LeadIds(), pages);
        Assert.Equal(8, pages.Count);
        Assert.All(pages[..^1], p => Assert.True(p.HasMore));
        Assert.False(pages[^1].HasMore);
        Assert.NotNull(pages[^1].Watermark);
        Assert.Equal(0, test.Wire.Count("/jobs/query"));
        // Ordered by SystemModstamp then Id, and typed by the describe.
        var records = pages.SelectMany(p => p.Records).ToList();
        Assert.Equal(records.OrderBy(r => r.ModifiedAt).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => r.Id), records.Select(r => r.Id));
        Assert.All(records, r =>
        {
            Assert.Equal("Lead", r.ObjectName);
            Assert.NotNull(r.ModifiedAt);
            Assert.False(r.IsDeleted);
            Assert.IsType<string>(r.Values["LastName"]);
            Assert.IsType<DateTimeOffset>(r.Values["CreatedDate"]);
            Assert.IsType<bool>(r.Values["IsConverted"]);
            Assert.True(r.Values["AnnualRevenue"] is null or decimal);
            Assert.True(r.Values["NumberOfEmployees"] is null or long);
        });
        var sample = records[1234];
        var stored = Emulator.Host.Data.Get("Lead", sample.Id)!;
        Assert.Equal(stored["Email"], sample.Values["Email"]);
        Assert.Equal(stored["Company"], sample.Values["Company"]);
    }

    [Fact]
    public async Task Bulk_read_returns_the_same_leads_as_the_paged_read_and_cleans_up_its_job()
    {
        var test = Emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        var pages = await test.Time.RunAdvancingAsync(CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, LeadFields) { Strategy = CrmFullReadStrategy.Bulk, BulkPageSize = 700 }, CancellationToken.None)), PollDelays);

        AssertCompleteAndUnique(LeadIds(), pages);
        Assert.Equal(5, pages.Count);
        Assert.All(pages, p => Assert.Equal(3000, p.TotalEstimate));
        Assert.All(pages[..^1], p => Assert.Null(p.Watermark));
        Assert.NotNull(pages[^1].Watermark);
        Assert.False(pages[^1].HasMore);
        // The job was polled on the client's clock (first poll InProgress), read by locator, then deleted.
        Assert.Contains(TimeSpan.FromSeconds(1), test.Time.RequestedDelays);
        Assert.Equal(1, test.Wire.Count("/jobs/query", HttpMethod.Post));
        Assert.Equal(5, test.Wire.Count("/results"));
        Assert.Equal(1, test.Wire.Count("/jobs/query", HttpMethod.Delete));
        var records = pages.SelectMany(p => p.Records).ToList();
        Assert.All(records, r => Assert.IsType<DateTimeOffset>(r.Values["CreatedDate"]));
        var sample = records.First(r => r.Values["AnnualRevenue"] is not null);
        Assert.IsType<decimal>(sample.Values["AnnualRevenue"]);
        Assert.Equal(Convert.ToDecimal(Emulator.Host.Data.Get("Lead", sample.Id)!["AnnualRevenue"]), sample.Values["AnnualRevenue"]);
    }

    [Fact]
    public async Task Consecutive_bulk_row_reads_of_one_client_take_turns_with_the_same_two_chunk_buffers()
    {
        // Pinned buffers are only reclaimed by a full collection: a read growing its own would leave them behind for the next.
        var test = Emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var source = Assert.IsType<CrmSync.Engine.Crm.Salesforce.SalesforceChangeSource>(test.Changes);
        var request = new CrmFullReadRequest(lead, LeadFields) { Strategy = CrmFullReadStrategy.Bulk, BulkPageSize = 700 };
        async Task<(int Rows, List<int> IdleDuring)> ReadAsync()
        {
            var rows = 0;
            var idle = new List<int>();
            await foreach (var page in source.ReadAllRowsAsync(request, CancellationToken.None))
            {
                idle.Add(source.Chunks.Idle);
                while (page.Rows!.Read())
                    rows++;
            }
            return (rows, idle);
        }

        var first = await test.Time.RunAdvancingAsync(ReadAsync(), PollDelays);
        Assert.Equal(3000, first.Rows);
        Assert.All(first.IdleDuring, idle => Assert.Equal(0, idle)); // both buffers in use while the read runs
        Assert.Equal(2, source.Chunks.Idle); // and back when it ends
        var buffers = new[] { source.Chunks.Rent(), source.Chunks.Rent() };
        Assert.All(buffers, b => Assert.True(b.Capacity >= b.Length && b.Length > 0)); // they held the read's chunks
        foreach (var b in buffers)
            source.Chunks.Return(b);

        var second = await test.Time.RunAdvancingAsync(ReadAsync(), PollDelays);
        Assert.Equal(3000, second.Rows);
        Assert.All(second.IdleDuring, idle => Assert.Equal(0, idle)); // the second read took the idle ones
        var after = new[] { source.Chunks.Rent(), source.Chunks.Rent() };
        Assert.Equal(buffers.ToHashSet(ReferenceEqualityComparer.Instance), after.ToHashSet(ReferenceEqualityComparer.Instance));
    }

    [Theory]
    [InlineData(1000, true)]
    [InlineData(10_000, false)]
    public async Task Auto_strategy_uses_bulk_at_or_above_the_threshold(long threshold, bool bulk)
    {
        var test = Emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);

        var pages = await test.Time.RunAdvancingAsync(CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, ["LastName"]) { BulkThreshold = threshold, BulkPageSize = 5000 }, CancellationToken.None)), PollDelays);

        AssertCompleteAndUnique(LeadIds(), pages);
        Assert.Equal(bulk ? 1 : 0, test.Wire.Count("/jobs/query", HttpMethod.Post));
    }

    [Fact]
    public async Task A_paged_read_resumes_after_its_last_committed_page_without_repeating_it()
    {
        var test = Emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var request = new CrmFullReadRequest(lead, LeadFields) { Strategy = CrmFullReadStrategy.Paged, PageSize = 400 };

        var first = await CollectAsync(test.Changes.ReadAllAsync(request, CancellationToken.None), take: 3);
        // "Crash" after page 3; a new client (another process) resumes from the committed cursor.
        var resumed = Emulator.CreateClient();
        var rest = await CollectAsync(resumed.Changes.ReadAllAsync(request with { ResumeCursor = first[^1].Cursor }, CancellationToken.None));

        Assert.Equal(1200, first.Sum(p => p.Records.Count));
        AssertCompleteAndUnique(LeadIds(), first.Concat(rest));
        Assert.False(rest[^1].HasMore);
        Assert.NotNull(rest[^1].Watermark);
    }

    [Fact]
    public async Task A_bulk_read_resumes_from_its_locator_in_the_same_job()
    {
        var test = Emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var request = new CrmFullReadRequest(lead, LeadFields) { Strategy = CrmFullReadStrategy.Bulk, BulkPageSize = 1000 };

        var first = await test.Time.RunAdvancingAsync(CollectAsync(test.Changes.ReadAllAsync(request, CancellationToken.None), take: 2), PollDelays);
        var resumed = Emulator.CreateClient();
        var rest = await resumed.Time.RunAdvancingAsync(
            CollectAsync(resumed.Changes.ReadAllAsync(request with { ResumeCursor = first[^1].Cursor }, CancellationToken.None)), PollDelays);

        AssertCompleteAndUnique(LeadIds(), first.Concat(rest));
        Assert.Single(rest);
        Assert.NotNull(rest[^1].Watermark);
        // The resumed read reused the job: it created none and read only the remaining chunk.
        Assert.Equal(0, resumed.Wire.Count("/jobs/query", HttpMethod.Post));
        Assert.Equal(1, resumed.Wire.Count("/results"));
        Assert.Equal(1, resumed.Wire.Count("/jobs/query", HttpMethod.Delete));
    }

    [Fact]
    public async Task EstimateCount_counts_the_live_records()
    {
        var test = Emulator.CreateClient();

        Assert.Equal(Emulator.Host.Data.Count("Lead"), await test.Changes.EstimateCountAsync("Lead", CancellationToken.None));
        Assert.Equal(Emulator.Host.Data.Count("Contact"), await test.Changes.EstimateCountAsync("Contact", CancellationToken.None));
        Assert.Equal(30, await test.Changes.EstimateCountAsync("Invoice__c", CancellationToken.None));
    }
}
