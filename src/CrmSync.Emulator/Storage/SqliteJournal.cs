using Microsoft.Data.Sqlite;

namespace CrmSync.Emulator.Storage;

/// <summary>
/// Write-through persistence of the emulator's in-memory data into its own SQLite file (WAL mode):
/// one table per record type holding the id, the modstamp, the deleted flag and a JSON blob, plus a key/value
/// table for metadata (schema, sequences) and a delete log.
/// </summary>
public sealed class SqliteJournal : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly object _sync = new();
    private readonly HashSet<string> _knownTables = new(StringComparer.Ordinal);

    /// <summary>Opens (or creates) the database file.</summary>
    public SqliteJournal(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        _connection = new SqliteConnection(builder.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=NORMAL;");
        Execute("CREATE TABLE IF NOT EXISTS emulator_meta (Key TEXT PRIMARY KEY, Value TEXT NOT NULL);");
        Execute("CREATE TABLE IF NOT EXISTS emulator_delete_log (Id TEXT PRIMARY KEY, SObject TEXT NOT NULL, DeletedDate INTEGER NOT NULL);");
    }

    /// <summary>One row to persist.</summary>
    /// <param name="Id">Record id.</param>
    /// <param name="Modstamp">SystemModstamp ticks.</param>
    /// <param name="IsDeleted">Deleted flag.</param>
    /// <param name="Json">The record's values as JSON.</param>
    public readonly record struct Row(string Id, long Modstamp, bool IsDeleted, string Json);

    private static string TableName(string recordType) => "rec_" + new string(recordType.Where(char.IsAsciiLetterOrDigit).ToArray()) + "_" + recordType.Count(c => c == '_');

    private void EnsureTable(string recordType)
    {
        if (_knownTables.Contains(recordType))
        {
            return;
        }
        string table = TableName(recordType);
        Execute($"CREATE TABLE IF NOT EXISTS \"{table}\" (Id TEXT PRIMARY KEY, SystemModstamp INTEGER NOT NULL, IsDeleted INTEGER NOT NULL, Data TEXT NOT NULL);");
        Execute($"CREATE INDEX IF NOT EXISTS \"ix_{table}_modstamp\" ON \"{table}\" (SystemModstamp);");
        _knownTables.Add(recordType);
    }

    /// <summary>Writes rows in one transaction.</summary>
    public void Upsert(string recordType, IEnumerable<Row> rows)
    {
        lock (_sync)
        {
            EnsureTable(recordType);
            using var tx = _connection.BeginTransaction();
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = $"INSERT INTO \"{TableName(recordType)}\" (Id, SystemModstamp, IsDeleted, Data) VALUES ($id, $m, $d, $j) " +
                              "ON CONFLICT(Id) DO UPDATE SET SystemModstamp = excluded.SystemModstamp, IsDeleted = excluded.IsDeleted, Data = excluded.Data;";
            var pId = cmd.Parameters.Add("$id", SqliteType.Text);
            var pM = cmd.Parameters.Add("$m", SqliteType.Integer);
            var pD = cmd.Parameters.Add("$d", SqliteType.Integer);
            var pJ = cmd.Parameters.Add("$j", SqliteType.Text);
            cmd.Prepare();
            foreach (var row in rows)
            {
                pId.Value = row.Id;
                pM.Value = row.Modstamp;
                pD.Value = row.IsDeleted ? 1 : 0;
                pJ.Value = row.Json;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Removes rows physically (rollback of a just-created record, an emptied recycle bin).</summary>
    public void Remove(string recordType, string id)
    {
        lock (_sync)
        {
            EnsureTable(recordType);
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"DELETE FROM \"{TableName(recordType)}\" WHERE Id = $id;";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Reads every row of a record type in insertion (rowid) order.</summary>
    public IEnumerable<Row> ReadAll(string recordType)
    {
        lock (_sync)
        {
            EnsureTable(recordType);
        }
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"SELECT Id, SystemModstamp, IsDeleted, Data FROM \"{TableName(recordType)}\" ORDER BY rowid;";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            yield return new Row(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2) != 0, reader.GetString(3));
        }
    }

    /// <summary>Reads a metadata value.</summary>
    public string? GetMeta(string key)
    {
        lock (_sync)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT Value FROM emulator_meta WHERE Key = $k;";
            cmd.Parameters.AddWithValue("$k", key);
            return cmd.ExecuteScalar() as string;
        }
    }

    /// <summary>Writes a metadata value.</summary>
    public void SetMeta(string key, string value)
    {
        lock (_sync)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO emulator_meta (Key, Value) VALUES ($k, $v) ON CONFLICT(Key) DO UPDATE SET Value = excluded.Value;";
            cmd.Parameters.AddWithValue("$k", key);
            cmd.Parameters.AddWithValue("$v", value);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Appends to the delete log.</summary>
    public void LogDelete(string recordType, string id, long deletedTicks)
    {
        lock (_sync)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO emulator_delete_log (Id, SObject, DeletedDate) VALUES ($id, $s, $d) ON CONFLICT(Id) DO UPDATE SET DeletedDate = excluded.DeletedDate;";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$s", recordType);
            cmd.Parameters.AddWithValue("$d", deletedTicks);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Removes a delete-log entry (undelete or rollback).</summary>
    public void UnlogDelete(string id)
    {
        lock (_sync)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "DELETE FROM emulator_delete_log WHERE Id = $id;";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Reads the delete log.</summary>
    public IReadOnlyList<(string RecordType, string Id, long DeletedTicks)> ReadDeleteLog()
    {
        lock (_sync)
        {
            var list = new List<(string, string, long)>();
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT SObject, Id, DeletedDate FROM emulator_delete_log ORDER BY DeletedDate;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                list.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
            return list;
        }
    }

    /// <summary>Drops every row of a record type (used when a schema change rewrites the table).</summary>
    public void Truncate(string recordType)
    {
        lock (_sync)
        {
            EnsureTable(recordType);
            Execute($"DELETE FROM \"{TableName(recordType)}\";");
        }
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_sync)
        {
            _connection.Dispose();
        }
    }
}
