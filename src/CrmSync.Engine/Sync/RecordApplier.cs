using System.Globalization;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>What applying one page did, per operation.</summary>
public sealed class PageOutcome
{
    public OperationTally Updates;
    public OperationTally Deletes;
    public OperationTally Conversions;

    /// <summary>Records taken from the page (applied, skipped or failed).</summary>
    public int Records { get; internal set; }
}

/// <summary>
/// Applies pulled records to an object's table inside the caller's transaction, idempotently, with parameterised SQL
/// whose column names come only from the field catalog (<see cref="SyncedObjectPlan"/>).
/// <list type="bullet">
/// <item>Upsert by <c>_crm_id</c>: a new id is inserted (New), unless its External ID names a local row the sync created in
/// the CRM whose id was never written back (a crash of the push): that row takes the id; a known one is updated (Updated) unless the row already holds
/// the same modification stamp and delete state (Skipped), so applying a record twice changes nothing.</item>
/// <item>Deletes (IsDeleted, from queryAll or the delete log) set <c>_crm_is_deleted = 1</c> and keep the row; a record deleted
/// before it was ever seen locally is Skipped. An undelete in the CRM clears the flag.</item>
/// <item>Merges (a deleted record with MergedIntoId): the winner's values win, a blank (NULL or '') winner column takes the
/// loser's value, the loser is flagged deleted and, where the table has <c>_merged_into</c>, marked merged into the winner.</item>
/// <item>Lead conversion (<see cref="CrmRecord.ConvertedIntoId"/>, filled by the CRM's adapter): see <see cref="ApplyConversion"/>; a
/// record naming the lead it was converted from (<see cref="CrmRecord.ConvertedFromId"/>): see <see cref="ApplyConvertedFrom"/>. Counted as PullConversions.</item>
/// <item>Merge losers are recognised by <see cref="CrmRecord.MergedIntoId"/>, deleted or not (Dataverse keeps the loser deactivated).</item>
/// <item>The sync filter (<see cref="SyncedObjectPlan.SyncFilterField"/>, <see cref="SyncFilterRules"/>): a record set to No is not
/// written (counted Filtered; an existing row goes stale, never deleted); qualify and merge follow Marketo's tables.</item>
/// <item>A record whose last change the CRM says the sync user made (<see cref="CrmRecord.ModifiedBySyncUser"/>) and whose row was
/// pulled before is Skipped: CrmSync's own pushed write is not a CRM change (no echo).</item>
/// <item>A record that cannot be stored (a constraint) becomes a Record-level <see cref="ErrorIds.RecordPullFailed"/> error and
/// the page goes on; a value that no longer fits its column is stored as it comes and reported as
/// <see cref="ErrorIds.PulledValueDoesNotFit"/>.</item>
/// </list>
/// </summary>
public sealed class RecordApplier
{
    private readonly SyncedObjectPlan _plan;
    private readonly CrmSyncStore _store;
    private readonly long _runId;
    private readonly RecordWarningLog _warnings;
    private readonly string _table;
    private readonly LocalRowMerger _rows;
    private readonly string? _crmType;

    private readonly IPullConflictGuard? _guard;

    internal RecordApplier(SyncedObjectPlan plan, CrmSyncStore store, long runId, RecordWarningLog warnings, IPullConflictGuard? guard = null)
    {
        _guard = guard;
        _plan = plan;
        _store = store;
        _runId = runId;
        _warnings = warnings;
        _table = SqlIdentifier.Quote(plan.TableName);
        _rows = new LocalRowMerger(plan);
        _crmType = plan.IsPerson && plan.HasColumn(SystemColumns.CrmType) ? plan.Object.PersonKind : null;
        _keyField = plan.Object.IsTwoWay && plan.HasColumn(SystemColumns.ClientKey)
            ? plan.RequestFields.FirstOrDefault(f => string.Equals(f, plan.ExternalIdField, StringComparison.OrdinalIgnoreCase))
            : null;
    }

    /// <summary>The External ID field the push writes the client key to, when this object pulls it; else null.</summary>
    private readonly string? _keyField;

    /// <summary>The External ID field whose value can adopt a local row (<see cref="AdoptCreatedRow"/>), or null.</summary>
    internal string? KeyField => _keyField;

    /// <summary>The <c>_crm_type</c> of the rows this object writes (person tables), or null.</summary>
    internal string? CrmType => _crmType;

