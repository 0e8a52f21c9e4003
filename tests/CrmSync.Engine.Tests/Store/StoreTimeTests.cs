using System.Text.RegularExpressions;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Store;

/// <summary>
/// Issue 11, item 5: one timestamp format for every system table (ISO-8601 UTC with milliseconds, what SQLite's strftime
/// writes in the triggers), and rows written by older versions in the round-trip ("O") format are still read.
/// </summary>
public sealed partial class StoreTimeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 11, 8, 38, 123, TimeSpan.Zero));
    private readonly CrmSyncStore _store;

    public StoreTimeTests() => _store = CrmSyncStore.Open(_dir.Combine("p.db"), _time);

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex StoreFormat();

    private string Scalar(string sql)
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }

    private void Execute(string sql)
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void The_store_and_sqlite_write_the_same_format()
    {
        Assert.Equal("2026-11-22T11:08:38.123Z", StoreTime.Format(new DateTimeOffset(2026, 11, 22, 12, 8, 38, 123, TimeSpan.FromHours(1)).AddTicks(4567)));
        Assert.Matches(StoreFormat(), Scalar($"SELECT {StoreTime.SqlNow};"));

        _store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, ErrorIds.SyncFailed, "failed"));
        var run = _store.Runs.Start(RunKind.Initial, "test");
        Assert.Equal("2026-11-22T11:08:38.123Z", Scalar("SELECT occurred_at FROM crmsync_error;"));
        Assert.Equal("2026-11-22T11:08:38.123Z", Scalar($"SELECT started_at FROM crmsync_run WHERE id = {run};"));
    }

    [Fact]
    public void Rows_written_in_the_old_round_trip_format_are_still_read_ordered_and_purged()
    {
        // What versions before the one format wrote: seven fractional digits.
        Execute("""
            INSERT INTO crmsync_error (level, error_id, message, occurred_at, attempts)
            VALUES ('Job', 'SyncFailed', 'old', '2026-11-10T08:00:00.1234567Z', 1),
                   ('Job', 'SyncFailed', 'recent', '2026-11-22T11:08:37.9999999Z', 1);
            INSERT INTO crmsync_run (started_at, ended_at, state, kind, triggered_by, pid, host)
            VALUES ('2026-11-10T08:00:00.1234567Z', '2026-11-10T08:05:00.7654321Z', 'Succeeded', 'Initial', 'Start-CrmSync', 1, 'h');
            """);
        _store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, ErrorIds.SyncFailed, "new"));

        var errors = _store.Errors.List();
        Assert.Equal(new DateTimeOffset(2026, 11, 10, 8, 0, 0, TimeSpan.Zero).AddTicks(1234567), errors.Single(e => e.Message == "old").OccurredAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 11, 8, 38, 123, TimeSpan.Zero), errors.Single(e => e.Message == "new").OccurredAt);
        var run = Assert.Single(_store.Runs.List());
        Assert.Equal(new DateTimeOffset(2026, 11, 10, 8, 5, 0, TimeSpan.Zero).AddTicks(7654321), run.EndedAt);

        // old and new rows order as text across the two formats
        Assert.Equal(["old", "recent", "new"], ReadMessagesInTimeOrder());

        // the purge compares the old rows with a cutoff in the new format
        Assert.Equal(1, _store.Errors.Purge(TimeSpan.FromDays(5)));
        Assert.DoesNotContain(_store.Errors.List(), e => e.Message == "old");
    }

    private List<string> ReadMessagesInTimeOrder()
    {
        using var connection = _store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM crmsync_error ORDER BY occurred_at;";
        using var reader = command.ExecuteReader();
        var messages = new List<string>();
        while (reader.Read())
            messages.Add(reader.GetString(0));
        return messages;
    }
}
