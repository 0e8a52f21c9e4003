using System.Text;
using BenchmarkDotNet.Attributes;
using CsvHelper;
using nietras.SeparatedValues;

namespace CrmSync.Benchmarks.Micro;

/// <summary>
/// The CSV parsers on one Bulk API 2.0 results chunk of 10,000 leads (every value quoted), each reading every field of
/// every row the cheapest way it offers (no string per cell): CsvHelper 34 as UTF-8 spans (what the initial copy binds
/// into SQLite), Sep and Sylvan as UTF-16 spans (they decode the bytes; binding them would need UTF-16 binds or a
/// re-encode). The checksum sums field lengths so nothing is optimised away.
/// </summary>
[MemoryDiagnoser]
public class CsvParserBenchmarks
{
    private byte[] _chunk = null!;

    [GlobalSetup]
    public void Setup() => _chunk = MicroFixture.BulkCsv(10_000, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Benchmark(Baseline = true, Description = "CsvHelper 34.0.0, UTF-8 spans (GetSpan)")]
    public long CsvHelperUtf8()
    {
        using var csv = CsvReader.Create(new MemoryStream(_chunk, writable: false), new CsvReaderOptions { Separator = ',', HasHeader = true }, leaveOpen: false);
        long sum = 0;
        while (csv.Read())
            for (var i = 0; i < csv.FieldCount; i++)
                sum += csv.GetSpan(i).Length;
        return sum;
    }

    [Benchmark(Description = "Sep 0.18.0, UTF-16 spans")]
    public long Sep()
    {
        using var reader = nietras.SeparatedValues.Sep.Reader(o => o with { Unescape = true, HasHeader = true }).From(new MemoryStream(_chunk, writable: false));
        long sum = 0;
        foreach (var row in reader)
            for (var i = 0; i < row.ColCount; i++)
                sum += row[i].Span.Length;
        return sum;
    }

    [Benchmark(Description = "Sylvan.Data.Csv 1.4.4, UTF-16 spans")]
    public long Sylvan()
    {
        using var text = new StreamReader(new MemoryStream(_chunk, writable: false), Encoding.UTF8);
        using var csv = global::Sylvan.Data.Csv.CsvDataReader.Create(text, new global::Sylvan.Data.Csv.CsvDataReaderOptions { HasHeaders = true });
        long sum = 0;
        while (csv.Read())
            for (var i = 0; i < csv.FieldCount; i++)
                sum += csv.GetFieldSpan(i).Length;
        return sum;
    }
}
