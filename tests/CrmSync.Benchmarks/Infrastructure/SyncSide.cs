using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>
/// The sync side of a benchmark, wired the way Start-CrmSync wires it: a profile database in a temp folder, fields created
/// by the Schema API from the CRM's describe (Sync-CrmField), the real Salesforce client over loopback HTTP, and
/// <see cref="SyncOrchestrator"/> with <see cref="PushPhase"/>. Every request the client sends is counted.
/// </summary>
internal sealed class SyncSide : IDisposable
{
    private readonly string _home;
    private readonly bool _keep;

    private SyncSide(string home, bool keep, ICrmClient client, CrmSyncStore store, RequestTally requests)
    {
        _home = home;
        _keep = keep;
        Client = client;
        Store = store;
        Requests = requests;
        Push = new PushPhase(store);
    }

    public ICrmClient Client { get; }
    public CrmSyncStore Store { get; }
    public RequestTally Requests { get; }
    public PushPhase Push { get; }
    public string Home => _home;

    /// <summary>Creates the profile, logs in and creates every visible field locally (what Connect-CrmSync and Sync-CrmField do).</summary>
    public static async Task<SyncSide> CreateAsync(string baseUrl, bool keep, CancellationToken cancellationToken, bool dynamics = false)
    {
        var home = Path.Combine(Path.GetTempPath(), "crmsync-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(home);
        var requests = new RequestTally();
        var kind = dynamics ? CrmKind.Dynamics : CrmKind.Salesforce;
        // A Dynamics profile as DynamicsSyncBed (and Connect-CrmSync -Crm Dynamics -OAuthPassword) wires it: ROPC against the
        // org's Entra authority, the org URL as login and instance URL, the default sync filter field (new_synctomkto).
        var client = CrmClientFactory.Create(dynamics
            ? new CrmConnectionSettings
            {
                Kind = CrmKind.Dynamics,
                AuthMethod = CrmAuthMethod.OAuthPassword,
                OrganizationUrl = new Uri(baseUrl),
                LoginUrl = new Uri(baseUrl),
                TenantId = EmulatorProcess.DynamicsTenant,
                Username = EmulatorProcess.DynamicsUser,
                Password = SecretValue.Copy(EmulatorProcess.DynamicsPassword),
                ClientId = EmulatorProcess.DynamicsClientId,
            }
            : new CrmConnectionSettings
            {
                Kind = CrmKind.Salesforce,
                LoginUrl = new Uri(baseUrl),
                Username = EmulatorProcess.Username,
                Password = SecretValue.Copy(EmulatorProcess.Password),
                SecurityToken = SecretValue.Copy(EmulatorProcess.SecurityToken),
            }, new CrmClientOptions { Events = requests });
        var store = new ProfileStore(new ProfileLocator(new CrmSyncPaths(home))).Create(new ProfileInfo
        {
            Name = "bench",
            Crm = kind,
            LoginUrl = baseUrl,
            InstanceUrl = baseUrl,
            UserName = dynamics ? EmulatorProcess.DynamicsUser : EmulatorProcess.Username,
            ApiVersion = dynamics ? "9.2" : "62.0",
        });
        var objects = SyncedObjectCatalog.For(kind);
        var snapshot = await new CrmSchemaDiscovery(client.Schema, objects).DiscoverAsync(null, cancellationToken).ConfigureAwait(false);
        new FieldSyncApplier(store, objects).Apply(new FieldSyncPlanner(objects).Plan(snapshot, FieldSyncState.Read(store), FieldExclusionSet.Empty));
        return new SyncSide(home, keep, client, store, requests);
    }

    /// <summary>One cycle with the production defaults (Start-CrmSync), returning its result and the requests it sent.</summary>
    public async Task<(SyncRunResult Result, RequestTally.Snapshot Calls)> CycleAsync(IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var before = Requests.Take();
        var orchestrator = new SyncOrchestrator(Store, Client, new SyncOptions { TriggeredBy = "benchmark" }, Push, new ConsoleSink(), new CrmCallCounter());
        var result = await orchestrator.RunCycleAsync(progress, cancellationToken).ConfigureAwait(false);
        if (result.State != RunState.Succeeded)
            throw new InvalidOperationException($"The cycle ended {result.State}: {result.Error}");
        return (result, Requests.Take() - before);
    }

    public long Scalar(string sql)
    {
        using var connection = Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<string> Strings(string sql)
    {
        using var connection = Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read()) list.Add(reader.GetString(0));
        return list;
    }

    /// <summary>Plain SQL through a connection of its own, as the sqlite3 command line would write (capture triggers fire).</summary>
    public void ExternalSql(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Store.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000; " + sql;
        command.ExecuteNonQuery();
    }

    public long DatabaseBytes() =>
        new[] { "", "-wal", "-shm" }.Select(s => Store.DatabasePath + s).Where(File.Exists).Sum(f => new FileInfo(f).Length);

    public void Dispose()
    {
        Client.Dispose();
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        if (_keep)
            Console.WriteLine($"kept: {_home}");
        else
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    private sealed class ConsoleSink : ISyncEventSink
    {
        /// <summary>CRMSYNC_BENCH_TRACE=1: every event, with the time since the process started.</summary>
        private static readonly bool Trace = Environment.GetEnvironmentVariable("CRMSYNC_BENCH_TRACE") == "1";

        public void Report(SyncEvent syncEvent)
        {
            if (Trace)
                Console.WriteLine($"  event {Environment.TickCount64 % 100_000 / 1000.0:F3}: [{syncEvent.Level}] {syncEvent.Message}");
            else if (syncEvent.Level >= SyncEventLevel.Warning || syncEvent.Message.StartsWith("Built the index", StringComparison.Ordinal))
                Console.WriteLine($"  [{syncEvent.Level}] {syncEvent.Message}");
        }
    }
}
