using CrmSync.Engine.Crm;
using System.Text;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Push;

/// <summary>
/// Change capture for the two-way tables (person, campaign, campaign_member): AFTER INSERT and AFTER UPDATE triggers that
/// write every local change, whoever makes it (the sqlite3 command line, a BI tool, another program), to the outbox
/// (<c>crmsync_outbox</c>), and never the sync's own writes (<see cref="SyncWriteMarker.TriggerCondition"/>).
/// <list type="bullet">
/// <item>UPDATE: one outbox entry naming only the watched columns whose value changed (<c>OLD.c IS NOT NEW.c</c>); an update
/// that changes none of them (a system column, or a value set to itself) writes nothing. The value a column had before
/// its first unpushed change is kept in <c>crmsync_capture_base</c>, so the pull can tell whether the CRM changed the
/// same field too (a collision) or merely sent the value the row had before. A person's <c>_local_updated_at</c> is set.</item>
/// <item>DELETE (see <see cref="DeleteTrigger"/>): never pushed; the row's waiting changes are cancelled and, for a row
/// that was in the CRM, a Delete entry records it (counted as LocalDeletes).</item>
/// <item>INSERT: the row gets a client key (<c>_client_key</c>, 32 hex digits from <c>randomblob(16)</c>) unless it has one,
/// and one outbox entry (operation Insert when <c>_crm_id</c> is NULL, which the push creates in the CRM) naming the
/// watched columns that are not NULL. The key is set by an UPDATE of the new row inside the trigger; that UPDATE changes
/// no watched column, so it captures nothing.</item>
/// </list>
/// Watched columns come only from the field catalog and mappings (<see cref="PushFieldMap"/>). <see cref="Install"/> is
/// idempotent and compares the stored trigger text, so a column added later (Sync-CrmField, the schema refresh) is covered
/// as soon as it runs again: the push phase runs it at the start of every push.
/// </summary>
public static class ChangeCapture
{
    /// <summary>The table of the values columns had before their first unpushed local change (created by the store's migrations).</summary>
    public const string BaseTable = CaptureBase.TableName;

    private const string Now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
    private const int JsonArrayChunk = 100; // under SQLite's default limit of 127 function arguments

    /// <summary>The names of the two triggers of <paramref name="table"/>.</summary>
    public static (string Insert, string Update) TriggerNames(string table) => ($"crmsync_capture_{table}_insert", $"crmsync_capture_{table}_update");

    /// <summary>The name of the DELETE trigger of <paramref name="table"/>.</summary>
    public static string DeleteTriggerName(string table) => $"crmsync_capture_{table}_delete";

