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

    private void Sample()
    {
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
