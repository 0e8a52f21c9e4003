using CrmSync.Engine.Conflicts;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Push;

/// <summary>
/// The push half of a sync cycle (PRODUCT.md, "Pushing" and "Conflicts"): give it to <see cref="SyncOrchestrator"/> as its
/// push phase, and the pull uses it as its <see cref="IPullConflictGuard"/> too.
/// <list type="number">
/// <item>Installs or refreshes the capture triggers (<see cref="ChangeCapture"/>) for the current catalog (they already exist:
/// Sync-CrmField creates them with the tables, and <see cref="PrepareCapture"/> ensures them at the start of every cycle).</item>
/// <item>Drains the outbox: the waiting entries of one row are coalesced into one change (their columns merged); a row
/// whose entry waits for a retry waits as a whole.</item>
/// <item>Persons: a person with a CRM id updates its Lead or Contact with only the changed fields whose rule pushes and that
/// the sync user may update; a person created locally (<c>_crm_id</c> NULL) is upserted as a Lead on the External ID field
/// (<see cref="PushOptions.ExternalIdField"/> = the row's <c>_client_key</c>), with LastName and Company set to
/// <see cref="PushOptions.RequiredFieldPlaceholder"/> where empty. Then campaigns, then campaign members (whose persons and
/// campaigns have their CRM ids by then; a member whose person is not in the CRM yet waits).</item>
/// <item>Before any write, when something is to be created, the External ID field is checked in the CRM's describe; a
/// missing field stops the push with <see cref="ErrorIds.ExternalIdFieldMissing"/>.</item>
/// <item>Batches of up to <see cref="PushOptions.BatchSize"/> (200: one sObject Collections request). Each batch's
/// outcome is committed in one transaction: new CRM ids written back (a marked sync write: no echo), outbox entries done,
/// per-record failures recorded, counts. Transient failures go back to the outbox with exponential backoff (store clock);
/// permanent ones become Record-level <see cref="ErrorIds.RecordPushFailed"/> errors with the CRM's code and message, and
/// the other records go through. A job-level failure (credentials, API limit) throws with the outbox intact.</item>
/// </list>
/// The CRM modification stamp of pushed records is not re-read: it arrives with the next cycle's pull (which brings the
/// pushed record back anyway), so a push costs one request per 200 records and nothing more.
/// </summary>
public sealed class PushPhase : IPushPhase, IPullConflictGuard
{
    private readonly CrmSyncStore _store;
    private readonly PushOptions _options;
    private readonly SyncedObjectCatalog? _objects;
    private readonly PullCollisionArbiter _arbiter;

    /// <summary>A push phase for the profile whose database is <paramref name="store"/>.</summary>
    /// <param name="store">The same store the orchestrator runs on.</param>
    /// <param name="options">Batch size, External ID field, retry backoff; null for the defaults.</param>
    /// <param name="objects">The synced objects; null uses the list of the client's CRM.</param>
    public PushPhase(CrmSyncStore store, PushOptions? options = null, SyncedObjectCatalog? objects = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new PushOptions();
        _options.Validate();
        _objects = objects;
        _arbiter = new PullCollisionArbiter(store);
    }

    /// <summary>Collisions journaled by this phase's pull guard since it was created.</summary>
    public int CollisionCount => _arbiter.CollisionCount;

    /// <inheritdoc />
    public IReadOnlyCollection<string>? ColumnsToKeep(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId, CrmRecord record) =>
        _arbiter.ColumnsToKeep(transaction, plan, rowId, record);

    /// <inheritdoc />
    public bool HasWaitingChanges(SqliteTransaction transaction, SyncedObjectPlan plan, long rowId) =>
        _arbiter.HasWaitingChanges(transaction, plan, rowId);

    /// <inheritdoc />
    public void PrepareCapture(CrmSyncStore store, SyncedObjectCatalog objects)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(objects);
        ChangeCapture.Install(store, PushFieldMap.Read(store, _objects ?? objects, _options.ExternalIdField));
    }

    /// <inheritdoc />
    public async Task RunAsync(SyncCycleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ReferenceEquals(context.Store, _store) && !string.Equals(context.Store.DatabasePath, _store.DatabasePath, StringComparison.Ordinal))
            throw new ArgumentException("The push phase was built for another profile database.", nameof(context));
        var objects = _objects ?? SyncedObjectCatalog.For(context.Client.Kind);
        var map = PushFieldMap.Read(_store, objects, _options.ExternalIdField);
        ChangeCapture.Install(_store, map);
        if (map.Objects.Count == 0)
            return;
        await new PushCycle(context, map, _options).RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
