using CrmSync.Engine.Crm;

namespace CrmSync.Integration.Tests.Infrastructure;

/// <summary>Collects client events and API usage reports synchronously (IProgress without a synchronization context hop).</summary>
internal sealed class EventLog : IProgress<CrmClientEvent>, IProgress<CrmApiUsage>
{
    private readonly object _gate = new();
    private readonly List<CrmClientEvent> _events = [];
    private readonly List<CrmApiUsage> _usage = [];

    public IReadOnlyList<CrmClientEvent> Events
    {
        get
        {
            lock (_gate) return _events.ToList();
        }
    }

    public IReadOnlyList<CrmApiUsage> Usage
    {
        get
        {
            lock (_gate) return _usage.ToList();
        }
    }

    public int CountOf(CrmEventKind kind) => Events.Count(e => e.Kind == kind);

    public void Report(CrmClientEvent value)
    {
        lock (_gate) _events.Add(value);
    }

    public void Report(CrmApiUsage value)
    {
        lock (_gate) _usage.Add(value);
    }
}
