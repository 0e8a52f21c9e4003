using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

/// <summary>
/// While the bulk connection is held, its WAL is checkpointed on a connection and a thread of their own
/// (<see cref="WalCheckpointer"/>): the writer's connection takes no automatic checkpoint, the WAL stays within its bound,
/// nothing written is lost, and the connection goes back to the pool with SQLite's defaults.
/// </summary>
public sealed class WalCheckpointerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crmsync-wal-").FullName;
    private readonly CrmSyncStore _store;

    public WalCheckpointerTests()
    {
        _store = CrmSyncStore.Open(Path.Combine(_folder, "profile.db"));
        _store.Write(tx =>
        {
            using var create = tx.Connection!.Command(tx, "CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);");
            create.ExecuteNonQuery();
        });
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>One bulk write of <paramref name="rows"/> rows of 4 KB (about that many WAL frames).</summary>
    private void BulkPage(int first, int rows) =>
        _store.SyncWrite(null, tx =>
        {
            using var insert = tx.Connection!.Command(tx, "INSERT INTO big (id, payload) VALUES ($id, zeroblob(4000));");
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            for (var i = first; i < first + rows; i++)
            {
                id.Value = i;
                insert.ExecuteNonQuery();
            }
        }, bulk: true);

    private long Scalar(string sql)
    {
        using var connection = _store.OpenConnection();
        using var command = connection.Command(null, sql);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>wal_autocheckpoint of the connection a bulk write gets (the held one, while held).</summary>
    private long HeldAutoCheckpoint() =>
        _store.SyncWrite(null, tx =>
        {
            using var read = tx.Connection!.Command(tx, "PRAGMA wal_autocheckpoint;");
            return Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }, bulk: true);

    private long WalBytes => new FileInfo(Path.Combine(_folder, "profile.db-wal")).Length;

    [Fact]
    public void Held_bulk_writes_are_checkpointed_by_the_checkpointer_and_the_wal_stays_within_its_bound()
    {
        _store.CheckpointWalLimitBytes = 4L << 20; // 1,024 frames of 4 KB
        using (_store.HoldBulkConnection())
        {
            for (var page = 0; page < 30; page++)
                BulkPage(page * 500, 500); // 30 commits of ~2 MB: 60 MB in all, 15 times the bound
            var checkpointer = _store.Checkpointer;
            Assert.NotNull(checkpointer);
            Assert.False(checkpointer.Failed);
            Assert.True(checkpointer.Checkpoints > 0, "the checkpointer never ran");
            // Without the bound the WAL would hold all 60 MB: it is rewound once it passes 4 MB (plus the page in flight).
            Assert.True(WalBytes < 12L << 20, $"the WAL grew to {WalBytes:N0} bytes");
        }
        Assert.Null(_store.Checkpointer);
        Assert.Equal(15_000, Scalar("SELECT count(*) FROM big;"));
        Assert.Equal("ok", QuickCheck());
    }

    [Fact]
    public void The_held_connection_takes_no_automatic_checkpoint_and_gets_the_default_back_when_released()
    {
        using (_store.HoldBulkConnection())
        {
            var autoCheckpoint = HeldAutoCheckpoint();
            Assert.Equal(0, autoCheckpoint);
        }
        // Every pooled connection, the former held one included, checkpoints by itself again.
        var connections = Enumerable.Range(0, 3).Select(_ => _store.OpenConnection()).ToList();
        try
        {
            foreach (var connection in connections)
            {
                using var read = connection.Command(null, "PRAGMA wal_autocheckpoint;");
                Assert.Equal(1000L, Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void A_pooled_connection_gets_its_defaults_back_after_a_bulk_write_or_a_sort()
    {
        long Pragma(SqliteConnection connection, string name)
        {
            using var read = connection.Command(null, $"PRAGMA {name};");
            return Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        long defaultCache;
        using (var first = _store.OpenConnection())
            defaultCache = Pragma(first, "cache_size");
        BulkPage(0, 10); // no hold: a pooled connection with the bulk cache
        _store.SyncWrite(null, tx => 0, sortOnDisk: true);
        var connections = Enumerable.Range(0, 3).Select(_ => _store.OpenConnection()).ToList();
        try
        {
            foreach (var connection in connections)
            {
                Assert.Equal(defaultCache, Pragma(connection, "cache_size"));
                Assert.Equal(0, Pragma(connection, "threads"));
                Assert.Equal(0, Pragma(connection, "temp_store"));
            }
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void A_write_outside_a_hold_has_no_checkpointer()
    {
        BulkPage(0, 10);
        Assert.Null(_store.Checkpointer);
        Assert.Equal(10, Scalar("SELECT count(*) FROM big;"));
    }

    [Fact]
    public void A_failed_held_write_drops_the_connection_and_its_checkpointer_and_keeps_what_was_committed()
    {
        using (_store.HoldBulkConnection())
        {
            BulkPage(0, 100);
            Assert.NotNull(_store.Checkpointer);
            Assert.ThrowsAny<Exception>(() => _store.SyncWrite(null, tx =>
            {
                using var insert = tx.Connection!.Command(tx, "INSERT INTO big (id, payload) VALUES (1, NULL);"); // NOT NULL
                insert.ExecuteNonQuery();
            }, bulk: true));
            Assert.Null(_store.Checkpointer);
            BulkPage(100, 100); // a new held connection, with a checkpointer of its own
            Assert.NotNull(_store.Checkpointer);
        }
        Assert.Equal(200, Scalar("SELECT count(*) FROM big;"));
        Assert.Equal("ok", QuickCheck());
    }

    [Fact]
    public void A_failed_checkpoint_loses_nothing_and_gives_the_held_connection_its_automatic_checkpoints_back()
    {
        using (_store.HoldBulkConnection())
        {
            BulkPage(0, 100);
            var checkpointer = _store.Checkpointer!;
            checkpointer.Connection.Close(); // the next checkpoint fails
            BulkPage(100, 100);
            Assert.True(SpinWait.SpinUntil(() => checkpointer.Failed, TimeSpan.FromSeconds(10)), "the failure was not noticed");
            checkpointer.BeforeWrite(); // returns at once: a writer never waits for a failed checkpointer
            var autoCheckpoint = HeldAutoCheckpoint();
            Assert.Equal(1000, autoCheckpoint);
            Assert.Null(_store.Checkpointer);
            BulkPage(200, 100);
        }
        Assert.Equal(300, Scalar("SELECT count(*) FROM big;"));
        Assert.Equal("ok", QuickCheck());
    }

    private string QuickCheck()
    {
        using var connection = _store.OpenConnection();
        using var command = connection.Command(null, "PRAGMA quick_check;");
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
