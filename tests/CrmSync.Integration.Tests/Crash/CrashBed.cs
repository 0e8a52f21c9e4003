using System.Globalization;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using EmulatorCrm = CrmSync.Emulator.Hosting.CrmKind;
using EngineCrm = CrmSync.Engine.Crm.CrmKind;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// The crash test's world: an in-process emulator (Salesforce, or Dataverse with <c>--crm dynamics</c>) on the system clock
/// (the child crmsync runs on real time), a throw-away CRMSYNC_HOME with a CurrentUser profile made by Connect (secrets saved
/// encrypted, so the child process can sign in) and its fields synced, and checks that compare the local tables with the
/// emulator's records (what each CRM's records mean locally is <see cref="Crm"/>'s).
/// </summary>
internal sealed class CrashBed : IAsyncDisposable
{
    public const string Profile = "crash";

    private readonly TempDirectory _home;

    private CrashBed(EmulatorHost emulator, CrashCrm crm, TempDirectory home, string databasePath)
    {
        Emulator = emulator;
        Crm = crm;
        _home = home;
        DatabasePath = databasePath;
    }

    public EmulatorHost Emulator { get; }

    /// <summary>What the checks expect of the CRM behind the emulator (Salesforce or Dataverse).</summary>
    public CrashCrm Crm { get; }

    public string Home => _home.Path;

    public string DatabasePath { get; }

