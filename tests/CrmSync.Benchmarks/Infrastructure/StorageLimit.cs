using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>
/// The storage limit of an initial copy, measured in the same run on the same file: the synced table copied into an empty
/// table of the same shape (same columns, constraints and indexes, no triggers) with one INSERT ... SELECT in one
/// transaction. No sync can write the same rows faster through SQLite, so the sync's time divided by this one says how
/// much of the copy is CrmSync's own work (HTTP, parsing, conversion, binding) rather than storage.
/// </summary>
internal static partial class StorageLimit
{
    /// <summary>The page cache of the measuring connection: 64 MB, as in the measurement the issue quotes.</summary>
    public const int CacheKilobytes = 64 * 1024;

    public sealed record Result(string Table, long Rows, TimeSpan Duration, int Indexes)
    {
        public double RowsPerSecond => Rows / Duration.TotalSeconds;
    }

    public static Result Measure(string databasePath, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, $"PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{CacheKilobytes};");

        var copy = table + "_storage_limit";
        var statements = new List<(string Type, string Name, string Sql)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = $t AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC";
            command.Parameters.AddWithValue("$t", table);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                statements.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        if (!statements.Any(s => s.Type == "table"))
            throw new InvalidOperationException($"No table {table} in {databasePath}.");

        Drop(connection, copy);
        foreach (var (type, name, sql) in statements)
        {
            var created = type == "table"
                ? TableName().Replace(sql, m => m.Groups["head"].Value + Quote(copy), 1)
                : IndexName().Replace(sql, m => m.Groups["head"].Value + Quote(name + "_storage_limit") + " ON " + Quote(copy), 1);
            Execute(connection, created);
        }

        var rows = Scalar(connection, $"SELECT count(*) FROM {Quote(table)}");
        var watch = Stopwatch.StartNew();
        Execute(connection, $"BEGIN; INSERT INTO {Quote(copy)} SELECT * FROM {Quote(table)}; COMMIT;");
        watch.Stop();
        var copied = Scalar(connection, $"SELECT count(*) FROM {Quote(copy)}");
        Drop(connection, copy);
        if (copied != rows)
            throw new InvalidOperationException($"The storage-limit copy holds {copied} rows, the table {rows}.");
        return new Result(table, rows, watch.Elapsed, statements.Count(s => s.Type == "index"));
    }

    private static void Drop(SqliteConnection connection, string copy) => Execute(connection, $"DROP TABLE IF EXISTS {Quote(copy)};");

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    // CREATE TABLE [IF NOT EXISTS] name | "name" | [name] | `name`
    [GeneratedRegex("""^(?<head>\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)(?:"(?:[^"]|"")+"|\[[^\]]+\]|`[^`]+`|[^\s(]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex TableName();

    // CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table
    [GeneratedRegex("""^(?<head>\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)(?:"(?:[^"]|"")+"|\[[^\]]+\]|`[^`]+`|[^\s(]+)\s+ON\s+(?:"(?:[^"]|"")+"|\[[^\]]+\]|`[^`]+`|[^\s(]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex IndexName();
}
