using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The one thing the pull phase drops: a person table's email index (<see cref="PersonIndexes.EmailName"/>) before the
/// table's first copy, built again by <see cref="PersonIndexes.Ensure"/> when the copies end. An index holds no data of
/// its own (it is derived from the table, and rebuilt from it), so this is not a schema removal: the schema code itself
/// never drops anything (fields, columns and tables are permanent).
/// </summary>
internal static class DeferredIndex
{
    /// <summary>Drops the email index of <paramref name="table"/> if it exists; true when it did.</summary>
    public static bool Drop(SqliteTransaction tx, string table)
    {
        var name = PersonIndexes.EmailName(table);
        if (!PersonIndexes.Exists(tx, name))
            return false;
        using var command = tx.Connection!.Command(tx, $"DROP INDEX {SqlIdentifier.Quote(name)};");
        command.ExecuteNonQuery();
        return true;
    }
}
