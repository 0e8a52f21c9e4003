using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Push;

/// <summary>
/// The push writes through the store's one sync write transaction, so a database that another program keeps locked past the
/// busy timeout ends the run as DatabaseLocked (as the pull does), never as UnexpectedError, and the change is pushed later.
/// </summary>
public sealed class PushDatabaseLockedTests
{
    private const string Smith = "003000000000001AAA";

    [Fact]
    public async Task A_database_locked_while_the_push_records_its_batch_ends_the_run_as_DatabaseLocked_and_the_change_waits()
    {
        using var bed = new PushTestBed();
        bed.Contact(Smith, "Smith", "smith@example.com", "CEO");
        await bed.SucceededCycleAsync();
        bed.ExternalSql($"UPDATE person SET Title = 'CTO' WHERE _crm_id = '{Smith}';");

        Task? holder = null;
        bed.Writer.AfterWrite = _ =>
        {
            // Another program takes the write lock after the CRM accepted the batch and keeps it past the busy timeout,
            // then lets go, so the orchestrator can record the failed run.
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = bed.Store.DatabasePath, Pooling = false }.ToString());
            connection.Open();
            using (var begin = connection.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                begin.ExecuteNonQuery();
            }
            holder = Task.Run(async () =>
            {
                await Task.Delay(CrmSyncStore.BusyTimeoutMilliseconds + 1500);
                using var rollback = connection.CreateCommand();
                rollback.CommandText = "ROLLBACK;";
                rollback.ExecuteNonQuery();
                connection.Dispose();
            });
        };

        var locked = await bed.CycleAsync();
        await holder!;

        Assert.Equal(RunState.Failed, locked.State);
        Assert.Equal(ErrorIds.DatabaseLocked, locked.Error!.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, locked.Error.Kind);
        Assert.Contains("the push stopped", locked.Error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorIds.DatabaseLocked, bed.Store.Runs.Get(locked.RunId)!.ErrorId);
        Assert.Equal(1, bed.Store.Outbox.CountBacklog()); // the change was not recorded as pushed: it waits

        bed.Writer.AfterWrite = null;
        await bed.SucceededCycleAsync();
        Assert.Equal(0, bed.Store.Outbox.CountBacklog());
        Assert.Equal("CTO", bed.Source.Get("Contact", Smith).Values["Title"]);
    }
}
