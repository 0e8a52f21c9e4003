using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Hosting;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Integration.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using EmulatorCrm = CrmSync.Emulator.Hosting.CrmKind;
using EngineCrm = CrmSync.Engine.Crm.CrmKind;

namespace CrmSync.Integration.Tests.Dynamics;

/// <summary>
/// A Dynamics profile wired the way Start-CrmSync wires one (field selection by <see cref="CrmSchemaDiscovery"/> and
/// <see cref="FieldSyncApplier"/>, <see cref="SyncOrchestrator"/> with <see cref="PushPhase"/>) over loopback HTTP to an
/// in-process emulator started with <c>--crm dynamics</c>. CRM-side changes are made as the org's second user.
/// </summary>
internal sealed class DynamicsSyncBed : IAsyncDisposable
{
    private readonly TempDirectory _home;

    private DynamicsSyncBed(EmulatorHost host, ICrmClient client, RecordingHandler wire, EventLog log, CrmSyncStore store, TempDirectory home, FakeTimeProvider time)
    {
        Time = time;
        Host = host;
        Client = client;
        Wire = wire;
        Log = log;
        Store = store;
        _home = home;
        Push = new PushPhase(store);
    }

    public EmulatorHost Host { get; }
    public DynamicsOrg Org => Host.Dynamics!;
    public ICrmClient Client { get; }
    public RecordingHandler Wire { get; }
    public EventLog Log { get; }
    public CrmSyncStore Store { get; }
    public PushPhase Push { get; }
    /// <summary>The client's clock (the emulator's plus the test's advances): retry waits run on it.</summary>
    public FakeTimeProvider Time { get; }
    public Guid CrmUser => Org.SecondUser.Id;

    public static async Task<DynamicsSyncBed> StartAsync(DynamicsSeedPlan? seed = null, string? syncFilterField = null, int maxRetries = 3,
        IReadOnlyList<string>? fieldSelection = null)
    {
        var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Crm = EmulatorCrm.Dynamics,
            TimeProvider = EmulatorClock.Frozen(TestEmulator.Start),
            DynamicsSeed = seed ?? new DynamicsSeedPlan(),
            SeedValue = "integration",
        });
        var c = host.Dynamics!.Credentials;
        var wire = new RecordingHandler();
        var log = new EventLog();
        var time = new FakeTimeProvider(host.Clock);
        var client = CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = EngineCrm.Dynamics,
            AuthMethod = CrmAuthMethod.OAuthPassword,
            OrganizationUrl = new Uri(host.BaseUrl),
            LoginUrl = new Uri(host.BaseUrl),
            TenantId = c.TenantId,
            Username = c.SyncUserUpn,
            Password = SecretValue.Copy(c.Password),
            ClientId = c.ClientId,
        }, new CrmClientOptions
        {
            PrimaryHandler = wire,
            TimeProvider = time,
            Events = log,
            ApiUsage = log,
            Resilience = new CrmResilienceOptions { MaxRetryAttempts = maxRetries },
        });
        var home = new TempDirectory("crmsync-dv-sync");
        var store = new ProfileStore(new ProfileLocator(new CrmSyncPaths(home.Path)), time).Create(new ProfileInfo
        {
            Name = "dv",
            Crm = EngineCrm.Dynamics,
            LoginUrl = host.BaseUrl,
            InstanceUrl = host.BaseUrl,
            UserName = c.SyncUserUpn,
            ApiVersion = "9.2",
            SyncFilterField = syncFilterField,
        });
        var bed = new DynamicsSyncBed(host, client, wire, log, store, home, time);
        bed.InitialPlan = await bed.SyncFieldsAsync(selection: fieldSelection is null ? null : FieldExclusionSet.Parse(fieldSelection));
        return bed;
    }

    /// <summary>The plan of the Sync-CrmField run made by <see cref="StartAsync"/>.</summary>
    public FieldSyncPlan? InitialPlan { get; private set; }

    /// <summary>Sync-CrmField with every field the sync user can read (less the exclusions; only the selection when given).</summary>
    public async Task<FieldSyncPlan> SyncFieldsAsync(FieldExclusionSet? exclusions = null, FieldExclusionSet? selection = null)
    {
        var objects = SyncedObjectCatalog.For(EngineCrm.Dynamics);
        var snapshot = await new CrmSchemaDiscovery(Client.Schema, objects).DiscoverAsync(null, CancellationToken.None);
        var plan = new FieldSyncPlanner(objects).Plan(snapshot, FieldSyncState.Read(Store), exclusions ?? FieldExclusionSet.Empty, givenSelection: selection);
        new FieldSyncApplier(Store, objects).Apply(plan);
        return plan;
    }

    public async Task<SyncRunResult> CycleAsync(SyncOptions? options = null, IProgress<SyncProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Host.Clock.Advance(TimeSpan.FromMinutes(1));
        var orchestrator = new SyncOrchestrator(Store, Client, options ?? new SyncOptions { SchemaRefreshInterval = null }, Push);
        return await orchestrator.RunCycleAsync(progress, cancellationToken);
    }

    public async Task<SyncRunResult> SucceededCycleAsync(SyncOptions? options = null)
    {
        var result = await CycleAsync(options);
        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        return result;
    }

    public Guid Create(string entity, Dictionary<string, object?> values) => Org.Writer.Create(Org.Store.Entity(entity)!, values, CrmUser).Id;

    public void Update(string entity, Guid id, Dictionary<string, object?> values) => Org.Writer.Update(Org.Store.Entity(entity)!, id, values, CrmUser);

    public DvRecord? Find(string entity, Guid id) => Org.Store.Find(entity, id);

    public static string Id(Guid id) => id.ToString("D");

    /// <summary>SQL through a connection of its own, like the sqlite3 CLI.</summary>
    public void Sql(string sql) => StoreDump.Sql(Store, sql);

    public object? Scalar(string sql) => StoreDump.Scalar(Store, sql);

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        Client.Dispose();
        Wire.Dispose();
        await Host.DisposeAsync();
        _home.Dispose();
    }
}
