using System.Globalization;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// The crash test's world: an in-process emulator on the system clock (the child crmsync runs on real time), a throw-away
/// CRMSYNC_HOME with a CurrentUser profile made by Connect (secrets saved encrypted, so the child process can sign in) and
/// its fields synced, and checks that compare the local tables with the emulator's records.
/// </summary>
internal sealed class CrashBed : IAsyncDisposable
{
    public const string Profile = "crash";

    private readonly TempDirectory _home;

    private CrashBed(EmulatorHost emulator, TempDirectory home, string databasePath)
    {
        Emulator = emulator;
        _home = home;
        DatabasePath = databasePath;
    }

    public EmulatorHost Emulator { get; }

    public string Home => _home.Path;

    public string DatabasePath { get; }

    public static async Task<CrashBed> StartAsync(int persons)
    {
        var leads = persons * 7 / 10;
        var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Seed = new SeedPlan
            {
                Leads = leads,
                Contacts = persons - leads,
                Accounts = 300,
                Opportunities = 150,
                Campaigns = 10,
                Members = 400,
                Tasks = 100,
                Events = 50,
                Custom = 30,
            },
            SeedValue = "crash",
            BulkPollsToComplete = 1,
        });
        var home = new TempDirectory("crmsync-crash");
        try
        {
            var connector = new ProfileConnector(new CrmSyncPaths(home.Path));
            var host = new FakeCommandHost();
            var c = emulator.Credentials;
            using (var request = new ConnectionRequest
                   {
                       Profile = Profile,
                       Scope = ConnectionScope.CurrentUser,
                       LoginUrl = new Uri(emulator.BaseUrl),
                       Username = c.Username,
                       Password = SecretValue.Copy(c.Password),
                       SecurityToken = SecretValue.Copy(c.SecurityToken),
                   })
                await new ConnectCommand(connector, request).ExecuteAsync(host, CancellationToken.None);

            string databasePath;
            using (var store = connector.Profiles.Open(Profile))
            {
                databasePath = store.DatabasePath;
                using var client = await connector.OpenClientAsync(store, new CrmClientOptions(), CancellationToken.None);
                var fields = new SyncFieldsCommand(connector.Profiles, new SyncFieldsOptions { Profile = Profile }, client.Schema);
                await fields.ExecuteAsync(host, CancellationToken.None);
                Assert.NotNull(fields.Result);
            }
            SqliteConnection.ClearAllPools();
            return new CrashBed(emulator, home, databasePath);
        }
        catch
        {
            home.Dispose();
            await emulator.DisposeAsync();
            throw;
        }
    }

    public CrmSyncStartProcess StartCrmSync() => CrmSyncStartProcess.Start(Home, Profile);

    /// <summary>A read-only connection of the test's own (no pooling), like a second program reading the database.</summary>
    public SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 30000;";
        busy.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Plain SQL through a read-write connection of its own, as the sqlite3 command line would run it.</summary>
    public void Sql(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 30000; " + sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public static long Long(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public long Long(string sql)
    {
        using var connection = OpenRead();
        return Long(connection, sql);
    }

    /// <summary>The run lock's row as recorded (pid, host, expiry), or null when no lease is recorded.</summary>
    public (int Pid, string Host, DateTimeOffset ExpiresAt)? ReadLease()
    {
        using var connection = OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT pid, host, expires_at FROM crmsync_run_lock WHERE id = 1;";
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? (reader.GetInt32(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
            : null;
    }

    /// <summary>
    /// After a SIGKILL: the killed run could not release its lease, so the row is still there, on this host, not yet expired
    /// (nobody waits out or expires it by hand), and its process is gone. Returns the dead holder's pid, or null when the run
    /// had already released the lease at the moment of the kill (it was killed on its way out).
    /// </summary>
    public int? AssertDeadLeaseLeft(string context)
    {
        if (ReadLease() is not { } lease)
            return null;
        Assert.Equal(Environment.MachineName, lease.Host);
        Assert.True(lease.ExpiresAt > DateTimeOffset.UtcNow, $"{context}: the killed run's lease had already expired ({lease.ExpiresAt:O})");
        Assert.False(IsRunning(lease.Pid), $"{context}: the lease holder {lease.Pid} still runs after SIGKILL");
        return lease.Pid;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The synced objects and their tables, from the local field catalog.</summary>
    public IReadOnlyList<(string ObjectName, string Table)> SyncedObjects()
    {
        using var connection = OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT object_name, table_name FROM crmsync_field_catalog ORDER BY object_name;";
        using var reader = command.ExecuteReader();
        var list = new List<(string, string)>();
        while (reader.Read())
            list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    /// <summary>The CRM's live records of an object that the local table must hold (a converted lead lives on as its contact).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> CrmRecords(string objectName) =>
        Emulator.Data.List(objectName).Where(r => objectName != "Lead" || r.GetValueOrDefault("IsConverted") is not true).ToList();

    /// <summary>
    /// Proves the local tables equal the CRM: for every synced object the live local _crm_ids equal the CRM's ids as sets, no
    /// _crm_id appears twice in any table (live or not), and a sample of field values is equal. Returns the records compared.
    /// </summary>
    public long AssertLocalEqualsCrm(Random random, string context)
    {
        var compared = 0L;
        using var connection = OpenRead();
        var objects = SyncedObjects();
        Assert.Contains(objects, o => o.ObjectName == "Lead");
        foreach (var (objectName, table) in objects)
        {
            var crm = CrmRecords(objectName);
            var crmIds = crm.Select(r => (string)r["Id"]!).ToHashSet(StringComparer.Ordinal);
            var typeFilter = table == "person" ? $" AND _crm_type = '{objectName}'" : "";
            var localIds = Strings(connection, $"SELECT _crm_id FROM \"{table}\" WHERE _crm_id IS NOT NULL AND _crm_is_deleted = 0{typeFilter};");
            var duplicates = Strings(connection, $"SELECT _crm_id FROM \"{table}\" WHERE _crm_id IS NOT NULL GROUP BY _crm_id HAVING count(*) > 1 LIMIT 5;");
            Assert.True(duplicates.Count == 0, $"{context}: {table} holds _crm_id(s) twice: {string.Join(", ", duplicates)}");
            var local = localIds.ToHashSet(StringComparer.Ordinal);
            Assert.True(local.Count == localIds.Count, $"{context}: duplicate live {objectName} rows");
            if (!local.SetEquals(crmIds))
            {
                var missing = crmIds.Except(local).Take(5).ToList();
                var extra = local.Except(crmIds).Take(5).ToList();
                Assert.Fail($"{context}: {objectName}: CRM {crmIds.Count}, local {local.Count}; missing locally: {crmIds.Count(i => !local.Contains(i))} " +
                            $"(e.g. {string.Join(", ", missing)}), not in the CRM: {local.Count(i => !crmIds.Contains(i))} (e.g. {string.Join(", ", extra)})");
            }
            compared += crmIds.Count;
            AssertSampleValuesEqual(connection, objectName, table, crm, random, context);
        }
        return compared;
    }

    private static void AssertSampleValuesEqual(SqliteConnection connection, string objectName, string table,
        IReadOnlyList<IReadOnlyDictionary<string, object?>> crm, Random random, string context)
    {
        if (crm.Count == 0)
            return;
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT field_name, column_name FROM crmsync_field_catalog WHERE object_name = $o AND orphaned_at IS NULL " +
                                  "AND field_name IN ('Name', 'FirstName', 'LastName', 'Email', 'Title', 'Company', 'Status', 'Subject', 'StageName');";
            command.Parameters.AddWithValue("$o", objectName);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                columns[reader.GetString(0)] = reader.GetString(1);
        }
        if (columns.Count == 0)
            return;
        for (var i = 0; i < Math.Min(50, crm.Count); i++)
        {
            var record = crm[random.Next(crm.Count)];
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {string.Join(", ", columns.Values.Select(c => $"\"{c}\""))} FROM \"{table}\" WHERE _crm_id = $id;";
            command.Parameters.AddWithValue("$id", (string)record["Id"]!);
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read(), $"{context}: {objectName} {record["Id"]} is not local");
            var ordinal = 0;
            foreach (var field in columns.Keys)
            {
                var local = reader.IsDBNull(ordinal) ? "" : Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
                var remote = Convert.ToString(record.GetValueOrDefault(field), CultureInfo.InvariantCulture) ?? "";
                Assert.True(local == remote, $"{context}: {objectName} {record["Id"]}.{field}: CRM '{remote}', local '{local}'");
                ordinal++;
            }
        }
    }

    public static List<string> Strings(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read())
            list.Add(reader.GetString(0));
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        await Emulator.DisposeAsync();
        _home.Dispose();
    }
}
