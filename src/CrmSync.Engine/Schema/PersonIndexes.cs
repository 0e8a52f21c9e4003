using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Schema;

/// <summary>
/// The secondary indexes of a person table, beside the unique ones its columns declare (<c>_crm_id</c>,
/// <c>_client_key</c>): <c>ix_&lt;table&gt;_crm_type_id</c> on (<c>_crm_type</c>, <c>_crm_id</c>), which the sync's own
/// lookups use, and <c>ix_&lt;table&gt;_email_lower</c> on <c>lower(&lt;email column&gt;)</c>, which no sync statement uses:
/// it is there for the admin's and the marketing tools' look-ups by email.
/// <para>
/// The email index is the one that is <b>deferred</b> during the first copy of a person table
/// (<see cref="Sync.DeferredIndex.Drop"/> in the pull phase, then <see cref="Ensure"/> when the copy ends): email addresses arrive in no order, so
/// maintaining that index row by row touches leaf pages all over it in every page's transaction, and each commit writes
/// them to the WAL again. At 1,000,000 persons that was more than half of the copy's CPU time; building the index once
/// from the finished table (a sort) costs a fraction of it. Nothing about the index is lost by a crash in between:
/// <see cref="Ensure"/> creates whatever index is missing, and the pull phase runs it after every initial copy, resumed
/// or not.
/// </para>
/// </summary>
internal static class PersonIndexes
{
    public static string CrmTypeIdName(string table) => "ix_" + table + "_crm_type_id";

    public static string EmailName(string table) => "ix_" + table + "_email_lower";

    /// <summary>
    /// Creates the person table's secondary indexes that do not exist, in <paramref name="tx"/>; returns the names created.
    /// The email index needs the CRM's email field (<see cref="Crm.CrmPersonRules.EmailField"/>) catalogued as a text
    /// column of the table; without one it is not created.
    /// </summary>
    public static IReadOnlyList<string> Ensure(CrmSyncStore store, SqliteTransaction tx, string table, string emailField)
    {
        var created = new List<string>();
        var quoted = SqlIdentifier.Quote(table);
        if (!Exists(tx, CrmTypeIdName(table)))
        {
            Execute(tx, $"CREATE INDEX {SqlIdentifier.Quote(CrmTypeIdName(table))} ON {quoted} (\"{SystemColumns.CrmType}\", \"{SystemColumns.CrmId}\");");
            created.Add(CrmTypeIdName(table));
        }
        if (!Exists(tx, EmailName(table)))
        {
            var email = store.FieldCatalog.List(tableName: table, transaction: tx)
                .FirstOrDefault(e => string.Equals(e.FieldName, emailField, StringComparison.OrdinalIgnoreCase) && e.SqliteType == SqliteColumnType.Text);
            if (email is not null)
            {
                Execute(tx, $"CREATE INDEX {SqlIdentifier.Quote(EmailName(table))} ON {quoted} (lower({SqlIdentifier.Quote(email.ColumnName)}));");
                created.Add(EmailName(table));
            }
        }
        return created;
    }

    /// <summary>True when both secondary indexes of the person table exist (nothing for <see cref="Ensure"/> to do).</summary>
    public static bool IsComplete(SqliteConnection connection, string table) =>
        Exists(connection, null, CrmTypeIdName(table)) && Exists(connection, null, EmailName(table));

    internal static bool Exists(SqliteTransaction tx, string index) => Exists(tx.Connection!, tx, index);

    private static bool Exists(SqliteConnection connection, SqliteTransaction? tx, string index)
    {
        using var command = connection.Command(tx, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = $name;").With("$name", index);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static void Execute(SqliteTransaction tx, string sql)
    {
        using var command = tx.Connection!.Command(tx, sql);
        command.CommandTimeout = 0; // building an index over millions of rows takes longer than a command's default 30 s on a slow disk
        command.ExecuteNonQuery();
    }
}