    private sealed record ExistingRow(long RowId, string? Modstamp, bool Deleted, string? MergedInto, string? ConvertedFrom);

    /// <summary>Applies <paramref name="records"/> in <paramref name="transaction"/>; nothing is committed here.</summary>
    public PageOutcome Apply(SqliteTransaction transaction, IReadOnlyList<CrmRecord> records)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(records);
        var outcome = new PageOutcome();
        if (records.Count == 0)
            return outcome;
        var connection = transaction.Connection!;
        var now = SqliteValueConverter.FormatDateTime(_store.Time.GetUtcNow());
        var existing = Lookup(connection, transaction, records.Select(r => r.Id));
        using var insert = RecordCommand.ForInsert(connection, _table, _plan, _crmType is not null);
        using var update = RecordCommand.ForUpdate(connection, _table, _plan, _crmType is not null);

        foreach (var record in records)
        {
            outcome.Records++;
            if (string.IsNullOrEmpty(record.Id))
            {
                RecordFailure(transaction, record, "the CRM returned a record without an id", ref outcome.Updates);
                continue;
            }
            try
            {
                if (_plan.IsPerson && !record.IsDeleted && record.ConvertedIntoId is { } contactId)
                    ApplyConversion(transaction, record, contactId, existing, insert, update, now, ref outcome.Conversions);
                else if (!string.IsNullOrEmpty(record.MergedIntoId))
                    // A merge loser: deleted (Salesforce) or kept deactivated (Dataverse); either way the winner's row takes over.
                    ApplyMerge(transaction, record, record.MergedIntoId!, existing, now, ref outcome.Deletes);
                else if (record.IsDeleted)
                    ApplyUpsert(transaction, record, existing, insert, update, now, deleted: true, ref outcome.Deletes);
                else if (!SyncFilterRules.Syncs(FilterOf(record)))
                    outcome.Updates.Filtered++; // an explicit No: never written (Yes → No leaves the row stale, never deleted)
                else if (_plan.IsPerson && record.ConvertedFromId is { Length: > 0 } leadId)
                {
                    // The first record of a contact whose row was its lead's: the contact's values, the lead's where the contact's are blank.
                    var lead = existing.TryGetValue(record.Id, out var moved) && moved.Modstamp is null && moved.ConvertedFrom == leadId ? moved : null;
                    var snapshot = lead is null ? null : _rows.ReadColumns(transaction, lead.RowId);
                    ApplyUpsert(transaction, record, existing, insert, update, now, deleted: false, ref outcome.Updates);
                    if (snapshot is not null)
                        _rows.FillBlanks(transaction, lead!.RowId, snapshot);
                    ApplyConvertedFrom(transaction, record.Id, leadId, existing, now, ref outcome.Conversions);
                }
                else
                    ApplyUpsert(transaction, record, existing, insert, update, now, deleted: false, ref outcome.Updates);
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 18 or 19 or 20 or 25)
            {
                // Constraint, mismatch, too big, range: this record only. The statement (or the record's savepoint) was rolled back.
                if (record.IsDeleted)
                    RecordFailure(transaction, record, e.Message, ref outcome.Deletes);
                else if (_plan.IsPerson && record.ConvertedIntoId is not null)
                    RecordFailure(transaction, record, e.Message, ref outcome.Conversions);
                else
                    RecordFailure(transaction, record, e.Message, ref outcome.Updates);
            }
        }
        return outcome;
    }

    /// <summary>
    /// Writes only the formula (calculated) columns of rows already present, for the slower formula re-pull. Rows whose
    /// values are unchanged are Skipped; unknown ids (not pulled yet, or a converted lead) are Skipped.
    /// </summary>
    public OperationTally ApplyFormulas(SqliteTransaction transaction, IReadOnlyList<CrmRecord> records, IReadOnlyList<PulledField> formulas)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var tally = new OperationTally();
        if (formulas.Count == 0 || records.Count == 0)
            return tally;
        var set = string.Join(", ", formulas.Select((f, i) => $"{SqlIdentifier.Quote(f.ColumnName)} = $p{i}"));
        var changed = string.Join(" OR ", formulas.Select((f, i) => $"{SqlIdentifier.Quote(f.ColumnName)} IS NOT $p{i}"));
        using var command = transaction.Connection!.Command(transaction,
            $"UPDATE {_table} SET {set}, \"{SystemColumns.SyncedAt}\" = $now WHERE \"{SystemColumns.CrmId}\" = $id AND ({changed});");
        var now = SqliteValueConverter.FormatDateTime(_store.Time.GetUtcNow());
        foreach (var record in records)
        {
            command.Parameters.Clear();
            command.With("$id", record.Id).With("$now", now);
            for (var i = 0; i < formulas.Count; i++)
            {
                var value = SqliteValueConverter.ToStorage(record.Values.GetValueOrDefault(formulas[i].FieldName), formulas[i].ColumnType, out var misfit);
                command.With("$p" + i.ToString(CultureInfo.InvariantCulture), value);
                if (misfit is not null)
                    _warnings.Report(transaction, _plan, record.Id, formulas[i], misfit);
            }
            try
            {
                if (command.ExecuteNonQuery() == 1) tally.Updated++;
                else tally.Skipped++;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 18 or 19 or 20 or 25)
            {
                RecordFailure(transaction, record, e.Message, ref tally);
            }
        }
        return tally;
    }

    /// <summary>Flags the rows of ids from the CRM's delete log as deleted in the CRM (never deletes a row).</summary>
    public OperationTally ApplyDeletedIds(SqliteTransaction transaction, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var tally = new OperationTally();
        using var command = transaction.Connection!.Command(transaction,
            $"UPDATE {_table} SET \"{SystemColumns.CrmIsDeleted}\" = 1, \"{SystemColumns.SyncedAt}\" = $now WHERE \"{SystemColumns.CrmId}\" = $id AND \"{SystemColumns.CrmIsDeleted}\" = 0;");
        var now = SqliteValueConverter.FormatDateTime(_store.Time.GetUtcNow());
        foreach (var id in ids)
        {
            command.Parameters.Clear();
            command.With("$id", id).With("$now", now);
            if (command.ExecuteNonQuery() == 1) tally.Deleted++;
            else tally.Skipped++;
        }
        return tally;
    }

    private void ApplyUpsert(SqliteTransaction transaction, CrmRecord record, Dictionary<string, ExistingRow> existing, RecordCommand insert,
        RecordCommand update, string now, bool deleted, ref OperationTally tally, string? crmIdOverride = null, string? crmTypeOverride = null)
    {
        var id = crmIdOverride ?? record.Id;
        var stamp = record.ModifiedAt is { } m ? SqliteValueConverter.FormatDateTime(m) : null;
        if (!deleted && !existing.ContainsKey(id) && AdoptCreatedRow(transaction, record, id, crmTypeOverride) is { } adopted)
            existing[id] = adopted;
        if (existing.TryGetValue(id, out var row))
        {
            if (row.Deleted == deleted && stamp is not null && row.Modstamp == stamp)
            {
                tally.Skipped++;
                return;
            }
            if (!deleted && record.ModifiedBySyncUser && row.Modstamp is not null && !row.Deleted && crmIdOverride is null)
            {
                // CrmSync's own write coming back (the CRM says the sync user made the last change): not a CRM change (no echo).
                tally.Skipped++;
                return;
            }
            var keep = _guard?.ColumnsToKeep(transaction, _plan, row.RowId, record);
            if (keep is { Count: > 0 })
            {
                // Local changes waiting to be pushed win for these columns (issue 6 decides): a one-off statement without them.
                using var partial = RecordCommand.ForUpdate(transaction.Connection!, _table, _plan, _crmType is not null, new HashSet<string>(keep, StringComparer.OrdinalIgnoreCase));
                Bind(transaction, partial, record, now, deleted, stamp, crmTypeOverride, id);
                partial.Row!.Value = row.RowId;
                partial.ExecuteNonQuery();
            }
            else
            {
                Bind(transaction, update, record, now, deleted, stamp, crmTypeOverride, id);
                update.Row!.Value = row.RowId;
                update.ExecuteNonQuery();
            }
            existing[id] = row with { Modstamp = stamp, Deleted = deleted };
            if (deleted) tally.Deleted++;
            else tally.Updated++;
            return;
        }
        if (deleted)
        {
            tally.Skipped++; // deleted before it was ever pulled: there is no local data to flag
            return;
        }
        Bind(transaction, insert, record, now, deleted, stamp, crmTypeOverride, id);
        insert.ExecuteNonQuery();
        existing[id] = new ExistingRow(LastInsertRowId(transaction), stamp, deleted, null, null);
        tally.New++;
    }

    /// <summary>
    /// A CRM record the sync created itself from a local row, whose id never reached that row (the process was killed
    /// between the CRM's answer and the local commit): its External ID (<see cref="SyncedObjectPlan.ExternalIdField"/>)
    /// equals the row's <c>_client_key</c>. That row IS the record: it takes the CRM id (and type) here, and the caller
    /// updates it as a known row (waiting local changes keep their values by the collision rule), so no second local copy
    /// is ever made. Null when the record carries no key or no local row without a CRM id has it.
    /// </summary>
    private ExistingRow? AdoptCreatedRow(SqliteTransaction transaction, CrmRecord record, string id, string? crmTypeOverride)
    {
        if (_keyField is null || record.Values.GetValueOrDefault(_keyField) is not string { Length: > 0 } key)
            return null;
        using var find = transaction.Connection!.Command(transaction,
            $"SELECT \"{SystemColumns.RowId}\" FROM {_table} WHERE \"{SystemColumns.ClientKey}\" = $key AND \"{SystemColumns.CrmId}\" IS NULL;")
            .With("$key", key);
        if (find.ExecuteScalar() is not long rowId)
            return null;
        if (_crmType is not null)
            Execute(transaction, $"UPDATE {_table} SET \"{SystemColumns.CrmId}\" = $id, \"{SystemColumns.CrmType}\" = $type WHERE \"{SystemColumns.RowId}\" = $row;",
                ("$id", id), ("$type", crmTypeOverride ?? _crmType), ("$row", rowId));
        else
            Execute(transaction, $"UPDATE {_table} SET \"{SystemColumns.CrmId}\" = $id WHERE \"{SystemColumns.RowId}\" = $row;", ("$id", id), ("$row", rowId));
        return new ExistingRow(rowId, null, false, null, null);
    }

    /// <summary>
    /// A lead converted into contact C (<see cref="CrmRecord.ConvertedIntoId"/>) leaves exactly one live person of type Contact for C:
    /// <list type="number">
    /// <item>no row for the lead nor for C: a new person is inserted from the lead's values with <c>_crm_id</c> = C,
    /// <c>_crm_type</c> = Contact, <c>_converted_from_lead_id</c> = the lead id (the contact's own record updates it when it arrives);</item>
    /// <item>only the lead's row: that row becomes the contact (same three columns; its lead values stay until the contact's record arrives);</item>
    /// <item>only C's row: it gets <c>_converted_from_lead_id</c> (Skipped when it already has one: with several leads converted
    /// into one contact, the first lead seen stays recorded);</item>
    /// <item>both rows (the contact arrived first, or the lead was converted into an existing contact): they collapse into the
    /// OLDER local row (smaller <c>_row_id</c>), which keeps its local-only columns. If that is the lead's row, C's row first
    /// gives up its id (<c>_crm_id</c> = NULL, <c>_merged_into</c> = C, <c>_crm_is_deleted</c> = 1), then the lead's row takes
    /// <c>_crm_id</c> = C, type Contact, C's stamps, and every catalogued column takes C's value where C's row has one (the
    /// contact's CRM values win; the lead's value stays where C's is NULL). If C's row is older, it keeps its values, takes
    /// the lead row's value where its own is blank, and records <c>_converted_from_lead_id</c>; the lead's row is marked
    /// <c>_merged_into</c> = C and <c>_crm_is_deleted</c> = 1. No row is ever deleted.</item>
    /// </list>
    /// </summary>
    private void ApplyConversion(SqliteTransaction transaction, CrmRecord lead, string contactId, Dictionary<string, ExistingRow> existing,
        RecordCommand insert, RecordCommand update, string now, ref OperationTally tally)
    {
        var connection = transaction.Connection!;
        var leadFilter = FilterOf(lead);
        if (SyncFilterRules.Syncs(leadFilter) && _plan.SyncFilterField is not null && !IsFilterKnown(transaction, contactId))
        {
            // The contact's filter is not known yet (not read in this pull, no local row): the lead's own values are applied
            // and the contact's own record, which names its lead (ConvertedFromId), decides when it is read: Yes collapses the
            // two into one person of type Contact, No leaves the lead a lead (qualify: lead Yes, contact No).
            ApplyUpsert(transaction, lead, existing, insert, update, now, deleted: false, ref tally);
            return;
        }
        switch (SyncFilterRules.ForQualify(leadFilter, KnownFilter(transaction, contactId)))
        {
            case QualifyOutcome.NothingSynced:
            case QualifyOutcome.NewContactCreated: // the contact's own record makes the new person; a lead row stays as it is
                tally.Filtered++;
                return;
            case QualifyOutcome.LeadUpdatedContactNotSynced:
                ApplyUpsert(transaction, lead, existing, insert, update, now, deleted: false, ref tally);
                return;
        }
        existing.TryGetValue(lead.Id, out var leadRow);
        var contactRow = Lookup(connection, transaction, [contactId]).GetValueOrDefault(contactId);
        if (leadRow is not null && contactRow is not null && leadRow.RowId == contactRow.RowId)
            contactRow = null;

        using var savepoint = new RecordSavepoint(transaction);
        if (leadRow is null && contactRow is null)
        {
            var inserted = new OperationTally();
            ApplyUpsert(transaction, lead, existing, insert, update, now, deleted: false, ref inserted, contactId, PersonKind.Contact);
            _rows.SetConvertedFrom(transaction, existing[contactId].RowId, lead.Id);
            existing.Remove(contactId);
            tally.New++;
        }
        else if (leadRow is null)
        {
            if (contactRow!.ConvertedFrom is not null)
            {
                // Already linked (to this lead, or to the first of several leads converted into the same contact).
                tally.Skipped++;
                savepoint.Release();
                return;
            }
            _rows.SetConvertedFrom(transaction, contactRow.RowId, lead.Id);
            tally.Updated++;
        }
        else if (contactRow is null)
        {
            var ignored = new OperationTally();
            ApplyUpsert(transaction, lead, existing, insert, update, now, deleted: false, ref ignored);
            _rows.MoveToContact(transaction, leadRow.RowId, lead.Id, contactId, now);
            // No stamp of the contact yet: its own first record fills only where it has values (see Apply).
            Execute(transaction, $"UPDATE {_table} SET \"{SystemColumns.CrmModstamp}\" = NULL WHERE \"{SystemColumns.RowId}\" = $row;", ("$row", leadRow.RowId));
            existing.Remove(lead.Id);
            tally.Updated++;
        }
        else if (leadRow.Deleted && leadRow.MergedInto == contactId)
        {
            tally.Skipped++; // collapsed into the contact's row before
            savepoint.Release();
            return;
        }
        else
        {
            _rows.CollapseConversion(transaction, lead.Id, leadRow.RowId, contactId, contactRow.RowId, now);
            existing.Remove(lead.Id);
            tally.Updated++;
        }
        savepoint.Release();
    }

    private void ApplyMerge(SqliteTransaction transaction, CrmRecord loser, string winnerId, Dictionary<string, ExistingRow> existing, string now,
        ref OperationTally tally)
    {
        if (!existing.TryGetValue(loser.Id, out var loserRow))
        {
            tally.Skipped++;
            return;
        }
        var hasMergedInto = _plan.HasColumn(SystemColumns.MergedInto);
        if (loserRow.Deleted && (!hasMergedInto || loserRow.MergedInto == winnerId))
        {
            tally.Skipped++;
            return;
        }
        var connection = transaction.Connection!;
        var winnerRow = existing.GetValueOrDefault(winnerId) ?? Lookup(connection, transaction, [winnerId]).GetValueOrDefault(winnerId);
        using var savepoint = new RecordSavepoint(transaction);
        var winnerSyncs = SyncFilterRules.ForMerge(FilterOf(loser), KnownFilter(transaction, winnerId)) == MergeOutcome.WinnerSyncs;
        if (winnerRow is not null && winnerRow.RowId != loserRow.RowId && winnerSyncs)
            _rows.FillWinner(transaction, loserRow.RowId, winnerRow.RowId);
        var stamp = loser.ModifiedAt is { } m ? SqliteValueConverter.FormatDateTime(m) : loserRow.Modstamp;
        _rows.MarkMerged(transaction, loserRow.RowId, winnerId, stamp, now);
        savepoint.Release();
        existing[loser.Id] = loserRow with { Deleted = true, Modstamp = stamp, MergedInto = winnerId };
        tally.Deleted++;
    }

    /// <summary>
    /// A record the CRM created by converting a lead (<see cref="CrmRecord.ConvertedFromId"/>, e.g. the contact of a Dynamics
    /// qualify), applied after its own upsert: when the lead still has a live row of its own and the lead syncs, the two rows
    /// collapse into one person of type Contact keyed by the contact (<see cref="LocalRowMerger.CollapseConversion"/>: the
    /// contact's values, the lead's where the contact's are blank). This keeps one person when the contact is seen before
    /// the lead's conversion; when the lead comes first, its row already is the contact's and nothing more happens.
    /// </summary>
    private void ApplyConvertedFrom(SqliteTransaction transaction, string contactId, string leadId, Dictionary<string, ExistingRow> existing,
        string now, ref OperationTally tally)
    {
        if (!_plan.HasColumn(SystemColumns.ConvertedFromLeadId) || !existing.TryGetValue(contactId, out var contactRow))
            return;
        var leadRow = Lookup(transaction.Connection!, transaction, [leadId]).GetValueOrDefault(leadId);
        if (leadRow is null || leadRow.RowId == contactRow.RowId)
        {
            if (contactRow.ConvertedFrom is null)
            {
                _rows.SetConvertedFrom(transaction, contactRow.RowId, leadId);
                existing[contactId] = contactRow with { ConvertedFrom = leadId };
            }
            return;
        }
        if (leadRow.Deleted || !SyncFilterRules.Syncs(KnownFilter(transaction, leadId)))
            return; // a deleted lead, or one filtered out (qualify: lead No, contact Yes makes a new person; the lead row stays stale)
        using var savepoint = new RecordSavepoint(transaction);
        _rows.CollapseConversion(transaction, leadId, leadRow.RowId, contactId, contactRow.RowId, now);
        savepoint.Release();
        existing.Remove(contactId); // the survivor may be the lead's row: look it up again if the page has more of it
        tally.Updated++;
    }

    /// <summary>The sync-filter state of a record being applied (<see cref="SyncFilterState.NoField"/> when the object has no filter field).</summary>
    private SyncFilterState FilterOf(CrmRecord record) => SyncFilterRules.Read(record.Values, _plan.SyncFilterField);

    /// <summary>
    /// Filter states of other records read in the same pull (the contact a lead was qualified into, a merge winner), by id;
    /// set by the pull for a batched read.
    /// </summary>
    internal Func<string, SyncFilterState?>? OtherFilters { get; set; }

    /// <summary>
    /// The filter state of another record by id: as read in this pull, else as its local row last stored it, else
    /// <see cref="SyncFilterState.NoField"/> (unknown: only an explicit No keeps a record out).
    /// </summary>
    private SyncFilterState KnownFilter(SqliteTransaction transaction, string id) => KnownFilterOrNull(transaction, id) ?? SyncFilterState.NoField;

    /// <summary>True when the filter state of another record is known: read in this pull, or stored on its local row.</summary>
    private bool IsFilterKnown(SqliteTransaction transaction, string id) => KnownFilterOrNull(transaction, id) is not null;

    /// <summary>As <see cref="KnownFilter"/>, null when the record was neither read in this pull nor has a local row.</summary>
    private SyncFilterState? KnownFilterOrNull(SqliteTransaction transaction, string id)
    {
        if (_plan.SyncFilterField is null)
            return SyncFilterState.NoField;
        if (OtherFilters?.Invoke(id) is { } known)
            return known;
        if (_plan.SyncFilterColumn is not { } column)
            return SyncFilterState.NoField;
        using var command = transaction.Connection!.Command(transaction,
            $"SELECT {SqlIdentifier.Quote(column)} FROM {_table} WHERE \"{SystemColumns.CrmId}\" = $id;").With("$id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return SyncFilterRules.Read(new Dictionary<string, object?> { [column] = reader.IsDBNull(0) ? null : reader.GetValue(0) }, column);
    }

    private void Bind(SqliteTransaction transaction, RecordCommand command, CrmRecord record, string now, bool deleted, string? stamp,
        string? crmTypeOverride, string id)
    {
        command.Id.Value = id;
        command.Deleted.Value = deleted ? BoxedOne : BoxedZero;
        command.Stamp.Value = (object?)stamp ?? DBNull.Value;
        command.Now.Value = now;
        // Records of a bulk chunk share one layout: their fields are found by slot, mapped once per layout.
        var slots = record.Values is CrmRecordValues laid ? SlotsFor(laid.Layout) : null;
        var createdValue = slots is not null
            ? slots.Created >= 0 ? ((CrmRecordValues)record.Values).ValueAt(slots.Created) : null
            : _plan.CreatedDateField is { } created ? record.Values.GetValueOrDefault(created) : null;
        command.Created.Value = createdValue is not null ? SqliteValueConverter.ToStorage(createdValue, SqliteColumnType.Text, out _) : DBNull.Value;
        if (command.Type is not null)
            command.Type.Value = crmTypeOverride ?? _crmType;
        for (var i = 0; i < _plan.Fields.Count; i++)
        {
            var field = _plan.Fields[i];
            var raw = slots is not null
                ? slots.Fields[i] >= 0 ? ((CrmRecordValues)record.Values).ValueAt(slots.Fields[i]) : null
                : record.Values.GetValueOrDefault(field.FieldName);
            command.Fields[i].Value = SqliteValueConverter.ToStorage(raw, field.ColumnType, out var misfit);
            if (misfit is not null)
                _warnings.Report(transaction, _plan, record.Id, field, misfit);
        }
    }

    private static readonly object BoxedOne = 1L;
    private static readonly object BoxedZero = 0L;

    /// <summary>The slot of each planned field (and of the created-date field) in one record layout; -1 where the layout has none.</summary>
    private sealed record LayoutSlots(CrmRecordLayout Layout, int[] Fields, int Created);

    private LayoutSlots? _slots;

    private LayoutSlots SlotsFor(CrmRecordLayout layout)
    {
        if (_slots is { } cached && ReferenceEquals(cached.Layout, layout))
            return cached;
        var fields = new int[_plan.Fields.Count];
        for (var i = 0; i < fields.Length; i++)
            fields[i] = layout.SlotOf(_plan.Fields[i].FieldName);
        return _slots = new LayoutSlots(layout, fields, _plan.CreatedDateField is { } created ? layout.SlotOf(created) : -1);
    }

    private static long LastInsertRowId(SqliteTransaction transaction) =>
        SQLitePCL.raw.sqlite3_last_insert_rowid(transaction.Connection!.Handle);

    private Dictionary<string, ExistingRow> Lookup(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<string> ids)
    {
        var mergedInto = _plan.HasColumn(SystemColumns.MergedInto) ? $"\"{SystemColumns.MergedInto}\"" : "NULL";
        var convertedFrom = _plan.HasColumn(SystemColumns.ConvertedFromLeadId) ? $"\"{SystemColumns.ConvertedFromLeadId}\"" : "NULL";
        using var command = connection.Command(transaction, $"""
            SELECT "{SystemColumns.CrmId}", "{SystemColumns.RowId}", "{SystemColumns.CrmModstamp}", "{SystemColumns.CrmIsDeleted}", {mergedInto}, {convertedFrom}
            FROM {_table} WHERE "{SystemColumns.CrmId}" IN (SELECT value FROM json_each($ids));
            """).With("$ids", JsonSerializer.Serialize(ids.Where(i => !string.IsNullOrEmpty(i)).Distinct(StringComparer.Ordinal).ToList()));
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, ExistingRow>(StringComparer.Ordinal);
        while (reader.Read())
            rows[reader.GetString(0)] = new ExistingRow(reader.GetInt64(1), reader.NullableString(2), reader.GetInt64(3) != 0,
                reader.NullableString(4), reader.NullableString(5));
        return rows;
    }

    private void RecordFailure(SqliteTransaction transaction, CrmRecord record, string reason, ref OperationTally tally)
    {
        tally.Failed++;
        _store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPullFailed,
            $"{_plan.ObjectName} {record.Id} could not be stored in table {_plan.TableName}: {reason}",
            _runId, _plan.ObjectName, null, string.IsNullOrEmpty(record.Id) ? null : record.Id,
            (record.IsDeleted ? RunOperation.PullDeletes : RunOperation.PullUpdates).ToString()), transaction);
    }

    private static void Execute(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = transaction.Connection!.Command(transaction, sql);
        foreach (var (name, value) in parameters)
            command.With(name, value);
        command.ExecuteNonQuery();
    }
}