    /// <summary>The Salesforce org, seeded with <paramref name="persons"/> leads and contacts (7:3) and a few of every other object.</summary>
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
        var c = emulator.Credentials;
        return await ConnectAsync(emulator, new SalesforceCrashCrm(emulator), () => new ConnectionRequest
        {
            Profile = Profile,
            Scope = ConnectionScope.CurrentUser,
            LoginUrl = new Uri(emulator.BaseUrl),
            Username = c.Username,
            Password = SecretValue.Copy(c.Password),
            SecurityToken = SecretValue.Copy(c.SecurityToken),
        });
    }

    /// <summary>
    /// The Dataverse org (<c>--crm dynamics</c>), seeded by <paramref name="seed"/>, and a profile connected as the sync user with
    /// the password grant (the default sync filter <c>new_synctomkto</c>), every readable field synced.
    /// </summary>
    public static async Task<CrashBed> StartDynamicsAsync(DynamicsSeedPlan seed)
    {
        var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Crm = EmulatorCrm.Dynamics,
            DynamicsSeed = seed,
            SeedValue = "crash",
        });
        var org = emulator.Dynamics!;
        var url = new Uri(emulator.BaseUrl);
        return await ConnectAsync(emulator, new DynamicsCrashCrm(org), () => new ConnectionRequest
        {
            Crm = EngineCrm.Dynamics,
            Profile = Profile,
            Scope = ConnectionScope.CurrentUser,
            Url = url,
            LoginUrl = url,
            Username = org.Credentials.SyncUserUpn,
            Password = SecretValue.Copy(org.Credentials.Password),
        });
    }

    /// <summary>Connect (CurrentUser: secrets saved encrypted, so the child process can sign in), then Sync-CrmField with every field.</summary>
    private static async Task<CrashBed> ConnectAsync(EmulatorHost emulator, CrashCrm crm, Func<ConnectionRequest> connection)
    {
        var home = new TempDirectory("crmsync-crash");
        try
        {
            var connector = new ProfileConnector(new CrmSyncPaths(home.Path));
            var host = new FakeCommandHost();
            using (var request = connection())
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
            return new CrashBed(emulator, crm, home, databasePath);
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

    /// <summary>The local column of a synced field, from the field catalog.</summary>
    public string Column(string objectName, string fieldName)
    {
        using var connection = OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT column_name FROM crmsync_field_catalog WHERE object_name = $o AND field_name = $f AND orphaned_at IS NULL;";
        command.Parameters.AddWithValue("$o", objectName);
        command.Parameters.AddWithValue("$f", fieldName);
        return command.ExecuteScalar() as string ?? throw new InvalidOperationException($"{objectName}.{fieldName} is not synced.");
    }

    /// <summary>The CRM's records of an object that the local table must hold (<see cref="CrashCrm.Expected"/>).</summary>
    public IReadOnlyList<CrashRecord> CrmRecords(string objectName) => Crm.Expected(objectName);

    /// <summary>
    /// Proves the local tables equal the CRM: for every synced object the live local _crm_ids equal the CRM's ids as sets, no
    /// _crm_id appears twice in any table (live or not), and a sample of field values is equal. Returns the records compared.
    /// </summary>
    public long AssertLocalEqualsCrm(Random random, string context)
    {
        var compared = 0L;
        using var connection = OpenRead();
        var objects = SyncedObjects();
        Assert.Contains(objects, o => o.ObjectName == Crm.PersonObject);
        foreach (var (objectName, table) in objects)
        {
            var crm = CrmRecords(objectName);
            var crmIds = crm.Select(r => r.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
            // the person table holds two objects: a row's kind is the object's name (Lead) or its person kind (lead → Lead)
            var typeFilter = table == "person" ? $" AND _crm_type = '{objectName}' COLLATE NOCASE" : "";
            var localIds = Strings(connection, $"SELECT _crm_id FROM \"{table}\" WHERE _crm_id IS NOT NULL AND _crm_is_deleted = 0{typeFilter};");
            var duplicates = Strings(connection, $"SELECT _crm_id FROM \"{table}\" WHERE _crm_id IS NOT NULL GROUP BY _crm_id HAVING count(*) > 1 LIMIT 5;");
            Assert.True(duplicates.Count == 0, $"{context}: {table} holds _crm_id(s) twice: {string.Join(", ", duplicates)}");
            var local = localIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
            Assert.True(local.Count == localIds.Count, $"{context}: duplicate live {objectName} rows");
            if (!local.SetEquals(crmIds))
            {
                var missing = crmIds.Except(local).Take(5).Select(id => Crm.Describe(objectName, id)).ToList();
                var extra = local.Except(crmIds).Take(5).Select(id => Crm.Describe(objectName, id) + " " + DescribeLocal(connection, table, id)).ToList();
                Assert.Fail($"{context}: {objectName}: CRM {crmIds.Count}, local {local.Count}; missing locally: {crmIds.Count(i => !local.Contains(i))} " +
                            $"(e.g. {string.Join(", ", missing)}), not in the CRM: {local.Count(i => !crmIds.Contains(i))} (e.g. {string.Join(", ", extra)})");
            }
            compared += crmIds.Count;
            AssertSampleValuesEqual(connection, objectName, table, crm.Where(r => !r.Stale).ToList(), random, context);
        }
        return compared;
    }

    private static string DescribeLocal(SqliteConnection connection, string table, string id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE _crm_id = $id;";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return "[no local row]";
        var columns = Enumerable.Range(0, reader.FieldCount).Where(i => reader.GetName(i).StartsWith('_') && !reader.IsDBNull(i))
            .Select(i => $"{reader.GetName(i)}={reader.GetValue(i)}");
        return "[local " + string.Join(", ", columns) + "]";
    }

    private void AssertSampleValuesEqual(SqliteConnection connection, string objectName, string table,
        IReadOnlyList<CrashRecord> crm, Random random, string context)
    {
        if (crm.Count == 0)
            return;
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            var names = Crm.SampleFields.ToList();
            command.CommandText = "SELECT field_name, column_name FROM crmsync_field_catalog WHERE object_name = $o AND orphaned_at IS NULL " +
                                  $"AND field_name IN ({string.Join(", ", names.Select((_, i) => $"$f{i}"))});";
            command.Parameters.AddWithValue("$o", objectName);
            for (var i = 0; i < names.Count; i++)
                command.Parameters.AddWithValue($"$f{i}", names[i]);
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
            command.Parameters.AddWithValue("$id", record.Id);
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read(), $"{context}: {objectName} {record.Id} is not local");
            var ordinal = 0;
            foreach (var field in columns.Keys)
            {
                var local = reader.IsDBNull(ordinal) ? "" : Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
                var remote = Crm.Text(record[field]);
                Assert.True(local == remote, $"{context}: {objectName} {record.Id}.{field}: CRM '{remote}', local '{local}'");
                ordinal++;
            }
        }
    }

    /// <summary>
    /// The database itself after the kills: <c>PRAGMA integrity_check</c> is ok, no run is left Running (a killed run is closed
    /// as Failed by the next start), no local insert's client key is on two rows, and the person table has both of its
    /// secondary indexes (the email one is dropped for the first copy and must be back once a run completed, whatever the
    /// kills interrupted).
    /// </summary>
    public void AssertStoreSound(string context)
    {
        using var connection = OpenRead();
        var integrity = Strings(connection, "PRAGMA integrity_check;");
        Assert.True(integrity is ["ok"], $"{context}: integrity_check: {string.Join("; ", integrity.Take(5))}");
        var running = Long(connection, "SELECT count(*) FROM crmsync_run WHERE state = 'Running';");
        Assert.True(running == 0, $"{context}: {running} run(s) left Running");
        var keys = Strings(connection, "SELECT _client_key FROM person WHERE _client_key IS NOT NULL GROUP BY _client_key HAVING count(*) > 1 LIMIT 5;");
        Assert.True(keys.Count == 0, $"{context}: local rows share a client key: {string.Join(", ", keys)}");
        var indexes = Strings(connection, "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'person' AND name LIKE 'ix_person_%' ORDER BY name;");
        Assert.True(indexes is ["ix_person_crm_type_id", "ix_person_email_lower"], $"{context}: the person table's indexes are {string.Join(", ", indexes)}");
    }

    /// <summary>
    /// Runs <c>crmsync start</c> to its end: it must exit 0, take over a killed run's lease (and say so) when one was left, and
    /// release the lease at the end.
    /// </summary>
    public async Task FinishAsync(CrashSettings settings, string context)
    {
        var dead = ReadLease()?.Pid;
        using var run = StartCrmSync();
        var exit = await run.WaitAsync();
        Assert.True(exit == 0, $"seed {settings.Seed}, {context}: crmsync start exited {exit}: {run.StandardError}");
        if (dead is { } pid) // a killed run's lease was left: this start took it over at once and said so
            Assert.Contains($"Took over the lease of a crashed run (pid {pid} on {Environment.MachineName}, since ", run.StandardError, StringComparison.Ordinal);
        Assert.Null(ReadLease()); // released at the end
    }

    /// <summary>
    /// After a killed push: reruns the sync (at most three times) until the outbox holds nothing pending or in flight, asserts
    /// it holds nothing failed either, then runs one more cycle, in which the pull brings the pushed rows back.
    /// </summary>
    public async Task DrainOutboxAsync(CrashSettings settings, string context)
    {
        for (var rerun = 0; rerun < 3 && Long("SELECT count(*) FROM crmsync_outbox WHERE state IN ('Pending', 'InFlight');") > 0; rerun++)
            await FinishAsync(settings, context);
        Assert.Equal(0, Long("SELECT count(*) FROM crmsync_outbox WHERE state IN ('Pending', 'InFlight', 'Failed');"));
        await FinishAsync(settings, $"{context}, settle");
    }

    /// <summary>
    /// No CrmSync key is on two CRM records (<paramref name="crmKeys"/>: each CRM record's key and id), every live local insert
    /// whose <paramref name="emailColumn"/> starts with <paramref name="prefix"/> has exactly one CRM record, its own (the id it
    /// holds), there are <paramref name="count"/> of them, and no kill left a second local copy of an insert (not even one
    /// flagged deleted or merged): the pull recognises the row by its key.
    /// </summary>
    public void AssertEachLocalInsertCreatedOnce(string context, IEnumerable<(string Key, string Id)> crmKeys, string emailColumn, string prefix,
        int count, StringComparer idComparer)
    {
        var byKey = crmKeys.GroupBy(k => k.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(k => k.Id).ToList(), StringComparer.Ordinal);
        var twice = byKey.Where(g => g.Value.Count > 1).Select(g => g.Key).Take(5).ToList();
        Assert.True(twice.Count == 0, $"{context}: CRM records created twice for CrmSync key(s) {string.Join(", ", twice)}");

        using var read = OpenRead();
        using var command = read.CreateCommand();
        command.CommandText = $"SELECT _client_key, _crm_id FROM person WHERE \"{emailColumn}\" LIKE $prefix AND _crm_is_deleted = 0 AND _merged_into IS NULL;";
        command.Parameters.AddWithValue("$prefix", prefix + "%");
        using var reader = command.ExecuteReader();
        var rows = 0;
        while (reader.Read())
        {
            rows++;
            var key = reader.GetString(0);
            Assert.True(byKey.TryGetValue(key, out var ids), $"{context}: local insert {key} has no CRM record");
            Assert.Equal(Assert.Single(ids), reader.IsDBNull(1) ? null : reader.GetString(1), idComparer);
        }
        Assert.Equal(count, rows);
        var all = Long(read, $"SELECT count(*) FROM person WHERE \"{emailColumn}\" LIKE '{prefix}%';");
        Assert.True(all == count, $"{context}: {all - count} residue row(s) for {count} local inserts ({prefix})");
    }

    /// <summary>Standard error less the warning a run prints when it takes over a crashed run's lease.</summary>
    public static string WithoutTakeoverWarnings(string standardError) =>
        string.Join('\n', standardError.Split('\n').Where(line => !line.Contains("Took over the lease of a crashed run", StringComparison.Ordinal))).Trim();

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
