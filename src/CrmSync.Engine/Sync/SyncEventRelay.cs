namespace CrmSync.Engine.Sync;

/// <summary>Forwards a cycle's events to the caller's sink and keeps its warnings for the run result.</summary>
public sealed class SyncEventRelay
{
    private readonly ISyncEventSink? _sink;
    private readonly List<string> _warnings = [];
    private readonly object _gate = new();

    internal SyncEventRelay(ISyncEventSink? sink) => _sink = sink;

    /// <summary>A verbose message.</summary>
    public void Verbose(string message, string? objectName = null) => _sink?.Report(new SyncEvent(SyncEventLevel.Verbose, message, objectName));

    /// <summary>A warning (also listed in <see cref="SyncRunResult.Warnings"/>).</summary>
    public void Warning(string message, string? objectName = null)
    {
        lock (_gate)
            _warnings.Add(message);
        _sink?.Report(new SyncEvent(SyncEventLevel.Warning, message, objectName));
    }

    internal IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_gate)
                return _warnings.ToList();
        }
    }
}
