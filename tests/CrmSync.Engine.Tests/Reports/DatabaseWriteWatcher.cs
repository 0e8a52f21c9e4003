using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Reports;

/// <summary>
/// Proves that nothing wrote to a database while it watched: it holds a connection open and compares
/// <c>PRAGMA data_version</c> (which changes when any other connection commits), the WAL's content and the main file's bytes.
/// Call <see cref="ReportTestContext.Settle"/> first so that the WAL is empty.
/// </summary>
internal sealed class DatabaseWriteWatcher : IDisposable
{
    private readonly string _path;
    private readonly SqliteConnection _connection;
    private readonly long _dataVersion;
    private readonly string _mainHash;
    private readonly string _walHash;

    public DatabaseWriteWatcher(ReportTestContext ctx)
    {
        _path = ctx.DatabasePath;
        _connection = new SqliteConnection($"Data Source={_path};Mode=ReadOnly;Pooling=False");
        _connection.Open();
        _dataVersion = DataVersion();
        _mainHash = Hash(_path);
        _walHash = Hash(_path + "-wal");
    }

    public void AssertUnchanged()
    {
        Assert.Equal(_dataVersion, DataVersion());
        Assert.Equal(_walHash, Hash(_path + "-wal"));
        Assert.Equal(_mainHash, Hash(_path));
    }

    private long DataVersion()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA data_version;";
        return (long)command.ExecuteScalar()!;
    }

    private static string Hash(string path)
    {
        if (!File.Exists(path))
            return "(none)";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    public void Dispose() => _connection.Dispose();
}
