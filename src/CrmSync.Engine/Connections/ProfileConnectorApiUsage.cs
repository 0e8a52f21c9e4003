using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Records each API usage report of a CRM client into the profile's <see cref="ApiUsageLog"/> and passes it on to the
/// caller's own sink. A store failure (for example the database locked by another writer past the busy timeout) does not
/// fail the CRM call that carried the report: it is reported as a warning event instead.
/// </summary>
internal sealed class StoreApiUsageRecorder : IProgress<CrmApiUsage>
{
    private readonly CrmSyncStore _store;
    private readonly string _source;
    private readonly IProgress<CrmApiUsage>? _next;
    private readonly IProgress<CrmClientEvent>? _events;

    public StoreApiUsageRecorder(CrmSyncStore store, string source, IProgress<CrmApiUsage>? next, IProgress<CrmClientEvent>? events)
    {
        _store = store;
        _source = source;
        _next = next;
        _events = events;
    }

    public void Report(CrmApiUsage value)
    {
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            _store.ApiUsage.Record(Math.Max(0, value.Used), value.Max > 0 ? value.Max : null, _source);
        }
        catch (CrmSyncException e)
        {
            _events?.Report(new CrmClientEvent(CrmEventLevel.Warning, CrmEventKind.Notice,
                $"The API usage reported by the CRM ({value}) could not be recorded in {_store.DatabasePath}: {e.Message}"));
        }
        _next?.Report(value);
    }
}
