using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The row surgery of the pull's identity changes in one synced table: a conversion that collapses two local rows into one,
/// a merge that marks the loser's row deleted and merged into the winner. Never deletes a row. Runs in the caller's
/// transaction (the pull's page, inside a record's savepoint).
/// </summary>
internal sealed class LocalRowMerger(SyncedObjectPlan plan)
{
    private readonly SyncedObjectPlan _plan = plan;
    private readonly string _table = SqlIdentifier.Quote(plan.TableName);

    /// <summary>
    /// A lead converted into a contact that both have local rows: the older row survives as the contact (keeping its row id),
    /// filled from the other where empty; the other is marked deleted and merged into the contact. Rows that named the lead
    /// as their merge target now name the contact.
    /// </summary>
    public void CollapseConversion(SqliteTransaction transaction, string leadId, long leadRowId, string contactId, long contactRowId, string now)
    {
        var columns = _plan.TableFieldColumns.Select(SqlIdentifier.Quote).ToList();
        var mergedInto = _plan.HasColumn(SystemColumns.MergedInto) ? $", \"{SystemColumns.MergedInto}\" = $contact" : "";
        if (leadRowId < contactRowId)
        {
            Execute(transaction, $"""
                UPDATE {_table} SET "{SystemColumns.CrmId}" = NULL, "{SystemColumns.CrmIsDeleted}" = 1, "{SystemColumns.SyncedAt}" = $now{mergedInto}
                WHERE "{SystemColumns.RowId}" = $redundant;
                """, ("$contact", contactId), ("$now", now), ("$redundant", contactRowId));
            var fill = string.Concat(columns.Select(c => $", {c} = coalesce(k.{c}, t.{c})"));
            Execute(transaction, $"""
                UPDATE {_table} AS t SET "{SystemColumns.CrmId}" = $contact, "{SystemColumns.CrmType}" = '{PersonKind.Contact}',
                    "{SystemColumns.ConvertedFromLeadId}" = $lead, "{SystemColumns.CrmIsDeleted}" = 0,
                    "{SystemColumns.CrmModstamp}" = k."{SystemColumns.CrmModstamp}",
                    "{SystemColumns.CrmCreatedDate}" = coalesce(k."{SystemColumns.CrmCreatedDate}", t."{SystemColumns.CrmCreatedDate}"),
                    "{SystemColumns.SyncedAt}" = $now{fill}
                FROM (SELECT * FROM {_table} WHERE "{SystemColumns.RowId}" = $redundant) AS k
                WHERE t."{SystemColumns.RowId}" = $survivor;
                """, ("$contact", contactId), ("$lead", leadId), ("$now", now), ("$redundant", contactRowId), ("$survivor", leadRowId));
        }
        else
        {
            var fill = string.Concat(columns.Select(c => $", {c} = CASE WHEN t.{c} IS NULL OR t.{c} = '' THEN l.{c} ELSE t.{c} END"));
            Execute(transaction, $"""
                UPDATE {_table} AS t SET "{SystemColumns.ConvertedFromLeadId}" = coalesce(t."{SystemColumns.ConvertedFromLeadId}", $lead),
                    "{SystemColumns.SyncedAt}" = $now{fill}
                FROM (SELECT * FROM {_table} WHERE "{SystemColumns.RowId}" = $redundant) AS l
                WHERE t."{SystemColumns.RowId}" = $survivor;
                """, ("$lead", leadId), ("$now", now), ("$redundant", leadRowId), ("$survivor", contactRowId));
            Execute(transaction, $"""
                UPDATE {_table} SET "{SystemColumns.CrmIsDeleted}" = 1, "{SystemColumns.SyncedAt}" = $now{mergedInto}
                WHERE "{SystemColumns.RowId}" = $redundant;
                """, ("$contact", contactId), ("$now", now), ("$redundant", leadRowId));
        }
        if (_plan.HasColumn(SystemColumns.MergedInto))
            Execute(transaction, $"UPDATE {_table} SET \"{SystemColumns.MergedInto}\" = $contact WHERE \"{SystemColumns.MergedInto}\" = $lead;",
                ("$contact", contactId), ("$lead", leadId));
    }

    /// <summary>Links a row to the lead it was converted from.</summary>
    public void SetConvertedFrom(SqliteTransaction transaction, long rowId, string leadId) =>
        Execute(transaction, $"UPDATE {_table} SET \"{SystemColumns.ConvertedFromLeadId}\" = $lead WHERE \"{SystemColumns.RowId}\" = $row;",
            ("$lead", leadId), ("$row", rowId));

