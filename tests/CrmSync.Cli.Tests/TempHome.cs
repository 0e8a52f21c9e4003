using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Cli.Tests;

/// <summary>A throw-away CRMSYNC_HOME, deleted after the test.</summary>
public sealed class TempHome : IDisposable
{
    public TempHome()
    {
        Path = Directory.CreateTempSubdirectory("crmsync-cli-").FullName;
        Paths = new CrmSyncPaths(Path);
    }

    public string Path { get; }
    public CrmSyncPaths Paths { get; }

    public string? Environment(string name) => name == CrmSyncPaths.HomeVariable ? Path : null;

    /// <summary>Creates a profile that was never synced, as Connect-CrmSync leaves it.</summary>
    public void CreateFreshProfile(string name, string? databasePath = null)
    {
        var profiles = new ProfileStore(new ProfileLocator(Paths));
        using CrmSyncStore store = profiles.Create(new ProfileInfo
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
            // still open on Windows; the OS cleans its temp folder
        }
    }
}
