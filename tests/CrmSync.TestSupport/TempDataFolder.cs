using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.TestSupport;

/// <summary>A throw-away CrmSync data folder (what CRMSYNC_HOME would point at), deleted after the test.</summary>
public sealed class TempDataFolder : IDisposable
{
    public TempDataFolder(string prefix = "crmsync-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        Paths = new CrmSyncPaths(Path);
        Profiles = new ProfileStore(new ProfileLocator(Paths));
    }

    public string Path { get; }
    public CrmSyncPaths Paths { get; }
    public ProfileStore Profiles { get; }

    /// <summary>The environment a command would see: CRMSYNC_HOME is this folder, nothing else is set.</summary>
    public string? Environment(string name) => name == CrmSyncPaths.HomeVariable ? Path : null;

    /// <summary>Creates a profile that was never synced, as Connect-CrmSync leaves it.</summary>
    public void CreateFreshProfile(string name, string? databasePath = null)
    {
        using CrmSyncStore store = Profiles.Create(new ProfileInfo
        {
            Name = name,
            Crm = CrmKind.Salesforce,
            LoginUrl = "https://login.salesforce.com",
            UserName = "sync.user@example.com",
        }, databasePath);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open on Windows; the temp folder is cleaned by the OS
        }
    }
}
