using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Counts the HTTP requests a CRM client really sends (every <see cref="CrmEventKind.Request"/> event, retries included)
/// and forwards every event to an optional inner sink. Wire it as <see cref="CrmClientOptions.Events"/> and hand the same
/// instance to <see cref="SyncOrchestrator"/>: the run's API calls are then the real number of requests. End-to-end tests
/// against the emulator read <see cref="Count"/> to check that an idle cycle costs at most two calls.
/// </summary>
public sealed class CrmCallCounter : IProgress<CrmClientEvent>
{
    private readonly IProgress<CrmClientEvent>? _inner;
    private long _count;

    /// <summary>A counter forwarding to <paramref name="inner"/> (may be null).</summary>
    public CrmCallCounter(IProgress<CrmClientEvent>? inner = null) => _inner = inner;

    /// <summary>Requests sent so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Report(CrmClientEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Kind == CrmEventKind.Request)
            Interlocked.Increment(ref _count);
        _inner?.Report(value);
    }
}
