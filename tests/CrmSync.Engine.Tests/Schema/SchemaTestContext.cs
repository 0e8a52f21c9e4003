using CrmSync.Engine.Shell;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Schema;

/// <summary>A test's own folder with a fresh Salesforce profile "default", a fake clock and helpers to run the handlers.</summary>
internal sealed class SchemaTestContext : IDisposable
{
    public SchemaTestContext()
    {
        Home = new TempDirectory("crmsync-schema");
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        Profiles = TestProfiles.ProfileStore(Home, Time);
        using (var store = Profiles.Create(TestProfiles.Salesforce("default")))
            DatabasePath = store.DatabasePath;
    }

    public TempDirectory Home { get; }
    public FakeTimeProvider Time { get; }
    public ProfileStore Profiles { get; }
    public string DatabasePath { get; }

    public CrmSyncStore Open() => Profiles.Open("default");

    public (FakeCommandHost Host, SyncFieldsCommand Command) SyncFields(FakeSchemaReader reader, bool confirm = true, string[]? exclude = null, bool reset = false, string[]? field = null,
        bool resetSelection = false)
    {
        var host = new FakeCommandHost(confirm);
        var command = new SyncFieldsCommand(Profiles, new SyncFieldsOptions
        {
            Profile = "default", ExcludeField = exclude ?? [], ResetExclusions = reset, Field = field ?? [], ResetFieldSelection = resetSelection,
        }, reader);
        command.ExecuteAsync(host, CancellationToken.None).GetAwaiter().GetResult();
        Time.Advance(TimeSpan.FromMinutes(1));
        return (host, command);
    }

    public FieldSyncPlan Plan(FakeSchemaReader reader, string[]? exclude = null, bool reset = false, string[]? field = null)
    {
        using var store = Open();
        var snapshot = new CrmSchemaDiscovery(reader, SyncedObjectCatalog.Salesforce).DiscoverAsync(null, CancellationToken.None).GetAwaiter().GetResult();
        return new FieldSyncPlanner(SyncedObjectCatalog.Salesforce).Plan(snapshot, FieldSyncState.Read(store), FieldExclusionSet.Parse(exclude), reset,
            FieldExclusionSet.Parse(field, ActionParameter.Field));
    }

    public IReadOnlyList<(string Name, string Type)> TableInfo(string table)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, type FROM pragma_table_info($t) ORDER BY cid;";
        command.Parameters.AddWithValue("$t", table);
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string)>();
        while (reader.Read())
            columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    public IReadOnlyList<string> Tables()
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name;";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
            names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>Everything observable about the database: the main file's bytes after a checkpoint, plus sibling files.</summary>
    public (byte[] Bytes, string[] Files) Snapshot()
    {
        var files = Directory.GetFiles(Path.GetDirectoryName(DatabasePath)!).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        return (File.ReadAllBytes(DatabasePath), files);
    }

    public void Dispose() => Home.Dispose();
}
