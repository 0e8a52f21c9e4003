using BenchmarkDotNet.Attributes;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;

namespace CrmSync.Benchmarks.Micro;

/// <summary>Parsing one Bulk API 2.0 results chunk of 10,000 leads (about 33 columns, every value quoted) into records.</summary>
[MemoryDiagnoser]
public class BulkCsvParseBenchmarks
{
    private byte[] _chunk = null!;

    [GlobalSetup]
    public void Setup() => _chunk = MicroFixture.BulkCsv(10_000, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Benchmark(Baseline = true, Description = "byte[] parser, a dictionary per record (before)")]
    public int ParseToDictionaries()
    {
        var count = 0;
        foreach (var record in SalesforceJson.ParseBulkCsv(_chunk, MicroFixture.Lead, "Lead"))
            if (record.Id.Length > 0) count++;
        return count;
    }

    [Benchmark(Description = "streaming parser, shared layout (SalesforceBulkCsv)")]
    public int ParseStreaming()
    {
        var count = 0;
        foreach (var record in SalesforceBulkCsv.Read(new MemoryStream(_chunk, writable: false), MicroFixture.Lead, "Lead"))
            if (record.Id.Length > 0) count++;
        return count;
    }
}
