using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Reports;

/// <summary>
/// A connection for the read-only reports: opened in SQLite's read-only mode and with <c>PRAGMA query_only</c>, so
/// that no statement a report runs can change the database, whatever it is. Not pooled (a pooled read-only
/// connection would keep the file open after the store is disposed). Cancelling the token interrupts the running
/// statement (<c>sqlite3_interrupt</c>), which then ends with <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class ReadOnlyReportConnection : IDisposable
{
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _interrupt;

    private ReadOnlyReportConnection(string databasePath, SqliteConnection connection, CancellationToken cancellationToken)
    {
        DatabasePath = databasePath;
        Connection = connection;
        _cancellationToken = cancellationToken;
        _interrupt = cancellationToken.Register(static state =>
        {
            var handle = ((SqliteConnection)state!).Handle;
            if (handle is not null)
                SQLitePCL.raw.sqlite3_interrupt(handle);
        }, connection);
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The open connection.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>Opens <paramref name="store"/>'s file read-only.</summary>
    public static ReadOnlyReportConnection Open(CrmSyncStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        cancellationToken.ThrowIfCancellationRequested();
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = store.DatabasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = CrmSyncStore.BusyTimeoutMilliseconds / 1000,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.Command(null,
                $"PRAGMA busy_timeout = {CrmSyncStore.BusyTimeoutMilliseconds}; PRAGMA query_only = 1;");
            command.ExecuteNonQuery();
            return new ReadOnlyReportConnection(store.DatabasePath, connection, cancellationToken);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Translate(store.DatabasePath, e, cancellationToken);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A command on this connection (in <paramref name="transaction"/> when given).</summary>
    public SqliteCommand Command(string sql, SqliteTransaction? transaction = null) => Connection.Command(transaction, sql);

    /// <summary>Starts a read transaction, so that several statements see one snapshot.</summary>
    public SqliteTransaction BeginSnapshot() => Run(() => Connection.BeginTransaction(deferred: true));

    /// <summary>Runs <paramref name="command"/> and returns its reader.</summary>
    public SqliteDataReader ExecuteReader(SqliteCommand command) => Run(command.ExecuteReader);

    /// <summary>Runs <paramref name="command"/> and returns its first value.</summary>
    public object? ExecuteScalar(SqliteCommand command) => Run(command.ExecuteScalar);

    /// <summary>Advances <paramref name="reader"/>; false at the end.</summary>
    public bool Read(SqliteDataReader reader)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        return Run(reader.Read);
    }

    /// <summary>The names of the columns of <paramref name="table"/> (empty when it does not exist).</summary>
    public IReadOnlySet<string> ReadColumns(string table, SqliteTransaction? transaction)
    {
        using var command = Command("SELECT name FROM pragma_table_info($table);", transaction).With("$table", table);
        using var reader = ExecuteReader(command);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (Read(reader))
            names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>Runs <paramref name="work"/>, turning SQLite errors into CrmSync errors and an interrupt into cancellation.</summary>
    public T Run<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException e)
        {
            throw Translate(DatabasePath, e, _cancellationToken);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _interrupt.Dispose();
        Connection.Dispose();
    }

    private static Exception Translate(string databasePath, SqliteException e, CancellationToken cancellationToken) =>
        StoreErrors.Translate(databasePath, e, new StoreErrors.Wording(
            Locked: $"The CrmSync database {databasePath} is locked and stayed locked past the {CrmSyncStore.BusyTimeoutMilliseconds} ms busy timeout.",
            LockedAction: "Wait for the other program to finish with the database, then try again.",
            Failed: $"Reading the CrmSync database {databasePath} failed", FailedKind: ErrorKind.ReadError), cancellationToken);
}

/// <summary>Argument checks shared by the reports.</summary>
internal static class ReportArguments
{
    /// <summary>Throws InvalidArgument unless <paramref name="last"/> is null or positive.</summary>
    public static void CheckLast(int? last)
    {
        if (last is <= 0)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"{ShellParameter.For(ActionParameter.Last)} must be a positive number of entries; {last} was given.", $"Give {ShellParameter.For(ActionParameter.Last)} 1 or more, or leave it out to list everything.", last);
    }
}
