using CrmSync.Engine.Push;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Push;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CrmSync.Engine.Tests.Store;

/// <summary>
/// The initial copy's row writer turns triggers off on its own connection for a page
/// (<see cref="SyncWriteMarker.SuspendSilencedTriggers"/>): only inside a marked transaction, only while every trigger of the
/// table is one the mark silences, never for another connection, and never past the handle (the pooled connection is
/// handed out again with triggers on).
/// </summary>
public sealed class SuspendedTriggersTests
{
    private const string Ames = "00Q000000000001AAA";
    private const string Zed = "00Q000000000002AAA";

    private static async Task<PushTestBed> CopiedAsync()
    {
        var bed = new PushTestBed();
        bed.Lead(Ames, "Ames", "ames@example.com");
        await bed.SucceededCycleAsync(); // the push installs the capture triggers
        return bed;
    }

    private static bool TriggersOn(SqliteConnection connection)
    {
        Assert.Equal(raw.SQLITE_OK, raw.sqlite3_db_config(connection.Handle!, 1003, -1, out int state)); // SQLITE_DBCONFIG_ENABLE_TRIGGER, query
        return state != 0;
    }

    [Fact]
    public async Task In_a_marked_transaction_triggers_are_off_on_that_connection_only_and_on_again_after()
    {
        using var bed = await CopiedAsync();
        Assert.NotNull(bed.Scalar($"SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name = '{ChangeCapture.TriggerNames("person").Update}'"));

        bed.Store.SyncWrite(null, transaction =>
        {
            using (var off = SyncWriteMarker.SuspendSilencedTriggers(transaction, "person"))
            {
                Assert.NotNull(off);
                Assert.False(TriggersOn(transaction.Connection!));
                using var insert = transaction.Connection!.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = $"INSERT INTO person (_crm_id, _crm_type, LastName) VALUES ('{Zed}', 'Lead', 'Zed');";
                insert.ExecuteNonQuery();
            }
            Assert.True(TriggersOn(transaction.Connection!));
        });

        // The sync's own insert: neither captured nor given a client key by the insert trigger (as under the mark).
        Assert.Empty(bed.Outbox());
        Assert.Null(bed.Scalar($"SELECT _client_key FROM person WHERE _crm_id = '{Zed}'"));
        // The pooled connection the write used (handed out again, most recent first) captures a local edit as always, and so
        // does another program's connection.
        using (var pooled = bed.Store.OpenConnection())
        {
            Assert.True(TriggersOn(pooled));
            using var update = pooled.CreateCommand();
            update.CommandText = $"UPDATE person SET LastName = 'Pooled' WHERE _crm_id = '{Ames}';";
            update.ExecuteNonQuery();
        }
        bed.ExternalSql($"UPDATE person SET LastName = 'Other' WHERE _crm_id = '{Zed}';");
        Assert.Equal(2, bed.Outbox().Count);
    }

    [Fact]
    public async Task Without_the_mark_or_with_a_trigger_the_mark_does_not_silence_triggers_stay_on()
    {
        using var bed = await CopiedAsync();

        bed.Store.Write(transaction =>
        {
            Assert.Null(SyncWriteMarker.SuspendSilencedTriggers(transaction, "person")); // not the sync's write
            Assert.True(TriggersOn(transaction.Connection!));
        });

        bed.ExternalSql("CREATE TABLE audit (n INTEGER); CREATE TRIGGER audit_person AFTER INSERT ON person BEGIN INSERT INTO audit VALUES (1); END;");
        bed.Store.SyncWrite(null, transaction =>
        {
            Assert.Null(SyncWriteMarker.SuspendSilencedTriggers(transaction, "person")); // someone else's trigger keeps firing
            Assert.True(TriggersOn(transaction.Connection!));
            using var insert = transaction.Connection!.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO person (_crm_id, _crm_type, LastName) VALUES ('{Zed}', 'Lead', 'Zed');";
            insert.ExecuteNonQuery();
        });
        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM audit"));
        Assert.Empty(bed.Outbox());
    }
}
