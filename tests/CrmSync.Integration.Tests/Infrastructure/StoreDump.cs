using System.Globalization;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests.Infrastructure;

/// <summary>
/// Reads a profile database as text for tests that compare two stores (the bulk row path against the record path): the
/// synced tables, every row of one with each column's name, SQLite type and value, single values and string lists.
/// </summary>
internal static class StoreDump
{
    /// <summary>The synced tables (every table but CrmSync's own and SQLite's), by name.</summary>
    public static List<string> Tables(CrmSyncStore store) =>
        Strings(store, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'crmsync%' AND name NOT LIKE 'sqlite%' ORDER BY name");

    /// <summary>
    /// Every row of <paramref name="table"/> as text (by CRM id, then row id): each column's name, SQLite type and value;
    /// the columns in <paramref name="skip"/> (write times, which differ between two runs) left out.
    /// </summary>
    public static List<string> Rows(CrmSyncStore store, string table, params string[] skip)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY \"{SystemColumns.CrmId}\", \"{SystemColumns.RowId}\"";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var cells = new List<string>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (skip.Contains(reader.GetName(i)))
                    continue;
                var value = reader.GetValue(i);
                var text = value switch
                {
                    DBNull => "NULL",
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    byte[] b => Convert.ToHexString(b),
                    _ => Convert.ToString(value, CultureInfo.InvariantCulture),
                };
                cells.Add($"{reader.GetName(i)}:{reader.GetDataTypeName(i)}:{value.GetType().Name}={text}");
            }
            rows.Add(string.Join(" | ", cells));
        }
        return rows;
    }

    /// <summary>The first column of every row <paramref name="sql"/> returns, as strings.</summary>
    public static List<string> Strings(CrmSyncStore store, string sql)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
            values.Add(reader.GetString(0));
        return values;
    }

    /// <summary>The single value <paramref name="sql"/> returns (null for none and for NULL).</summary>
    public static object? Scalar(CrmSyncStore store, string sql)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>SQL through a connection of its own (no pooling, nothing shared with the engine), like the sqlite3 CLI.</summary>
    public static void Sql(CrmSyncStore store, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000; " + sql;
        command.ExecuteNonQuery();
    }
}
