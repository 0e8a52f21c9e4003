using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Record-level warnings of one run (values that no longer fit their column): each becomes a Record-level
/// <see cref="ErrorIds.PulledValueDoesNotFit"/> row in the error log, written in the page's transaction, up to
/// <see cref="SyncOptions.MaxRecordWarningsPerField"/> per object and field; the first of each field is also a warning event,
/// and <see cref="Summaries"/> counts them all.
/// </summary>
internal sealed class RecordWarningLog
{
    private readonly CrmSyncStore _store;
    private readonly long _runId;
    private readonly int _maxPerField;
    private readonly SyncEventRelay _events;
    private readonly Dictionary<(string Object, string Field), long> _counts = new();

    public RecordWarningLog(CrmSyncStore store, long runId, int maxPerField, SyncEventRelay events)
    {
        _store = store;
        _runId = runId;
        _maxPerField = maxPerField;
        _events = events;
    }

    public void Report(SqliteTransaction transaction, SyncedObjectPlan plan, string crmId, PulledField field, string reason)
    {
        var key = (plan.ObjectName, field.FieldName);
        var count = _counts.GetValueOrDefault(key) + 1;
        _counts[key] = count;
        var message = $"{plan.ObjectName}.{field.FieldName} of {crmId} is {reason}; column {plan.TableName}.{field.ColumnName} " +
                      $"was created as {field.ColumnType.ToString().ToUpperInvariant()} and keeps the value as it came.";
        if (count <= _maxPerField)
            _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.PulledValueDoesNotFit, message, _runId, plan.ObjectName,
                null, crmId, RunOperation.PullUpdates.ToString()), transaction);
        if (count == 1)
            _events.Warning($"Values of {plan.ObjectName}.{field.FieldName} no longer fit column {plan.TableName}.{field.ColumnName} " +
                            $"(the CRM changed the field's type); they are stored as they come and listed by {ShellAction.Errors}.", plan.ObjectName);
    }

    public IReadOnlyDictionary<(string Object, string Field), long> Summaries => _counts;
}
