using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Sync;

/// <summary>A SAVEPOINT around one record's several statements: rolled back unless released.</summary>
internal sealed class RecordSavepoint : IDisposable
{
    private readonly SqliteTransaction _transaction;
    private bool _done;

    public RecordSavepoint(SqliteTransaction transaction)
    {
        _transaction = transaction;
        Execute(transaction, "SAVEPOINT crmsync_record;");
    }

    public void Release()
    {
        if (_done) return;
        _done = true;
        Execute(_transaction, "RELEASE crmsync_record;");
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        Execute(_transaction, "ROLLBACK TO crmsync_record; RELEASE crmsync_record;");
    }

    private static void Execute(SqliteTransaction transaction, string sql)
    {
        using var command = transaction.Connection!.Command(transaction, sql);
        command.ExecuteNonQuery();
    }
}
