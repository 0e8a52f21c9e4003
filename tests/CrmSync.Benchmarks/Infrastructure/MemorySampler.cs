using System.Diagnostics;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>
/// Samples this process's working set every 25 ms while a measured phase runs (the OS's peak, VmHWM, covers the whole
/// process lifetime, preparation included; this one covers the phase alone).
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Timer _timer;
    private long _peak;
    private long _peakManaged;

    public MemorySampler()
    {
        _peak = Current();
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(25));
    }

    public long Peak
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peak);
        }
    }

    /// <summary>The largest managed heap seen (GC.GetTotalMemory without a collection: live and not yet collected objects).</summary>
    public long PeakManaged => Interlocked.Read(ref _peakManaged);

    /// <summary>CRMSYNC_BENCH_GC=1: a line per second with the managed heap by generation (what the last collection left) and the collection counts.</summary>
    private static readonly bool TraceHeap = Environment.GetEnvironmentVariable("CRMSYNC_BENCH_GC") == "1";
    private int _samples;

    private void Sample()
    {
        if (TraceHeap && Interlocked.Increment(ref _samples) % 40 == 0)
        {
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            static long Mb(long bytes) => bytes >> 20;
            Console.WriteLine($"  heap {Mb(GC.GetTotalMemory(false))} MB now; after the last collection: {Mb(info.HeapSizeBytes)} MB " +
                              $"(committed {Mb(info.TotalCommittedBytes)}; gen0 {Mb(info.GenerationInfo[0].SizeAfterBytes)}, gen1 {Mb(info.GenerationInfo[1].SizeAfterBytes)}, " +
                              $"gen2 {Mb(info.GenerationInfo[2].SizeAfterBytes)}, LOH {Mb(info.GenerationInfo[3].SizeAfterBytes)}, POH {Mb(info.GenerationInfo[4].SizeAfterBytes)}); " +
                              $"collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
        }
        var managed = GC.GetTotalMemory(false);
        if (managed > Interlocked.Read(ref _peakManaged))
            Interlocked.Exchange(ref _peakManaged, managed);
        var now = Current();
        long seen;
        while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
        {
        }
    }

    private static long Current()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    public void Dispose() => _timer.Dispose();
}
