using System.Globalization;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Push;

/// <summary>
/// One push: the outbox drained once, in the provider's push order (persons, then groups), memberships last (see
/// <see cref="PushPhase"/>). The person rules, the membership object and the upserts come from the CRM's provider
/// (<see cref="SyncedObjectCatalog"/>).
/// </summary>
internal sealed class PushCycle
{
    private const string PersonTable = SyncedObjectCatalog.PersonTable;

    private readonly SyncCycleContext _context;
    private readonly CrmSyncStore _store;
    private readonly PushFieldMap _map;
    private readonly PushOptions _options;
    private readonly PushChangeBuilder _builder;
    private readonly PushRowReader _reader;
    private readonly Dictionary<(string Object, string Field), int> _reportedEdits = new();
    private readonly HashSet<string> _checkedExternalIds = new(StringComparer.OrdinalIgnoreCase);
    private long _done;
    private long _total;

    public PushCycle(SyncCycleContext context, PushFieldMap map, PushOptions options)
    {
        _context = context;
        _store = context.Store;
        _map = map;
        _options = options;
        _builder = new PushChangeBuilder(_store, map, options);
        _reader = new PushRowReader(_store, map);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ResetInFlight();
        RecordLocalDeletes();
        var rows = _reader.LoadDueRows();
        if (rows.Count == 0)
            return;
        _total = rows.Count;
        var rules = _map.Catalog;
        var membership = rules.Persons.Membership;
        var groupTable = rules.TableOf(membership?.GroupObject);
        var memberTable = rules.TableOf(membership?.ObjectName);
        bool Is(string table, string? name) => name is not null && string.Equals(table, name, StringComparison.OrdinalIgnoreCase);
        var byTable = rows.GroupBy(r => r.Table, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        var persons = byTable.GetValueOrDefault(PersonTable) ?? [];
        var groups = groupTable is null ? [] : byTable.GetValueOrDefault(groupTable) ?? [];
        var members = memberTable is null ? [] : byTable.GetValueOrDefault(memberTable) ?? [];
        foreach (var other in byTable.Where(p => !Is(p.Key, PersonTable) && !Is(p.Key, groupTable) && !Is(p.Key, memberTable)))
            persons.AddRange(other.Value); // another two-way table: pushed like the groups

        // Everything to be created is checked before the first write of the push.
        var needsKey = new List<string>();
        foreach (var person in rules.Persons.Objects)
        {
            var isCreateKind = string.Equals(person.Kind, rules.Persons.CreateKind, StringComparison.Ordinal);
            if (persons.Any(r => r.Exists && r.CrmId is null && r.MergedInto is null && (r.CrmType == person.Kind || (isCreateKind && r.CrmType is null)))
                && _map.Find(person.ObjectName) is not null)
                needsKey.Add(person.ObjectName);
        }
        if (membership is not null && groups.Any(r => r.Exists && r.CrmId is null) && _map.Find(membership.GroupObject) is not null)
            needsKey.Add(membership.GroupObject);
        await CheckExternalIdFieldAsync(needsKey, cancellationToken).ConfigureAwait(false);

        var first = Classify(persons.Concat(groups).ToList());
        foreach (var group in first.GroupBy(w => (w.Object.ObjectName, w.IsCreate)).OrderBy(g => rules.PushRank(g.Key.ObjectName)).ThenByDescending(g => g.Key.IsCreate))
            await PushAsync(group.Key.ObjectName, group.Key.IsCreate, group.ToList(), cancellationToken).ConfigureAwait(false);
        var second = Classify(members);
        foreach (var group in second.GroupBy(w => (w.Object.ObjectName, w.IsCreate)).OrderByDescending(g => g.Key.IsCreate))
            await PushAsync(group.Key.ObjectName, group.Key.IsCreate, group.ToList(), cancellationToken).ConfigureAwait(false);
        ReportEditSummary();
        ReportWaitingForRetry();
    }

    /// <summary>Says how many local changes back off after a transient failure, until when, and how to retry them now.</summary>
    private void ReportWaitingForRetry()
    {
        var (count, next) = _store.Outbox.CountWaitingForRetry();
        if (count > 0 && next is { } at)
            _context.Events.Warning(string.Create(CultureInfo.InvariantCulture,
                $"{count} local change(s) wait for a retry after a transient failure; the next is due at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (the first cycle after that retries it). {ShellAction.Start.With(ActionParameter.RetryNow)} retries them at once."));
    }

    /// <summary>How the push's failing database writes are worded (a locked database ends the push as DatabaseLocked, as in the pull).</summary>
    private StoreErrors.Wording Wording => new(
        Locked: $"The CrmSync database {_store.DatabasePath} stayed locked by another writer past the busy timeout; the push stopped and what it had not recorded stays in the outbox.",
        LockedAction: "Close the other program writing to the database, then start the sync again; the waiting local changes are pushed then.",
        Failed: $"Recording the push in {_store.DatabasePath} failed",
        FailedAction: "Check the database file and the disk, then start the sync again.");

    // ---- reading the outbox ----

    /// <summary>
    /// An entry left InFlight was being pushed by a cycle that died (this cycle holds the run lock): it is due again (creates
    /// are upserts on their client key, so sending it again never duplicates). Pushed entries older than
    /// <see cref="PushOptions.DoneRetention"/> are deleted.
    /// </summary>
    private void ResetInFlight()
    {
        _store.Outbox.ResetInFlight(_store.Time.GetUtcNow() - _options.DoneRetention);
    }

    /// <summary>
    /// Local DELETEs of rows that were in the CRM (Delete entries written by the capture trigger): nothing is pushed, as in
    /// Marketo (the CRM record stays; if it changes later, the pull brings it back as a new row). Each is counted as
    /// LocalDeletes / Deleted for its object in this cycle, and a warning says how many and what happens to them.
    /// </summary>
    private void RecordLocalDeletes()
    {
        _store.SyncWrite(_context.RunId, transaction =>
        {
            var deleted = _store.Outbox.ListPending(deletes: true, transaction).Select(e => (e.Id, Object: e.CrmObject, e.CrmId)).ToList();
            if (deleted.Count == 0)
                return;
            foreach (var group in deleted.GroupBy(d => d.Object, StringComparer.OrdinalIgnoreCase))
            {
                foreach (var entry in group)
                    _store.Outbox.MarkDone(entry.Id, transaction);
                _context.Counts.Commit(transaction, group.Key, RunOperation.LocalDeletes, new OperationTally { Deleted = group.Count() });
                var sample = string.Join(", ", group.Select(d => d.CrmId).Where(id => id is not null).Take(5));
                _context.Events.Warning(
                    $"{group.Count()} {group.Key} record(s) deleted locally (e.g. {sample}) were not deleted in the CRM: as in Marketo, a local delete is " +
                    "not pushed and the CRM record stays; if it changes in the CRM later, it comes back as a new local row. Delete it in the CRM to remove it for good.",
                    group.Key);
            }
        }, Wording);
    }

    // ---- deciding what to send ----

    private List<PushWorkItem> Classify(List<PushRowChange> rows)
    {
        var items = new List<PushWorkItem>();
        var nothingToDo = new List<(PushRowChange Row, PushedObject? Object, bool IsCreate, IReadOnlyList<(PushedField?, string, string)> NotPushed)>();
        var keys = new List<PushRowChange>();
        var refused = new List<PushRowChange>();
        foreach (var row in rows)
        {
            var obj = _builder.ObjectOf(row);
            if (row.Exists && obj is null && row.CrmId is null && row.MergedInto is null && row.CrmType is not null
                && string.Equals(row.Table, PersonTable, StringComparison.OrdinalIgnoreCase))
            {
                refused.Add(row); // asks for a type that is not synced: refused with a clear error, never created as another type
                continue;
            }
            if (!row.Exists || obj is null || (row.CrmId is null && row.MergedInto is not null))
            {
                // The row is gone, or it gave its CRM id to another row (a collapse): nothing to push.
                nothingToDo.Add((row, obj, false, []));
                continue;
            }
            var isCreate = row.CrmId is null;
            if (isCreate && row.ClientKey is null)
                keys.Add(row);
            var item = isCreate ? _builder.BuildCreate(row, obj) : _builder.BuildUpdate(row, obj);
            if (item is null)
                continue; // waits (a campaign member whose person is not in the CRM yet)
            if (!isCreate && item.Pushed.Count == 0)
            {
                nothingToDo.Add((row, obj, false, item.NotPushed));
                continue;
            }
            items.Add(item);
        }
        if (keys.Count > 0)
        {
            AssignClientKeys(keys);
            items = items.Select(i => i.IsCreate && keys.Contains(i.Row) ? Rebuild(i) : i).ToList();
        }
        if (nothingToDo.Count > 0)
            CommitNothingToDo(nothingToDo);
        if (refused.Count > 0)
            CommitRefusedTypes(refused);
        return items;
    }

    /// <summary>
    /// A person inserted locally with a <c>_crm_type</c> whose object is not synced (no fields of it were created) cannot be
    /// created as asked: its changes fail for good with a Record-level error naming the fix, and nothing is created.
    /// </summary>
    private void CommitRefusedTypes(List<PushRowChange> rows)
    {
        _store.SyncWrite(_context.RunId, transaction =>
        {
            foreach (var group in rows.GroupBy(r => r.CrmType!, StringComparer.OrdinalIgnoreCase))
            {
                foreach (var row in group)
                {
                    var message = $"Local row {row.LocalKey} in {row.Table} asks to be created as a {group.Key} (_crm_type), but {group.Key} is not synced " +
                                  $"({ShellAction.SyncFields} created none of its fields), so it was not created in the CRM (and not as another type).";
                    foreach (var id in row.OutboxIds)
                        _store.Outbox.MarkFailed(id, message, null, transaction);
                    _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, message, _context.RunId,
                        group.Key, row.LocalKey, null, RunOperation.PushNew.ToString()), transaction);
                }
                _context.Counts.Commit(transaction, group.Key, RunOperation.PushNew, new OperationTally { Failed = group.Count() });
                _context.Events.Warning($"{group.Count()} local person(s) ask to be created as {group.Key}, which is not synced: they were not created " +
                                        $"(see {ShellAction.Errors}). Set _crm_type to a synced type (Lead or Contact), or run {ShellAction.SyncFields} with {group.Key} visible to the sync user.",
                    group.Key);
            }
        }, Wording);
        _done += rows.Count;
    }

    private PushWorkItem Rebuild(PushWorkItem item) => _builder.BuildCreate(item.Row, item.Object) ?? item;

    // ---- the External ID field and client keys ----

    private async Task CheckExternalIdFieldAsync(IReadOnlyList<string> objects, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var objectName in objects)
        {
            if (!_checkedExternalIds.Add(objectName))
                continue;
            var schema = await _context.Client.Schema.DescribeAsync(objectName, cancellationToken).ConfigureAwait(false);
            var field = schema.FindField(_map.ExternalIdField);
            if (field is null || !field.ExternalId || !(field.Createable || field.Updateable))
                missing.Add(objectName);
        }
        if (missing.Count == 0)
            return;
        // A person created locally becomes the create kind's object, so the field goes on every person object then.
        var addTo = missing.Contains(_map.Catalog.Persons.CreateObject.ObjectName, StringComparer.OrdinalIgnoreCase)
            ? missing.Concat(_map.Catalog.Persons.Objects.Select(p => p.ObjectName)).Distinct(StringComparer.OrdinalIgnoreCase).ToList()
            : missing;
        throw new CrmSyncException(ErrorIds.ExternalIdFieldMissing, ErrorKind.ObjectNotFound,
            $"The External ID field {_map.ExternalIdField} is missing on {string.Join(" and ", missing)} in the CRM (or the sync user cannot " +
            "write it), so records created locally cannot be pushed without risking duplicates. Nothing was pushed.",
            $"In the CRM, add a custom field {_map.ExternalIdField} (Text(64), External ID, Unique) to {string.Join(" and ", addTo)}, " +
            $"give the sync user edit access to it, then run {ShellAction.Start} again.", _map.ExternalIdField);
    }

    /// <summary>A row created without a client key (before the triggers existed) gets one, committed before anything is sent.</summary>
    private void AssignClientKeys(List<PushRowChange> rows)
    {
        _store.SyncWrite(_context.RunId, transaction =>
        {
            foreach (var row in rows)
            {
                var key = Guid.NewGuid().ToString("N");
                using var update = transaction.Connection!.Command(transaction, $"""
                    UPDATE {SqlIdentifier.Quote(row.Table)} SET "{SystemColumns.ClientKey}" = coalesce("{SystemColumns.ClientKey}", $key)
                    WHERE "{SystemColumns.RowId}" = $row RETURNING "{SystemColumns.ClientKey}";
                    """).With("$key", key).With("$row", row.RowId);
                row.ClientKey = update.ExecuteScalar() as string ?? key;
            }
        }, Wording);
    }

    // ---- sending and committing ----

    private async Task PushAsync(string objectName, bool create, List<PushWorkItem> items, CancellationToken cancellationToken)
    {
        var obj = items[0].Object;
        var writer = _context.Client.Writer;
        var size = Math.Clamp(Math.Min(_options.BatchSize, writer.MaxBatchSize), 1, int.MaxValue);
        var operation = create ? RunOperation.PushNew : RunOperation.PushUpdates;
        var upsert = create && _builder.UsesExternalId(obj);
        foreach (var batch in items.Chunk(size))
        {
            cancellationToken.ThrowIfCancellationRequested();
            MarkInFlight(batch);
            var changes = batch.Select(i => i.Change).ToList();
            IReadOnlyList<CrmWriteResult> results = !create ? await writer.UpdateAsync(objectName, changes, cancellationToken).ConfigureAwait(false)
                : upsert ? await writer.UpsertAsync(objectName, _map.ExternalIdField, changes, cancellationToken).ConfigureAwait(false)
                : await writer.CreateAsync(objectName, changes, cancellationToken).ConfigureAwait(false);
            var byIndex = new Dictionary<int, CrmWriteResult>();
            foreach (var result in results)
                byIndex[result.Index] = result;
            CommitBatch(obj, operation, batch, byIndex);
            _done += batch.Length;
            _context.Heartbeat();
            _context.Progress?.Report(new SyncProgress(objectName, SyncPhase.Push, _done, _total, null, null));
        }
        _context.Events.Verbose($"Pushed {items.Count} {(create ? "new" : "changed")} {objectName} records.", objectName);
    }

    private void MarkInFlight(IEnumerable<PushWorkItem> batch)
    {
        _store.Write(transaction => _store.Outbox.MarkInFlight(batch.SelectMany(i => i.Row.OutboxIds), transaction));
    }

    private void CommitBatch(PushedObject obj, RunOperation operation, IReadOnlyList<PushWorkItem> batch, Dictionary<int, CrmWriteResult> results)
    {
        _store.SyncWrite(_context.RunId, transaction =>
        {
            var tally = new OperationTally();
            var now = _store.Time.GetUtcNow();
            for (var i = 0; i < batch.Count; i++)
            {
                var item = batch[i];
                ReportNotPushed(transaction, item.Object, item.Row, item.NotPushed);
                var result = results.GetValueOrDefault(i);
                if (result is { Success: true } && (!item.IsCreate || !string.IsNullOrEmpty(result.Id)))
                {
                    if (item.IsCreate)
                        WriteBackCreated(transaction, item, result.Id!);
                    Done(transaction, item.Row, item.Pushed);
                    ResolveErrors(transaction, item.Object.ObjectName, item.Row.LocalKey);
                    if (item.IsCreate && result.Created == false) tally.Updated++;
                    else if (item.IsCreate) tally.New++;
                    else tally.Updated++;
                    continue;
                }
                tally.Failed++;
                var errors = result?.Errors ?? [new CrmWriteError("NO_RESULT", "The CRM returned no result for this record.", [], true)];
                var described = string.Join("; ", errors.Select(e => e.Fields.Count > 0 ? $"{e.Code}: {e.Message} ({string.Join(", ", e.Fields)})" : $"{e.Code}: {e.Message}"));
                var attempts = item.Row.Attempts + 1;
                // A throttled record (the CRM said when to come back: a Dataverse part answered 429) was not written: it waits at
                // least that long and does not use up its attempts, so a burst of throttling never turns into a rejection.
                var throttled = result is { IsTransientFailure: true, RetryAfter: not null };
                var transient = (result?.IsTransientFailure ?? true) && (attempts < _options.MaxAttempts || throttled);
                var what = item.IsCreate
                    ? $"New {obj.ObjectName} (local row {item.Row.LocalKey} in {item.Row.Table}, key {item.Row.ClientKey})"
                    : $"{obj.ObjectName} {item.Row.CrmId} (local row {item.Row.LocalKey} in {item.Row.Table})";
                string message;
                if (transient)
                {
                    var wait = Backoff(attempts);
                    if (result?.RetryAfter is { } asked && asked > wait)
                        wait = asked;
                    var retryAt = now + wait;
                    message = $"{what} was not pushed (attempt {attempts}): {described}. It is retried after {retryAt:u}.";
                    foreach (var id in item.Row.OutboxIds)
                        _store.Outbox.MarkFailed(id, Shorten(described), retryAt, transaction);
                }
                else
                {
                    message = $"{what} was rejected by the CRM: {described}";
                    foreach (var id in item.Row.OutboxIds)
                        _store.Outbox.MarkFailed(id, Shorten(described), null, transaction);
                    ForgetBase(transaction, item.Row);
                }
                _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, Shorten(message), _context.RunId,
                    obj.ObjectName, item.Row.LocalKey, item.Row.CrmId, operation.ToString(), errors[0].Code, attempts), transaction);
                if (!transient)
                    _context.Events.Warning(message, obj.ObjectName);
                else
                    _context.Events.Verbose(message, obj.ObjectName);
            }
            _context.Counts.Commit(transaction, obj.ObjectName, operation, tally);
        }, Wording);
    }

    private TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryBaseDelay.Ticks * factor, _options.MaxRetryDelay.Ticks));
        return delay;
    }

    private static string Shorten(string text) => text.Length > 4000 ? text[..4000] + "..." : text;

    /// <summary>
    /// Writes the new CRM id (and, for a person, its kind) into the created row. If the pull already brought the record in as another row
    /// (the CRM accepted an earlier upsert whose local commit was lost), that row gives up the id to the local row, which
    /// takes the CRM values where its own are empty; the other row is kept, marked merged into the record.
    /// </summary>
    private void WriteBackCreated(SqliteTransaction transaction, PushWorkItem item, string crmId)
    {
        var table = SqlIdentifier.Quote(item.Row.Table);
        var columns = new HashSet<string>(_store.SchemaWriter.ReadColumns(item.Row.Table, transaction), StringComparer.OrdinalIgnoreCase);
        var isPerson = columns.Contains(SystemColumns.CrmType);
        long? other;
        using (var find = transaction.Connection!.Command(transaction,
                   $"SELECT \"{SystemColumns.RowId}\" FROM {table} WHERE \"{SystemColumns.CrmId}\" = $id AND \"{SystemColumns.RowId}\" <> $row;")
                   .With("$id", crmId).With("$row", item.Row.RowId))
            other = find.ExecuteScalar() is long found ? found : null;
        var kind = item.Object.Object.PersonKind ?? _map.Catalog.Persons.CreateKind;
        var type = isPerson ? $", \"{SystemColumns.CrmType}\" = '{(kind == PersonKind.Contact ? PersonKind.Contact : PersonKind.Lead)}'" : "";
        var now = SqliteValueConverter.FormatDateTime(_store.Time.GetUtcNow());
        if (other is { } duplicate)
        {
            var merged = columns.Contains(SystemColumns.MergedInto) ? $", \"{SystemColumns.MergedInto}\" = $id" : "";
            Execute(transaction, $"UPDATE {table} SET \"{SystemColumns.CrmId}\" = NULL, \"{SystemColumns.CrmIsDeleted}\" = 1, \"{SystemColumns.SyncedAt}\" = $now{merged} WHERE \"{SystemColumns.RowId}\" = $dup;",
                ("$id", crmId), ("$now", now), ("$dup", duplicate));
            var fill = string.Concat(_map.TableColumns[item.Row.Table].Where(columns.Contains).Select(SqlIdentifier.Quote).Select(c => $", {c} = coalesce(t.{c}, k.{c})"));
            Execute(transaction, $"""
                UPDATE {table} AS t SET "{SystemColumns.CrmId}" = $id{type}, "{SystemColumns.CrmModstamp}" = k."{SystemColumns.CrmModstamp}",
                    "{SystemColumns.CrmCreatedDate}" = coalesce(t."{SystemColumns.CrmCreatedDate}", k."{SystemColumns.CrmCreatedDate}"), "{SystemColumns.SyncedAt}" = $now{fill}
                FROM (SELECT * FROM {table} WHERE "{SystemColumns.RowId}" = $dup) AS k
                WHERE t."{SystemColumns.RowId}" = $row;
                """, ("$id", crmId), ("$now", now), ("$dup", duplicate), ("$row", item.Row.RowId));
            _context.Events.Verbose($"{item.Object.ObjectName} {crmId} had already been pulled as local row {duplicate}; it is now local row {item.Row.LocalKey} again.", item.Object.ObjectName);
        }
        else
        {
            Execute(transaction, $"UPDATE {table} SET \"{SystemColumns.CrmId}\" = $id{type}, \"{SystemColumns.SyncedAt}\" = $now WHERE \"{SystemColumns.RowId}\" = $row;",
                ("$id", crmId), ("$now", now), ("$row", item.Row.RowId));
        }
        // The sync-filter field the builder sent as Yes because the row left it empty (PushChangeBuilder.BuildCreate): the
        // local row says Yes too, so the record's first read brings no difference back.
        if (_map.SyncFilterField is { } filter && item.Object.ByField(filter) is { PushesOnCreate: true, Type: CrmFieldType.Boolean } filterField
            && columns.Contains(filterField.ColumnName))
        {
            var column = SqlIdentifier.Quote(filterField.ColumnName);
            Execute(transaction, $"UPDATE {table} SET {column} = 1 WHERE \"{SystemColumns.RowId}\" = $row AND {column} IS NULL;", ("$row", item.Row.RowId));
        }
        item.Row.CrmId = crmId;
    }

    /// <summary>Marks the row's entries done; the pushed values are what the CRM has now (the base of later collisions).</summary>
    private void Done(SqliteTransaction transaction, PushRowChange row, IReadOnlyDictionary<string, object?> pushed)
    {
        foreach (var id in row.OutboxIds)
            _store.Outbox.MarkDone(id, transaction);
        foreach (var (column, value) in pushed)
            _store.CaptureBase.Set(transaction, row.Table, row.RowId, column, value);
        _store.CaptureBase.ForgetIfSettled(transaction, row.Table, row.RowId);
    }

    private void ForgetBase(SqliteTransaction transaction, PushRowChange row) => _store.CaptureBase.Forget(transaction, row.Table, row.RowId);

    /// <summary>Earlier failures of a record that has now been pushed are resolved.</summary>
    private void ResolveErrors(SqliteTransaction transaction, string objectName, string localKey) =>
        _store.Errors.ResolveRecord(ErrorIds.RecordPushFailed, objectName, localKey, transaction);

    private void CommitNothingToDo(List<(PushRowChange Row, PushedObject? Object, bool IsCreate, IReadOnlyList<(PushedField?, string, string)> NotPushed)> rows)
    {
        _store.SyncWrite(_context.RunId, transaction =>
        {
            foreach (var group in rows.GroupBy(r => r.Object?.ObjectName ?? r.Row.Table))
            {
                var tally = new OperationTally();
                foreach (var (row, obj, _, notPushed) in group)
                {
                    if (obj is not null)
                        ReportNotPushed(transaction, obj, row, notPushed);
                    foreach (var id in row.OutboxIds)
                        _store.Outbox.MarkDone(id, transaction);
                    ForgetBase(transaction, row);
                    tally.Skipped++;
                }
                _context.Counts.Commit(transaction, group.Key, RunOperation.PushUpdates, tally);
            }
        }, Wording);
        _done += rows.Count;
    }

    /// <summary>A local edit of a field that is never pushed is reported (a record-level error), not silently dropped.</summary>
    private void ReportNotPushed(SqliteTransaction transaction, PushedObject obj, PushRowChange row, IReadOnlyList<(PushedField? Field, string Column, string Reason)> notPushed)
    {
        foreach (var (field, column, reason) in notPushed)
        {
            var key = (obj.ObjectName, field?.FieldName ?? column);
            var count = _reportedEdits.GetValueOrDefault(key) + 1;
            _reportedEdits[key] = count;
            if (count > _options.MaxReportedEditsPerField)
                continue;
            _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.LocalEditNotPushed,
                $"The local change of {row.Table}.{column} (local row {row.LocalKey}{(row.CrmId is null ? "" : ", " + obj.ObjectName + " " + row.CrmId)}) " +
                $"is not pushed to the CRM: {reason}. The next change of this field in the CRM overwrites it.",
                _context.RunId, obj.ObjectName, row.LocalKey, row.CrmId, RunOperation.PushUpdates.ToString()), transaction);
        }
    }

    private void ReportEditSummary()
    {
        foreach (var ((objectName, field), count) in _reportedEdits)
            _context.Events.Warning($"{count} local change(s) of {objectName}.{field} were not pushed because the field is not writable by the sync " +
                                    $"(see {ShellAction.Errors}, LocalEditNotPushed).", objectName);
    }

    private static void Execute(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = transaction.Connection!.Command(transaction, sql);
        foreach (var (name, value) in parameters)
            command.With(name, value);
        command.ExecuteNonQuery();
    }
}
