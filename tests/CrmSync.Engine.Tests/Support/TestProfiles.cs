using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Support;

/// <summary>Profiles and stores for store, secret and status tests, always inside a test's own folder.</summary>
public static class TestProfiles
{
    public static ProfileInfo Salesforce(string name = "prod") => new()
    {
        Name = name,
        Crm = CrmKind.Salesforce,
        LoginUrl = "https://login.salesforce.com",
        InstanceUrl = "https://acme.my.salesforce.com",
        UserName = "sync@acme.example",
        ApiVersion = "62.0",
    };

    public static ProfileStore ProfileStore(TempDirectory home, TimeProvider? time = null) =>
        new(new ProfileLocator(new CrmSyncPaths(home.Path)), time);

    /// <summary>Creates a profile "prod" in <paramref name="home"/> and returns its open store.</summary>
    public static CrmSyncStore CreateStore(TempDirectory home, TimeProvider? time = null, string name = "prod") =>
        ProfileStore(home, time).Create(Salesforce(name));
}
