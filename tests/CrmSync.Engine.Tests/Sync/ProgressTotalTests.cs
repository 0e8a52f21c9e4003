using System.Runtime.CompilerServices;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>
/// A paged initial copy reports one total per object: the first one the CRM gave (a later query page's estimate is only what
/// remains, as Salesforce's totalSize of a resumed keyset query is), kept in the checkpoint across a resume, and never below
/// the records done so far.
/// </summary>
public sealed class ProgressTotalTests
{
    [Fact]
    public async Task The_total_of_a_paged_initial_copy_stays_the_first_estimate_across_pages_and_a_resume()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 7; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        var source = new RemainingCountSource(bed.Source);
        var progress = new List<SyncProgress>();
        bed.Source.FailAfterPages = 2; // Lead pages 1 and 2 (4 of 7) commit, the third read fails

        var failed = await Cycle(bed, source, progress);

        Assert.Equal(RunState.Failed, failed.State);
        var checkpoint = bed.Store.Checkpoints.Read("Lead", CheckpointTable.Initial)!;
        Assert.Equal(4, checkpoint.RowsDone);
        Assert.Equal(7, checkpoint.RowsTotal); // not the second page's "5 remaining"
        Assert.Equal([(2L, 7L), (4L, 7L)], LeadCopy(progress));
        Assert.Equal([7L, 5L], source.EstimatesServed("Lead").Take(2)); // the CRM did report what remains

        progress.Clear();
        var resumed = await Cycle(bed, source, progress);

        Assert.True(resumed.State == RunState.Succeeded, resumed.Error?.ToString());
        Assert.Equal([(6L, 7L), (7L, 7L)], LeadCopy(progress)); // the resumed read says 3 then 1 remain
        Assert.All(progress.Where(p => p.Phase == SyncPhase.InitialCopy && p.Total is not null), // the fake has no count of an empty object
            p => Assert.True(p.Done <= p.Total, $"{p.ObjectName}: {p.Done} of {p.Total}"));
        Assert.Equal(100, progress.Last(p => p.ObjectName == "Lead").PercentComplete);
        Assert.Equal(7, bed.Rows("person", "_crm_type = 'Lead'").Count);
    }

    [Fact]
    public async Task Records_added_during_the_copy_raise_the_total_to_what_is_done_and_done_never_exceeds_it()
    {
        using var bed = new SyncTestBed();
        for (var i = 1; i <= 3; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        var source = new RemainingCountSource(bed.Source);
        var added = false;
        bed.Source.BeforePage = page =>
        {
            if (added || page.ObjectName != "Lead") return;
            added = true; // three leads are created in the CRM while the copy reads its first page
            for (var i = 4; i <= 6; i++)
                bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        };
        var progress = new List<SyncProgress>();

        var result = await Cycle(bed, source, progress);

        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        Assert.Equal([(2L, 3L), (4L, 4L), (6L, 6L)], LeadCopy(progress));
        Assert.Equal([3L, 4L, 2L], source.EstimatesServed("Lead"));
        Assert.Equal(6, bed.Rows("person", "_crm_type = 'Lead'").Count);
    }

    [Theory]
    [InlineData(null, null, 0, null)]
    [InlineData(null, 7L, 2, 7L)]
    [InlineData(7L, 5L, 4, 7L)]
    [InlineData(7L, 1L, 7, 7L)]
    [InlineData(3L, 4L, 4, 4L)]
    [InlineData(null, 1L, 6, 6L)]
    [InlineData(5L, null, 2, 5L)]
    public void The_stable_total_keeps_the_first_known_one_and_is_never_below_done(long? known, long? estimate, long done, long? expected) =>
        Assert.Equal(expected, PullPhase.StableTotal(known, estimate, done));

    private static Task<SyncRunResult> Cycle(SyncTestBed bed, RemainingCountSource source, List<SyncProgress> progress) =>
        new SyncOrchestrator(bed.Store, new SourceOverride(bed.Client, source), new SyncOptions { PageSize = 2 })
            .RunCycleAsync(new InlineProgress<SyncProgress>(progress.Add), CancellationToken.None);

    private static List<(long Done, long Total)> LeadCopy(List<SyncProgress> progress) =>
        progress.Where(p => p.ObjectName == "Lead" && p.Phase == SyncPhase.InitialCopy).Select(p => (p.Done, p.Total!.Value)).ToList();

    /// <summary>
    /// The fake CRM, with each full-read page's TotalEstimate turned into what remains of the object from that page on (its
    /// live count less the records already served), the way a Salesforce query page after the first reports it.
    /// </summary>
    private sealed class RemainingCountSource(FakeChangeSource inner) : ICrmChangeSource
    {
        private readonly Dictionary<string, long> _served = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<long>> _estimates = new(StringComparer.OrdinalIgnoreCase);

        public IReadOnlyList<long> EstimatesServed(string objectName) => _estimates.GetValueOrDefault(objectName) ?? [];

        public async IAsyncEnumerable<CrmRecordPage> ReadAllAsync(CrmFullReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var page in inner.ReadAllAsync(request, cancellationToken).ConfigureAwait(false))
            {
                var served = _served.GetValueOrDefault(page.ObjectName);
                var remaining = page.TotalEstimate - served;
                _served[page.ObjectName] = served + page.Records.Count;
                if (remaining is { } r)
                    (_estimates.TryGetValue(page.ObjectName, out var list) ? list : _estimates[page.ObjectName] = []).Add(r);
                yield return page with { TotalEstimate = remaining };
            }
        }

        public IAsyncEnumerable<CrmRecordPage> ReadChangesAsync(CrmChangeReadRequest request, CancellationToken cancellationToken) =>
            inner.ReadChangesAsync(request, cancellationToken);

        public int MaxObjectsPerBatchedRead => inner.MaxObjectsPerBatchedRead;
        public CrmChangeCapabilities Capabilities => inner.Capabilities;

        public Task<IReadOnlyList<CrmChangeBatchItem>> ReadChangesBatchAsync(IReadOnlyList<CrmChangeReadRequest> requests, CancellationToken cancellationToken) =>
            inner.ReadChangesBatchAsync(requests, cancellationToken);

        public Task<CrmDeletionResult> ReadDeletionsAsync(string objectName, DateTimeOffset since, CancellationToken cancellationToken) =>
            inner.ReadDeletionsAsync(objectName, since, cancellationToken);

        public Task<long> EstimateCountAsync(string objectName, CancellationToken cancellationToken) =>
            inner.EstimateCountAsync(objectName, cancellationToken);
    }

    private sealed class SourceOverride(FakeCrmClient inner, ICrmChangeSource changes) : ICrmClient
    {
        public CrmKind Kind => inner.Kind;
        public ICrmSession Session => inner.Session;
        public ICrmSchemaReader Schema => inner.Schema;
        public ICrmChangeSource Changes => changes;
        public ICrmRecordWriter Writer => inner.Writer;
        public Task<CrmApiUsage?> GetApiUsageAsync(CancellationToken cancellationToken) => inner.GetApiUsageAsync(cancellationToken);
        public void Dispose() { }
    }
}
