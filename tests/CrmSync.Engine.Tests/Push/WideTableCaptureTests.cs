using System.Text.Json;
using CrmSync.Engine.Push;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Push;

/// <summary>The capture triggers stay within SQLite's limits (expression depth 1000, 127 function arguments) on wide tables.</summary>
public sealed class WideTableCaptureTests
{
    [Fact]
    public void A_table_of_1500_watched_columns_captures_exactly_the_changed_ones()
    {
        var columns = Enumerable.Range(0, 1500).Select(i => "F" + i).ToList();
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        Execute(connection, $"""
            CREATE TABLE crmsync_sync_writer (id INTEGER PRIMARY KEY, run_id INTEGER, since TEXT NOT NULL);
            CREATE TABLE crmsync_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, row_key TEXT NOT NULL, crm_object TEXT NOT NULL,
                crm_id TEXT, client_key TEXT, operation TEXT NOT NULL, changed_columns TEXT NOT NULL, captured_at TEXT NOT NULL);
            CREATE TABLE {ChangeCapture.BaseTable} (table_name TEXT NOT NULL, row_id INTEGER NOT NULL, column_name TEXT NOT NULL, old_value,
                PRIMARY KEY (table_name, row_id, column_name));
            CREATE TABLE person ("_row_id" INTEGER PRIMARY KEY, "_crm_id" TEXT, "_crm_type" TEXT, "_client_key" TEXT,
                {string.Join(", ", columns.Select(c => $"\"{c}\" TEXT"))});
            """);
        var tableColumns = new HashSet<string>(["_row_id", "_crm_id", "_crm_type", "_client_key", .. columns], StringComparer.OrdinalIgnoreCase);
        Execute(connection, ChangeCapture.InsertTrigger("person", "Lead", columns, tableColumns));
        Execute(connection, ChangeCapture.UpdateTrigger("person", "Lead", columns, tableColumns));

        Execute(connection, "INSERT INTO person (_crm_id, _crm_type, F3, F1499) VALUES ('00Q000000000001AAA', 'Lead', 'a', 'b');");
        Execute(connection, "UPDATE person SET F7 = 'x', F1234 = 'y', F3 = 'a';");

        var entries = Rows(connection, "SELECT operation, changed_columns, client_key FROM crmsync_outbox ORDER BY id;");
        Assert.Equal(2, entries.Count);
        Assert.Equal("Update", entries[0].Operation); // an insert with a CRM id is an update of its non-NULL columns
        Assert.Equal(["F3", "F1499"], JsonSerializer.Deserialize<string[]>(entries[0].Columns)!);
        Assert.Matches("^[0-9a-f]{32}$", entries[0].ClientKey);
        Assert.Equal("Update", entries[1].Operation);
        Assert.Equal(["F7", "F1234"], JsonSerializer.Deserialize<string[]>(entries[1].Columns)!);
    }

    private static List<(string Operation, string Columns, string ClientKey)> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string, string)>();
        while (reader.Read()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return rows;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
