using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Reports;

/// <summary>A test's own folder with a Salesforce profile "default", a fake clock, and helpers to fill and read its database.</summary>
internal sealed class ReportTestContext : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    public ReportTestContext()
    {
        Home = new TempDirectory("crmsync-reports");
        Time = new FakeTimeProvider(Start);
        Profiles = TestProfiles.ProfileStore(Home, Time);
        using var store = Profiles.Create(TestProfiles.Salesforce("default"));
        DatabasePath = store.DatabasePath;
    }

    public TempDirectory Home { get; }
    public FakeTimeProvider Time { get; }
    public ProfileStore Profiles { get; }
    public string DatabasePath { get; }

    public CrmSyncStore Open() => Profiles.Open("default");

    /// <summary>Runs Sync-CrmField (confirmed) against the fake org, creating the person and account tables for real.</summary>
    public void SyncFields(string[]? exclude = null, bool withAccount = true)
    {
        var host = new FakeCommandHost();
        new SyncFieldsCommand(Profiles, new SyncFieldsOptions { Profile = "default", ExcludeField = exclude ?? [] }, ReportSchemas.Org(withAccount))
            .ExecuteAsync(host, CancellationToken.None).GetAwaiter().GetResult();
        Assert.Empty(host.Errors);
        Time.Advance(TimeSpan.FromMinutes(1));
    }

    public FakeCommandHost Run(ICommandHandler handler, FakeCommandHost? host = null, CancellationToken cancellationToken = default)
    {
        host ??= new FakeCommandHost();
        handler.ExecuteAsync(host, cancellationToken).GetAwaiter().GetResult();
        return host;
    }

    /// <summary>Inserts one row with the given column values (column names are test constants) and returns its row id.</summary>
    public long Insert(string table, params (string Column, object? Value)[] values)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", values.Select(v => $"\"{v.Column}\""))}) " +
                              $"VALUES ({string.Join(", ", values.Select((_, i) => "$p" + i))}) RETURNING rowid;";
        for (var i = 0; i < values.Length; i++)
            command.Parameters.AddWithValue("$p" + i, values[i].Value ?? DBNull.Value);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>A person; only the columns given are written.</summary>
    public long Person(string? email = null, string? first = null, string? last = null, string? company = null, string? type = "Lead",
        string? crmId = null, string? accountId = null, bool deleted = false, string? mergedInto = null, string? modstamp = null)
    {
        var values = new List<(string, object?)> { ("_crm_type", type), ("_crm_id", crmId), ("_crm_is_deleted", deleted ? 1 : 0), ("_merged_into", mergedInto), ("_crm_modstamp", modstamp) };
        if (email is not null) values.Add(("Email", email));
        if (first is not null) values.Add(("FirstName", first));
        if (last is not null) values.Add(("LastName", last));
        if (company is not null) values.Add(("Company", company));
        if (accountId is not null) values.Add(("AccountId", accountId));
        return Insert("person", [.. values]);
    }

    /// <summary>A plain read-write connection to the database (not pooled).</summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>Checkpoints the WAL into the main file (stores release their pooled connections on dispose), so the files are stable.</summary>
    public void Settle()
    {
        using (var connection = Connect())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }
    }

    public void Dispose() => Home.Dispose();
}
