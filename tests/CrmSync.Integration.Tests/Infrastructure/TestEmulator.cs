using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Integration.Tests.Infrastructure;

/// <summary>
/// An in-process emulator on 127.0.0.1 (port 0) with a frozen clock, and factories for engine clients that talk to it over
/// real loopback HTTP with a manual client clock (<see cref="FakeTimeProvider"/> over the emulator's clock).
/// </summary>
internal sealed class TestEmulator : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private readonly List<IDisposable> _owned = [];

    private TestEmulator(EmulatorHost host, EmulatorClock clock)
    {
        Host = host;
        Clock = clock;
    }

    public EmulatorHost Host { get; }

    /// <summary>The emulator's clock (frozen until advanced).</summary>
    public EmulatorClock Clock { get; }

    public static async Task<TestEmulator> StartAsync(SeedPlan? seed = null, int bulkPollsToComplete = 0, int dailyApiLimit = 15000,
        EmulatorCredentials? credentials = null)
    {
        var clock = EmulatorClock.Frozen(Start);
        var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Seed = seed,
            SeedValue = "integration",
            TimeProvider = clock,
            BulkPollsToComplete = bulkPollsToComplete,
            DailyApiLimit = dailyApiLimit,
            Credentials = credentials ?? new EmulatorCredentials(),
        });
        return new TestEmulator(host, clock);
    }

    /// <summary>Connection settings for the sync user (or another user / sign-in method) of this emulator.</summary>
    public CrmConnectionSettings Settings(CrmAuthMethod method = CrmAuthMethod.Password, string? username = null, string? securityToken = null,
        string? clientSecret = null, string? password = null)
    {
        var c = Host.Credentials;
        return new CrmConnectionSettings
        {
            Kind = CrmSync.Engine.Crm.CrmKind.Salesforce,
            AuthMethod = method,
            LoginUrl = new Uri(Host.BaseUrl),
            Username = method == CrmAuthMethod.ClientCredentials ? null : username ?? c.Username,
            Password = method == CrmAuthMethod.ClientCredentials ? null : SecretValue.Copy(password ?? c.Password),
            SecurityToken = method == CrmAuthMethod.ClientCredentials ? null : SecretValue.Copy(securityToken ?? c.SecurityToken),
            ClientId = method == CrmAuthMethod.Password ? null : c.ClientId,
            ClientSecret = method == CrmAuthMethod.Password ? null : SecretValue.Copy(clientSecret ?? c.ClientSecret),
        };
    }

    /// <summary>A client with a recording wire handler, a manual clock and an event log; disposed with the emulator.</summary>
    /// <summary>
    /// A Salesforce profile on this emulator in <paramref name="home"/>, on <paramref name="client"/>'s clock, its fields
    /// created the one real way (discovery, planner, applier: what Sync-CrmField does, every field, no exclusions).
    /// </summary>
    public async Task<CrmSyncStore> CreateSyncedProfileAsync(TestClient client, TempDirectory home, string name)
    {
        var store = new ProfileStore(new ProfileLocator(new CrmSyncPaths(home.Path)), client.Time).Create(new ProfileInfo
        {
            Name = name,
            Crm = CrmSync.Engine.Crm.CrmKind.Salesforce,
            LoginUrl = Host.BaseUrl,
            InstanceUrl = Host.BaseUrl,
            UserName = Host.Credentials.Username,
            ApiVersion = "62.0",
        });
        try
        {
            var objects = SyncedObjectCatalog.Salesforce;
            var snapshot = await new CrmSchemaDiscovery(client.Schema, objects).DiscoverAsync(null, CancellationToken.None);
            new FieldSyncApplier(store, objects).Apply(new FieldSyncPlanner(objects).Plan(snapshot, FieldSyncState.Read(store), FieldExclusionSet.Empty));
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public TestClient CreateClient(CrmConnectionSettings? settings = null, CrmResilienceOptions? resilience = null)
    {
        var time = new FakeTimeProvider(Clock);
        var wire = new RecordingHandler();
        var log = new EventLog();
        var client = CrmClientFactory.Create(settings ?? Settings(), new CrmClientOptions
        {
            TimeProvider = time,
            PrimaryHandler = wire,
            Events = log,
            ApiUsage = log,
            Resilience = resilience ?? new CrmResilienceOptions(),
        });
        var test = new TestClient(client, wire, time, log);
        lock (_owned) _owned.Add(test);
        return test;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_owned)
        {
            foreach (var d in _owned) d.Dispose();
            _owned.Clear();
        }
        await Host.DisposeAsync();
    }
}

/// <summary>An engine client and what the test observes of it.</summary>
internal sealed class TestClient(ICrmClient client, RecordingHandler wire, FakeTimeProvider time, EventLog log) : IDisposable
{
    public ICrmClient Client { get; } = client;
    public RecordingHandler Wire { get; } = wire;
    public FakeTimeProvider Time { get; } = time;
    public EventLog Log { get; } = log;

    public ICrmSession Session => Client.Session;
    public ICrmSchemaReader Schema => Client.Schema;
    public ICrmChangeSource Changes => Client.Changes;
    public ICrmRecordWriter Writer => Client.Writer;

    public void Dispose()
    {
        Client.Dispose();
        Wire.Dispose();
    }
}

/// <summary>
/// One emulator shared by read-only tests: a few thousand seeded records of every kind, never mutated (tests that change data
/// or faults start their own).
/// </summary>
public sealed class SeededEmulatorFixture : IAsyncLifetime
{
    public static readonly SeedPlan Plan = new()
    {
        Leads = 3000,
        Contacts = 400,
        Accounts = 100,
        Opportunities = 60,
        Campaigns = 8,
        Members = 120,
        Tasks = 50,
        Events = 40,
        Custom = 30,
    };

    internal TestEmulator Emulator { get; private set; } = null!;

    public async Task InitializeAsync() => Emulator = await TestEmulator.StartAsync(Plan, bulkPollsToComplete: 2);

    public async Task DisposeAsync() => await Emulator.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SeededEmulatorCollection : ICollectionFixture<SeededEmulatorFixture>
{
    public const string Name = "seeded emulator";
}
