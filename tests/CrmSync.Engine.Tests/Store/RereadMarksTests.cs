using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

/// <summary>The marks of a full re-read (<see cref="RereadMarks"/>): which local rows its CRM ids leave unseen.</summary>
public sealed class RereadMarksTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CrmSyncStore _store;

    public RereadMarksTests()
    {
        _store = CrmSyncStore.Open(_dir.Combine("p.db"), new FakeTimeProvider());
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        _store.SchemaWriter.CreateTableIfMissing(transaction, "person", SystemColumns.For(isPerson: true, isTwoWay: true));
        foreach (var (id, type, deleted) in new (string?, string?, int)[]
                 {
                     ("l1", "Lead", 0), ("l2", "Lead", 0), ("l3", "Lead", 1), ("c1", "Contact", 0), (null, "Lead", 0), (null, null, 0),
                 })
        {
            using var insert = transaction.Connection!.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO person (_crm_id, _crm_type, _crm_is_deleted) VALUES ($id, $type, $deleted);";
            insert.Parameters.AddWithValue("$id", (object?)id ?? DBNull.Value);
            insert.Parameters.AddWithValue("$type", (object?)type ?? DBNull.Value);
            insert.Parameters.AddWithValue("$deleted", deleted);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private T InTransaction<T>(Func<SqliteTransaction, T> work, bool commit = true)
    {
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var result = work(transaction);
        if (commit)
            transaction.Commit();
        return result;
    }

    [Fact]
    public void Unseen_rows_are_the_objects_live_rows_with_a_crm_id_that_no_page_marked()
    {
        Assert.Equal(["l1", "l2"], InTransaction(tx => _store.RereadMarks.Unseen(tx, "lead", "person", "Lead")));
        InTransaction(tx => { _store.RereadMarks.Mark(tx, "lead", ["l1", "x9", "l1", null, ""]); return 0; });
        InTransaction(tx => { _store.RereadMarks.Mark(tx, "contact", ["l2"]); return 0; }); // another object's marks do not count

        Assert.Equal(2, _store.RereadMarks.Count("lead"));
        // l3 is flagged deleted already, c1 is a contact, the rows without a CRM id were never pushed.
        Assert.Equal(["l2"], InTransaction(tx => _store.RereadMarks.Unseen(tx, "lead", "person", "Lead")));
        Assert.Equal(["c1"], InTransaction(tx => _store.RereadMarks.Unseen(tx, "contact", "person", "Contact")));
        Assert.Equal(["l1", "c1"], InTransaction(tx => _store.RereadMarks.Unseen(tx, "contact", "person", null)));
    }

    [Fact]
    public void Marks_persist_only_with_their_transaction_and_clear_per_object()
    {
        InTransaction(tx => { _store.RereadMarks.Mark(tx, "lead", ["l1"]); return 0; }, commit: false);
        Assert.Equal(0, _store.RereadMarks.Count("lead"));

        InTransaction(tx => { _store.RereadMarks.Mark(tx, "lead", ["l1", "l2"]); _store.RereadMarks.Mark(tx, "contact", ["c1"]); return 0; });
        InTransaction(tx => { _store.RereadMarks.Clear(tx, "lead"); return 0; });

        Assert.Equal(0, _store.RereadMarks.Count("lead"));
        Assert.Equal(1, _store.RereadMarks.Count("contact"));
        Assert.Equal(["l1", "l2"], InTransaction(tx => _store.RereadMarks.Unseen(tx, "lead", "person", "Lead")));
    }
}
