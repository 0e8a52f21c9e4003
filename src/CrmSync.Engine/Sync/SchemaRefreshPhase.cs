using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Keeps the local schema in step with the CRM on a slow schedule (<see cref="SyncOptions.SchemaRefreshInterval"/>, daily by
/// default), through the Schema API, exactly as Sync-CrmField would without -ExcludeField and -Field (the stored exclusions
/// and the remembered field selection still apply: a new CRM field outside the selection is not created):
/// a new visible field is created locally (permanent) and, for objects already copied, scheduled for a one-time backfill of
/// its values; a field gone from the CRM is marked orphaned and stops syncing (its column stays); a changed type is
/// recorded. Counted per object as SyncSchema (New: fields created, Updated: type changes and restored fields, Deleted:
/// fields orphaned). Costs one list call and one describe per synced object, so only on its schedule.
/// </summary>
internal sealed class SchemaRefreshPhase
{
    /// <summary>The watermark row (object, stream) recording the last refresh.</summary>
    public const string WatermarkObject = "*";
    public const string WatermarkStream = "schema-refresh";

    private readonly SyncCycleContext _context;
    private readonly SyncedObjectCatalog _objects;

    public SchemaRefreshPhase(SyncCycleContext context, SyncedObjectCatalog objects)
    {
        _context = context;
        _objects = objects;
    }

    /// <summary>CRM calls made (the object list and one describe per described object).</summary>
    public long LogicalCalls { get; private set; }

    public static bool IsDue(CrmSyncStore store, TimeSpan? interval)
    {
        if (interval is null)
            return false;
        var last = store.Watermarks.Read(WatermarkObject, WatermarkStream);
        return last is null || store.Time.GetUtcNow() - last.UpdatedAt >= interval.Value;
    }

    /// <summary>Records a refresh (Sync-CrmField right before the first start counts as one).</summary>
    public static void MarkRefreshed(CrmSyncStore store, Microsoft.Data.Sqlite.SqliteTransaction transaction) =>
        store.Watermarks.Commit(transaction, WatermarkObject, WatermarkStream, SqliteValueConverter.FormatDateTime(store.Time.GetUtcNow()), null);

    /// <summary>Refreshes the schema; true when the database changed (the caller re-reads its object plans).</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var store = _context.Store;
        var snapshot = await new CrmSchemaDiscovery(_context.Client.Schema, _objects).DiscoverAsync(null, cancellationToken).ConfigureAwait(false);
        LogicalCalls += 1 + snapshot.Objects.Count + snapshot.Skipped.Count;
        var plan = new FieldSyncPlanner(_objects).Plan(snapshot, FieldSyncState.Read(store), FieldExclusionSet.Empty);
        var changed = false;
        if (plan.HasChanges)
        {
            try
            {
                new FieldSyncApplier(store, _objects).Apply(plan, _context.RunId);
                changed = true;
            }
            catch (CrmSyncException e) when (e.ErrorId == ErrorIds.FieldPlanStale)
            {
                _context.Events.Warning($"The schema refresh was skipped because the fields changed meanwhile ({ShellAction.SyncFields} ran); the next refresh retries.");
                return false;
            }
        }

        var now = SqliteValueConverter.FormatDateTime(store.Time.GetUtcNow());
        store.Write(transaction =>
        {
            foreach (var group in plan.Entries.Where(e => e.ChangesDatabase).GroupBy(e => e.ObjectName, StringComparer.OrdinalIgnoreCase))
            {
                var tally = new OperationTally
                {
                    New = group.Count(e => e.Action == FieldPlanAction.Create),
                    Updated = group.Count(e => e.Action is FieldPlanAction.TypeChanged or FieldPlanAction.Restored),
                    Deleted = group.Count(e => e.Action == FieldPlanAction.Orphaned),
                };
                _context.Counts.Commit(transaction, group.Key, RunOperation.SyncSchema, tally);
                var added = group.Where(e => e.Action is FieldPlanAction.Create or FieldPlanAction.Restored && e.Column is not null).Select(e => e.FieldName).ToList();
                if (added.Count > 0)
                {
                    _context.Events.Verbose($"New fields of {group.Key} are created locally: {string.Join(", ", added)}.", group.Key);
                    if (!PullPhase.NeedsInitialCopy(store, group.Key))
                        PullPhase.ScheduleBackfill(store, transaction, group.Key, added, now);
                }
                foreach (var gone in group.Where(e => e.Action == FieldPlanAction.Orphaned))
                    _context.Events.Warning($"{gone.ObjectName}.{gone.FieldName} is no longer visible in the CRM: it stops syncing and its column {gone.Table}.{gone.Column} is kept.", gone.ObjectName);
                foreach (var retyped in group.Where(e => e.Action == FieldPlanAction.TypeChanged))
                    _context.Events.Warning($"{retyped.ObjectName}.{retyped.FieldName} changed type in the CRM ({retyped.Note}).", retyped.ObjectName);
            }
            MarkRefreshed(store, transaction);
        });
        return changed;
    }
}
