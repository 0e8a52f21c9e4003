namespace CrmSync.Engine.Sync;

/// <summary>How loud a sync event is: hosts map Verbose to Write-Verbose and Warning to Write-Warning.</summary>
public enum SyncEventLevel
{
    Verbose,
    Warning,
}

/// <summary>Something a cycle wants the user to know. Messages never contain secrets.</summary>
/// <param name="ObjectName">The CRM object the event is about, or null for the cycle.</param>
public sealed record SyncEvent(SyncEventLevel Level, string Message, string? ObjectName = null);

/// <summary>
/// Receives a cycle's events. Called on the engine's thread: a PowerShell host queues them and writes them from its
/// pipeline thread (CommandHostPump).
/// </summary>
public interface ISyncEventSink
{
    void Report(SyncEvent syncEvent);
}