    /// <summary>
    /// Creates or replaces the capture triggers of every two-way table in <paramref name="map"/> (only those whose text
    /// changed). Returns the number of triggers (re)created.
    /// </summary>
    public static int Install(CrmSyncStore store, PushFieldMap map)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(map);
        return store.Write(null, (connection, transaction) => Install(store, map, connection, transaction));
    }

    private static int Install(CrmSyncStore store, PushFieldMap map, SqliteConnection connection, SqliteTransaction transaction)
    {
        var created = 0;
        var createKind = map.Catalog.Persons.CreateKind;
        foreach (var (table, columns) in map.TableColumns)
        {
            var tableColumns = new HashSet<string>(store.SchemaWriter.ReadColumns(table, transaction), StringComparer.OrdinalIgnoreCase);
            var (insertName, updateName) = TriggerNames(table);
            var objectName = map.Objects.First(o => string.Equals(o.TableName, table, StringComparison.OrdinalIgnoreCase)).ObjectName;
            foreach (var (name, sql) in new[]
                     {
                         (insertName, InsertTrigger(table, objectName, columns, tableColumns, createKind)),
                         (updateName, UpdateTrigger(table, objectName, columns, tableColumns, createKind)),
                         (DeleteTriggerName(table), DeleteTrigger(table, objectName, tableColumns, createKind)),
                     })
            {
                using var read = connection.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $name;";
                read.Parameters.AddWithValue("$name", name);
                if (read.ExecuteScalar() as string == sql)
                    continue;
                Execute(connection, transaction, $"DROP TRIGGER IF EXISTS \"{name}\";");
                Execute(connection, transaction, sql);
                created++;
            }
        }
        return created;
    }

    /// <summary>The CREATE TRIGGER text of the UPDATE trigger (exposed for tests and diagnostics).</summary>
    public static string UpdateTrigger(string table, string objectName, IReadOnlyList<string> columns, IReadOnlySet<string> tableColumns, string createKind = PersonKind.Lead)
    {
        var t = SqlIdentifier.Quote(table);
        var quoted = columns.Select(SqlIdentifier.Quote).ToList();
        var changed = Balanced(quoted.Select(c => $"OLD.{c} IS NOT NEW.{c}").ToList(), 0, quoted.Count);
        var sql = new StringBuilder();
        sql.Append($"CREATE TRIGGER \"{TriggerNames(table).Update}\" AFTER UPDATE ON {t}\n");
        sql.Append($"WHEN {SyncWriteMarker.TriggerCondition} AND ({changed})\nBEGIN\n");
        for (var i = 0; i < columns.Count; i++)
            sql.Append($"  INSERT OR IGNORE INTO {BaseTable} (table_name, row_id, column_name, old_value) SELECT {Literal(table)}, NEW.\"{SystemColumns.RowId}\", {Literal(columns[i])}, OLD.{quoted[i]} WHERE NEW.\"{SystemColumns.CrmId}\" IS NOT NULL AND OLD.{quoted[i]} IS NOT NEW.{quoted[i]};\n");
        var names = ChangedNames(quoted.Select((c, i) => $"CASE WHEN OLD.{c} IS NOT NEW.{c} THEN {Literal(columns[i])} END").ToList());
        sql.Append($"""
              INSERT INTO crmsync_outbox (table_name, row_key, crm_object, crm_id, client_key, operation, changed_columns, captured_at)
              VALUES ({Literal(table)}, CAST(NEW."{SystemColumns.RowId}" AS TEXT), {CrmObject(objectName, tableColumns, createKind)}, NEW."{SystemColumns.CrmId}",
                  {ClientKey(tableColumns, "NEW")}, CASE WHEN NEW."{SystemColumns.CrmId}" IS NULL THEN 'Insert' ELSE 'Update' END, {names}, {Now});

            """);
        if (tableColumns.Contains(SystemColumns.LocalUpdatedAt))
            sql.Append($"  UPDATE {t} SET \"{SystemColumns.LocalUpdatedAt}\" = {Now} WHERE \"{SystemColumns.RowId}\" = NEW.\"{SystemColumns.RowId}\";\n");
        sql.Append("END");
        return sql.ToString();
    }

    /// <summary>The CREATE TRIGGER text of the INSERT trigger (exposed for tests and diagnostics).</summary>
    public static string InsertTrigger(string table, string objectName, IReadOnlyList<string> columns, IReadOnlySet<string> tableColumns, string createKind = PersonKind.Lead)
    {
        var t = SqlIdentifier.Quote(table);
        var quoted = columns.Select(SqlIdentifier.Quote).ToList();
        var sql = new StringBuilder();
        sql.Append($"CREATE TRIGGER \"{TriggerNames(table).Insert}\" AFTER INSERT ON {t}\n");
        sql.Append($"WHEN {SyncWriteMarker.TriggerCondition}\nBEGIN\n");
        var set = new List<string>();
        if (tableColumns.Contains(SystemColumns.ClientKey))
            set.Add($"\"{SystemColumns.ClientKey}\" = coalesce(\"{SystemColumns.ClientKey}\", lower(hex(randomblob(16))))");
        if (tableColumns.Contains(SystemColumns.LocalCreatedAt))
            set.Add($"\"{SystemColumns.LocalCreatedAt}\" = coalesce(\"{SystemColumns.LocalCreatedAt}\", {Now})");
        if (tableColumns.Contains(SystemColumns.LocalUpdatedAt))
            set.Add($"\"{SystemColumns.LocalUpdatedAt}\" = {Now}");
        if (set.Count > 0)
            sql.Append($"  UPDATE {t} SET {string.Join(", ", set)} WHERE \"{SystemColumns.RowId}\" = NEW.\"{SystemColumns.RowId}\";\n");
        var names = ChangedNames(quoted.Select((c, i) => $"CASE WHEN NEW.{c} IS NOT NULL THEN {Literal(columns[i])} END").ToList());
        sql.Append($"""
              INSERT INTO crmsync_outbox (table_name, row_key, crm_object, crm_id, client_key, operation, changed_columns, captured_at)
              SELECT {Literal(table)}, CAST(NEW."{SystemColumns.RowId}" AS TEXT), {CrmObject(objectName, tableColumns, createKind)}, NEW."{SystemColumns.CrmId}",
                  {ClientKey(tableColumns, "r")}, CASE WHEN NEW."{SystemColumns.CrmId}" IS NULL THEN 'Insert' ELSE 'Update' END, {names}, {Now}
              FROM {t} AS r WHERE r."{SystemColumns.RowId}" = NEW."{SystemColumns.RowId}";

            """);
        sql.Append("END");
        return sql.ToString();
    }

    /// <summary>
    /// The CREATE TRIGGER text of the DELETE trigger: a local DELETE is never pushed (Marketo: the CRM record stays, and
    /// if it changes later the person comes back as a new row). The trigger cancels the row's waiting changes (its row id
    /// may be reused by a later insert), forgets their base values, and, for a row that was in the CRM, records one
    /// outbox entry of operation Delete that the push counts as LocalDeletes and reports.
    /// </summary>
    public static string DeleteTrigger(string table, string objectName, IReadOnlySet<string> tableColumns, string createKind = PersonKind.Lead)
    {
        var t = SqlIdentifier.Quote(table);
        var sql = new StringBuilder();
        sql.Append($"CREATE TRIGGER \"{DeleteTriggerName(table)}\" AFTER DELETE ON {t}\n");
        sql.Append($"WHEN {SyncWriteMarker.TriggerCondition}\nBEGIN\n");
        sql.Append($"""
              UPDATE crmsync_outbox SET state = 'Done', last_error = 'the row was deleted locally', next_attempt_at = NULL
              WHERE table_name = {Literal(table)} AND row_key = CAST(OLD."{SystemColumns.RowId}" AS TEXT) AND state IN ('Pending', 'InFlight');
              DELETE FROM {BaseTable} WHERE table_name = {Literal(table)} AND row_id = OLD."{SystemColumns.RowId}";
              INSERT INTO crmsync_outbox (table_name, row_key, crm_object, crm_id, client_key, operation, changed_columns, captured_at)
              SELECT {Literal(table)}, CAST(OLD."{SystemColumns.RowId}" AS TEXT), {CrmObject(objectName, tableColumns, createKind).Replace("NEW.", "OLD.", StringComparison.Ordinal)},
                  OLD."{SystemColumns.CrmId}", {ClientKey(tableColumns, "OLD")}, 'Delete', '[]', {Now}
              WHERE OLD."{SystemColumns.CrmId}" IS NOT NULL;

            """);
        sql.Append("END");
        return sql.ToString();
    }

    /// <summary>
    /// <c>a OR b OR ...</c> as a balanced tree: a flat chain of a thousand terms would exceed SQLite's expression depth
    /// limit (1000) on wide tables; balanced, the depth is log2 of the column count.
    /// </summary>
    private static string Balanced(IReadOnlyList<string> terms, int start, int count) =>
        count <= 0 ? "0" : count == 1 ? terms[start] : $"({Balanced(terms, start, count / 2)} OR {Balanced(terms, start + count / 2, count - count / 2)})";

    /// <summary>A JSON array of the non-NULL names among <paramref name="cases"/>, in chunks below the function-argument limit.</summary>
    private static string ChangedNames(IReadOnlyList<string> cases)
    {
        var chunks = cases.Chunk(JsonArrayChunk).Select(chunk => $"SELECT value FROM json_each(json_array({string.Join(", ", chunk)}))");
        return $"(SELECT json_group_array(value) FROM ({string.Join(" UNION ALL ", chunks)}) WHERE value IS NOT NULL)";
    }

    /// <summary>
    /// The outbox's crm_object: a person's kind (a local create becomes the provider's create kind,
    /// <see cref="Crm.CrmPersonRules.CreateKind"/>), else the table's object.
    /// </summary>
    private static string CrmObject(string objectName, IReadOnlySet<string> tableColumns, string createKind) =>
        tableColumns.Contains(SystemColumns.CrmType)
            ? $"coalesce(NEW.\"{SystemColumns.CrmType}\", {Literal(SqlIdentifier.IsValid(createKind) ? createKind : throw new ArgumentException("Not a person kind.", nameof(createKind)))})"
            : Literal(SqlIdentifier.IsValid(objectName) ? objectName : throw new ArgumentException("Not an object name.", nameof(objectName)));

    private static string ClientKey(IReadOnlySet<string> tableColumns, string alias) =>
        tableColumns.Contains(SystemColumns.ClientKey) ? $"{alias}.\"{SystemColumns.ClientKey}\"" : "NULL";

    /// <summary>A SQL string literal of an identifier already checked by <see cref="SqlIdentifier"/> (no quotes inside).</summary>
    private static string Literal(string checkedName) => "'" + checkedName.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static void Execute(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
