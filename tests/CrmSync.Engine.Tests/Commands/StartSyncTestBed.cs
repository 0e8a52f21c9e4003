using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Support;
using CrmSync.Engine.Tests.Sync;

namespace CrmSync.Engine.Tests.Commands;

/// <summary>
/// A <see cref="SyncTestBed"/> (profile "prod" with Lead, Contact and Account created the real way, an in-memory CRM) plus
/// Start-/Stop-CrmSync handlers over the same database file, the way the cmdlet builds them.
/// </summary>
internal sealed class StartSyncTestBed : IDisposable
{
    private readonly TempDirectory _home = new("crmsync-start");

    public StartSyncTestBed(TimeProvider? time = null)
    {
        Bed = new SyncTestBed(time);
        Profiles = new ProfileStore(new ProfileLocator(new CrmSyncPaths(_home.Path)), Bed.Time);
    }

    public SyncTestBed Bed { get; }
    public ProfileStore Profiles { get; }
    public CrmSyncStore Store => Bed.Store;

    /// <summary>How many times a handler opened a CRM client (signed in).</summary>
    public int ClientsOpened { get; private set; }

    /// <summary>The client options the last handler passed when opening the client.</summary>
    public CrmClientOptions? LastClientOptions { get; private set; }

    /// <summary>Runs when a handler opens the client (tests report client events through the options here).</summary>
    public Action<CrmClientOptions>? OnOpen { get; set; }

    /// <summary>When set, opening the client (signing in) fails with this error, as a refused login or a CRM that is down.</summary>
    public Exception? LoginError { get; set; }

    public StartSyncCommand Start(StartSyncOptions? options = null, CrmSync.Engine.Notifications.SyncNotifier? notifier = null) =>
        new(Profiles, (options ?? new StartSyncOptions()) with
        {
            Profile = "prod",
            DatabasePath = Store.DatabasePath,
            EngineOptions = new SyncOptions { PageSize = 2 },
        }, (_, clientOptions, _) =>
        {
            ClientsOpened++;
            LastClientOptions = clientOptions;
            OnOpen?.Invoke(clientOptions);
            if (LoginError is { } error)
                throw error;
            return Task.FromResult<ICrmClient>(Bed.Client);
        }, notifier);

    public StopSyncCommand Stop() => new(Profiles, new StopSyncOptions { Profile = "prod", DatabasePath = Store.DatabasePath });

    public void SeedLeads(int count)
    {
        for (var i = 1; i <= count; i++)
            Bed.Lead($"00Q{i:D12}AAA", $"Lead{i}", $"lead{i}@example.com");
    }

    public void Dispose()
    {
        Bed.Dispose();
        _home.Dispose();
    }
}
