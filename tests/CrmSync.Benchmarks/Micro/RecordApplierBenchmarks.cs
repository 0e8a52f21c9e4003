using BenchmarkDotNet.Attributes;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Sync;

namespace CrmSync.Benchmarks.Micro;

/// <summary>
/// <see cref="RecordApplier"/> applying one page of 2,000 leads in one transaction and committing it, as the pull does
/// (without the checkpoint row): new records (inserts) and the same records again with a newer stamp (updates).
/// </summary>
[MemoryDiagnoser]
public class RecordApplierBenchmarks
{
    private const int PageSize = 2000;
    private MicroFixture _fixture = null!;
    private RecordApplier _applier = null!;
    private List<CrmRecord> _updatePage = null!;
    private long _next;
    private int _stampMinutes;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new MicroFixture();
        _applier = new RecordApplier(_fixture.Plan, _fixture.Store, 0, new RecordWarningLog(_fixture.Store, 0, 100, new SyncEventRelay(null)));
        Apply(MicroFixture.Records(0, PageSize, Stamp()));
        _next = PageSize;
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    private DateTimeOffset Stamp() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(_stampMinutes++);

    [IterationSetup(Target = nameof(ApplyNewPage))]
    public void NextNewPage() => _updatePage = MicroFixture.Records(_next, PageSize, Stamp());

    [IterationSetup(Target = nameof(ApplyChangedPage))]
    public void NextChangedPage() => _updatePage = MicroFixture.Records(0, PageSize, Stamp());

    [Benchmark(Description = "apply 2,000 new leads (insert) + commit")]
    public PageOutcome ApplyNewPage()
    {
        _next += PageSize;
        return Apply(_updatePage);
    }

    [Benchmark(Description = "apply 2,000 changed leads (update) + commit")]
    public PageOutcome ApplyChangedPage() => Apply(_updatePage);

    private PageOutcome Apply(List<CrmRecord> page)
    {
        using var connection = _fixture.Store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var outcome = _applier.Apply(transaction, page);
        transaction.Commit();
        return outcome;
    }
}