    /// <summary>A lead row becomes the row of the contact it was converted into.</summary>
    public void MoveToContact(SqliteTransaction transaction, long leadRowId, string leadId, string contactId, string now) =>
        Execute(transaction, $"""
            UPDATE {_table} SET "{SystemColumns.CrmId}" = $contact, "{SystemColumns.CrmType}" = '{PersonKind.Contact}',
                "{SystemColumns.ConvertedFromLeadId}" = $lead, "{SystemColumns.SyncedAt}" = $now
            WHERE "{SystemColumns.RowId}" = $row;
            """, ("$contact", contactId), ("$lead", leadId), ("$now", now), ("$row", leadRowId));

    /// <summary>A merge in the CRM: the winner's row takes the loser's values where its own are empty (the merge bookkeeping fields excepted).</summary>
    public void FillWinner(SqliteTransaction transaction, long loserRowId, long winnerRowId)
    {
        var special = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
            { _plan.Schema.PrimaryIdField, _plan.Schema.ModificationStampField ?? "", _plan.Schema.DeletedFlagField ?? "", _plan.Schema.MergedIntoField ?? "" };
        var columns = _plan.Fields.Where(f => !special.Contains(f.FieldName)).Select(f => SqlIdentifier.Quote(f.ColumnName)).ToList();
        if (columns.Count == 0)
            return;
        var fill = string.Join(", ", columns.Select(c => $"{c} = CASE WHEN t.{c} IS NULL OR t.{c} = '' THEN l.{c} ELSE t.{c} END"));
        Execute(transaction, $"""
            UPDATE {_table} AS t SET {fill}
            FROM (SELECT * FROM {_table} WHERE "{SystemColumns.RowId}" = $loser) AS l
            WHERE t."{SystemColumns.RowId}" = $winner;
            """, ("$loser", loserRowId), ("$winner", winnerRowId));
    }

    /// <summary>A merge in the CRM: the loser's row is marked deleted (and merged into the winner, when the table records it).</summary>
    public void MarkMerged(SqliteTransaction transaction, long loserRowId, string winnerId, string? stamp, string now) =>
        Execute(transaction, $"""
            UPDATE {_table} SET "{SystemColumns.CrmIsDeleted}" = 1, "{SystemColumns.CrmModstamp}" = $stamp, "{SystemColumns.SyncedAt}" = $now
                {(_plan.HasColumn(SystemColumns.MergedInto) ? $", \"{SystemColumns.MergedInto}\" = $winner" : "")}
            WHERE "{SystemColumns.RowId}" = $loser;
            """, ("$stamp", stamp), ("$now", now), ("$winner", winnerId), ("$loser", loserRowId));

    /// <summary>The catalogued columns of one row, by column name.</summary>
    public Dictionary<string, object?> ReadColumns(SqliteTransaction transaction, long rowId)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (_plan.TableFieldColumns.Count == 0)
            return values;
        using var command = transaction.Connection!.Command(transaction,
            $"SELECT {string.Join(", ", _plan.TableFieldColumns.Select(SqlIdentifier.Quote))} FROM {_table} WHERE \"{SystemColumns.RowId}\" = $row;").With("$row", rowId);
        using var reader = command.ExecuteReader();
        if (reader.Read())
            for (var i = 0; i < _plan.TableFieldColumns.Count; i++)
                values[_plan.TableFieldColumns[i]] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        return values;
    }

    /// <summary>Puts back <paramref name="before"/>'s values into the row's columns that are now blank (NULL or '').</summary>
    public void FillBlanks(SqliteTransaction transaction, long rowId, IReadOnlyDictionary<string, object?> before)
    {
        foreach (var (column, value) in before)
        {
            if (value is null || value is string { Length: 0 })
                continue;
            var quoted = SqlIdentifier.Quote(column);
            Execute(transaction, $"UPDATE {_table} SET {quoted} = $value WHERE \"{SystemColumns.RowId}\" = $row AND ({quoted} IS NULL OR {quoted} = '');",
                ("$value", value), ("$row", rowId));
        }
    }

    private static void Execute(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = transaction.Connection!.Command(transaction, sql);
        foreach (var (name, value) in parameters)
            command.With(name, value);
        command.ExecuteNonQuery();
    }
}
