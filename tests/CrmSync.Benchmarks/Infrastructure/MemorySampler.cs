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

    private void Sample()
    {
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
