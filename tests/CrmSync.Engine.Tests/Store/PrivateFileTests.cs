using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Schema;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

/// <summary>A [Fact] about Unix file modes; Windows has ACLs instead.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
            Skip = "Unix file modes";
    }
}

/// <summary>Profile databases, their WAL/SHM files and their backups are owner-only (issue 10).</summary>
public sealed class PrivateFileTests : IDisposable
{
    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [UnixFact]
    public void A_new_profile_database_and_its_wal_and_shm_files_are_created_0600()
    {
        var path = _dir.Combine("profiles", "new.db");
        using var store = CrmSyncStore.Open(path);
        store.Runs.Start(RunKind.Initial, "test"); // a write: the WAL and the shared-memory file exist while the store is open

        Assert.True(File.Exists(path + "-wal"), "no WAL file");
        Assert.True(File.Exists(path + "-shm"), "no SHM file");
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            Assert.True(File.GetUnixFileMode(file) == PrivateFile.OwnerOnly, $"{file} has mode {Mode(file)}, not 600");
    }

    [UnixFact]
    public void An_existing_database_readable_by_others_is_tightened_when_it_is_opened()
    {
        var path = _dir.Combine("loose.db");
        using (var store = CrmSyncStore.Open(path))
            store.Runs.Start(RunKind.Initial, "test");
        SqliteConnection.ClearAllPools();
        File.SetUnixFileMode(path, PrivateFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // 0644, as older versions made it
        File.WriteAllBytes(path + "-wal", []);
        File.SetUnixFileMode(path + "-wal", PrivateFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        using (var reopened = CrmSyncStore.Open(path))
            Assert.NotNull(reopened.Runs.Latest());

        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(path) & GroupOrOthers);
        if (File.Exists(path + "-wal"))
            Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(path + "-wal") & GroupOrOthers);
    }

    [UnixFact]
    public void The_backup_Sync_CrmField_takes_is_0600()
    {
        using var ctx = new SchemaTestContext();
        var (_, command) = ctx.SyncFields(SalesforceSchemas.FullOrg());

        var backup = command.Result!.BackupPath!;
        Assert.True(File.Exists(backup));
        Assert.True(File.GetUnixFileMode(backup) == PrivateFile.OwnerOnly, $"{backup} has mode {Mode(backup)}, not 600");
        Assert.True(File.GetUnixFileMode(ctx.DatabasePath) == PrivateFile.OwnerOnly, $"the profile database has mode {Mode(ctx.DatabasePath)}");
    }
}
