using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Store;

/// <summary>
/// One profile's local SQLite database: the system tables (profile, field catalog, mappings, outbox, watermarks,
/// checkpoints, run history, errors, conflicts, API usage, run lock) and, later, the synced object tables.
/// Connections are pooled, in WAL mode with a busy timeout and foreign keys on, so other tools can read and write
/// the file while a sync runs. Every value goes through SQL parameters.
/// </summary>
public sealed class CrmSyncStore : IDisposable
{
    /// <summary>How long a statement waits for another writer before failing with <see cref="ErrorIds.DatabaseLocked"/>.</summary>
    public const int BusyTimeoutMilliseconds = 5000;

    private readonly string _connectionString;
    private readonly object _bulkGate = new();
    private SqliteConnection? _bulkConnection; // the held connection of HoldBulkConnection, while held
    private bool _bulkInUse;
    private int _bulkHolds;
    private long _bulkDefaultCache;
    private long _bulkDefaultAutoCheckpoint;
    private WalCheckpointer? _checkpointer; // checkpoints for the held bulk connection, while held

    private CrmSyncStore(string databasePath, TimeProvider time)
    {
        DatabasePath = databasePath;
        Time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();

        Profile = new ProfileTable(this);
        FieldCatalog = new FieldCatalog(this);
        FieldMappings = new FieldMappingTable(this);
        SchemaWriter = new SchemaWriter(this);
        Outbox = new Outbox(this);
        CaptureBase = new CaptureBase(this);
        Watermarks = new WatermarkTable(this);
        Checkpoints = new CheckpointTable(this);
        RereadMarks = new RereadMarks(this);
        Runs = new RunHistory(this);
        Errors = new SyncErrorLog(this);
        Conflicts = new ConflictJournal(this);
        ApiUsage = new ApiUsageLog(this);
        RunLock = new RunLock(this);
    }

    /// <summary>
    /// Opens (creating it and its folder if missing) the database at <paramref name="databasePath"/> (on Unix owner-only,
    /// mode 0600, as are its WAL and SHM files; a looser existing file is tightened, see <see cref="PrivateFile"/>), switches it to
    /// WAL and brings its schema to <see cref="LatestSchemaVersion"/>. Throws <see cref="ErrorIds.DatabaseSchemaTooNew"/>
    /// when the file was written by a newer CrmSync, <see cref="ErrorIds.DatabasePathInvalid"/> when it is some other
    /// application's database, <see cref="ErrorIds.DatabaseCorrupt"/> when it is not a SQLite file, and
    /// <see cref="ErrorIds.DatabaseLocked"/> when another writer holds it past the busy timeout.
    /// </summary>
    /// <param name="databasePath">The SQLite file.</param>
    /// <param name="timeProvider">The clock for every timestamp the store writes (tests pass a fake one).</param>
    public static CrmSyncStore Open(string databasePath, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var full = Path.GetFullPath(databasePath);
        try
        {
            var folder = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(folder))
                Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.WriteError,
                $"The folder of the database '{full}' cannot be created: {e.Message}",
                "Give a database path in a folder you can write to.", full, e);
        }

        try
        {
            PrivateFile.EnsureDatabase(full); // personal data: owner-only from the first byte (Unix), its WAL and SHM too
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.WriteError,
                $"The database '{full}' cannot be created: {e.Message}", "Give a database path in a folder you can write to.", full, e);
        }

        var store = new CrmSyncStore(full, timeProvider ?? TimeProvider.System);
        try
        {
            store.Migrate();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The clock used for every timestamp the store writes.</summary>
    public TimeProvider Time { get; }

    /// <summary>The schema version this code writes.</summary>
    public static int LatestSchemaVersion => StoreMigrations.Latest;

    /// <summary>The profile row (connection settings; never secrets).</summary>
    public ProfileTable Profile { get; }
    /// <summary>The append-only catalog of created fields.</summary>
    public FieldCatalog FieldCatalog { get; }
    /// <summary>The field mappings.</summary>
    public FieldMappingTable FieldMappings { get; }
    /// <summary>Creates synced tables and columns: only ever CREATE TABLE and ADD COLUMN.</summary>
    public SchemaWriter SchemaWriter { get; }
    /// <summary>Local changes waiting to be pushed.</summary>
    public Outbox Outbox { get; }
    /// <summary>The values of locally changed columns before their first unpushed change.</summary>
    public CaptureBase CaptureBase { get; }
    /// <summary>Committed per-object pull watermarks.</summary>
    public WatermarkTable Watermarks { get; }
    /// <summary>Resumable positions of long phases such as the initial copy.</summary>
    public CheckpointTable Checkpoints { get; }
    /// <summary>The CRM ids a full re-read (an expired change position) has been given so far.</summary>
    public RereadMarks RereadMarks { get; }
    /// <summary>Run history and per-object counts.</summary>
    public RunHistory Runs { get; }
    /// <summary>Record- and job-level sync errors.</summary>
    public SyncErrorLog Errors { get; }
    /// <summary>The conflict journal.</summary>
    public ConflictJournal Conflicts { get; }
    /// <summary>API usage reported by the CRM.</summary>
    public ApiUsageLog ApiUsage { get; }
    /// <summary>The single-holder run lease.</summary>
    public RunLock RunLock { get; }

    /// <summary>
    /// Opens a new pooled connection (busy timeout, synchronous=NORMAL, foreign keys on). The caller disposes it.
    /// Use it with <see cref="SqliteConnection.BeginTransaction()"/> to commit data and a checkpoint atomically.
    /// </summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = NORMAL;";
            command.ExecuteNonQuery();
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Translate(e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Reads the schema version stored in the file (<c>PRAGMA user_version</c>).</summary>
    public int ReadSchemaVersion()
    {
        using var connection = OpenConnection();
        return ReadPragmaInt(connection, null, "user_version");
    }

    /// <summary>Reads the journal mode of the file (<c>wal</c> once opened by CrmSync).</summary>
    public string ReadJournalMode()
    {
        using var connection = OpenConnection();
        return ReadJournalMode(connection);
    }

    /// <summary>Returns this database's pooled connections to the OS (so the file can be moved or deleted).</summary>
    public void Dispose()
    {
        lock (_bulkGate)
        {
            if (_bulkConnection is { } held && !_bulkInUse)
            {
                _bulkConnection = null;
                _checkpointer?.Dispose();
                _checkpointer = null;
                held.Dispose();
            }
        }
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    internal T Read<T>(SqliteTransaction? transaction, Func<SqliteConnection, SqliteTransaction?, T> work)
    {
        try
        {
            if (transaction is not null)
                return work(Connection(transaction), transaction);
            using var connection = OpenConnection();
            return work(connection, null);
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>Runs <paramref name="work"/> in the caller's transaction, or in a new write transaction of its own.</summary>
    internal T Write<T>(SqliteTransaction? transaction, Func<SqliteConnection, SqliteTransaction, T> work)
    {
        try
        {
            if (transaction is not null)
                return work(Connection(transaction), transaction);
            using var connection = OpenConnection();
            using var own = connection.BeginTransaction(); // BEGIN IMMEDIATE
            var result = work(connection, own);
            own.Commit();
            return result;
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>
    /// The sync's write transaction, opened in one place for the pull, the push and the schema refresh: a new connection,
    /// BEGIN IMMEDIATE, the <see cref="SyncWriteMarker"/> mark (so the capture triggers do not echo these writes into the
    /// outbox), <paramref name="work"/>, the mark removed, commit. A SQLite failure anywhere in it (a database locked past the
    /// busy timeout included) is rolled back and thrown as a CrmSync error (<see cref="ErrorIds.DatabaseLocked"/>, ...),
    /// worded by <paramref name="wording"/> when given.
    /// </summary>
    /// <param name="runId">The sync run that writes (recorded in the mark; null outside a run).</param>
    /// <param name="work">The writes, in the transaction it is given.</param>
    /// <param name="wording">The messages for the path that writes; null for the store's general wording.</param>
    /// <param name="bulk">True for large writes (a pulled page): a bigger page cache and temporary tables in memory, on the
    /// connection <see cref="HoldBulkConnection"/> keeps while one is held.</param>
    /// <param name="sortOnDisk">True for a write that sorts a whole table (CREATE INDEX): not with <paramref name="bulk"/>;
    /// the sort spills to SQLite's temporary files, not to memory, and its page cache (which also bounds the sorter's
    /// memory) is 8 MB (<see cref="SortPragmas"/>), so the memory it takes does not grow with the table.</param>
    internal T SyncWrite<T>(long? runId, Func<SqliteTransaction, T> work, StoreErrors.Wording? wording = null, bool bulk = false, bool sortOnDisk = false)
    {
        SqliteConnection? held = null;
        var failed = true;
        try
        {
            held = bulk ? TakeBulkConnection() : null;
            var connection = held ?? OpenConnection();
            // A pooled connection given a large write's settings gets SQLite's defaults back before it returns to the pool,
            // so the next user of that connection does not keep an 8 MB cache (or a sort's helper thread) it did not ask for.
            long? pooledCache = null;
            try
            {
                if (held is null && (bulk || sortOnDisk))
                    pooledCache = ReadPragmaInt(connection, null, "cache_size");
                if (bulk && held is null)
                    Execute(connection, BulkPragmas);
                if (sortOnDisk)
                    Execute(connection, SortPragmas);
                if (held is not null)
                    BeforeHeldWrite(held);
                using var transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE
                SyncWriteMarker.Begin(transaction, runId);
                var result = work(transaction);
                SyncWriteMarker.End(transaction);
                transaction.Commit();
                failed = false;
                if (held is not null)
                    _checkpointer?.Committed();
                return result;
            }
            finally
            {
                if (held is null)
                {
                    if (pooledCache is { } cache)
                        RestoreDefaults(connection, $"PRAGMA cache_size = {cache.ToString(System.Globalization.CultureInfo.InvariantCulture)}; PRAGMA temp_store = DEFAULT; PRAGMA threads = 0;");
                    connection.Dispose();
                }
            }
        }
        catch (SqliteException e)
        {
            throw StoreErrors.Translate(DatabasePath, e, wording);
        }
        finally
        {
            if (held is not null)
                ReturnBulkConnection(held, failed);
        }
    }

    /// <summary>
    /// The connection settings of the sync's large writes (<see cref="SyncWrite{T}"/> with <c>bulk</c>): an 8 MB page cache
    /// and temporary tables in memory. The cache was 32 MB while the person table's email index was maintained during a
    /// first copy (its leaf pages all over the file wanted it); with that index built after the copy (issue 15) the copy
    /// writes at the right edge of its B-trees and 8 MB measured as fast (1M persons: 12.0-12.1 µs CPU per person against
    /// 11.6-15.8 µs with 32 MB; 100,000 incremental changes 2.66 s against 3.28 s) with a lower peak (147-172 MB).
    /// </summary>
    private const string BulkPragmas = "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;";

    /// <summary>
    /// The connection settings of a write that sorts a whole table (<see cref="SyncWrite{T}"/> with <c>sortOnDisk</c>): an
    /// 8 MB cache (which also bounds each of the sorter's in-memory lists), temporary files on disk, and no helper thread.
    /// A helper thread (<c>threads = 1</c>) sorted 1,000,000 email addresses in 1.2 s instead of 1.3 s, for the same CPU
    /// time, but holds a second list while it sorts the first: the index build, which is where a first copy's memory peaks,
    /// took +25 MB (1M persons) and +36-43 MB (3M) of working set with it against +18 and +20 MB without (issue 15).
    /// </summary>
    private const string SortPragmas = "PRAGMA cache_size = -8192; PRAGMA temp_store = FILE; PRAGMA threads = 0;";

    /// <summary>
    /// Keeps one connection for the bulk sync writes (<see cref="SyncWrite{T}"/> with <c>bulk</c>) until the returned handle
    /// is disposed: every page of a long copy then runs on the same connection with one page cache (<see cref="BulkPragmas"/>) that stays valid
    /// from one page to the next (no other connection writes in between), instead of on whichever pooled connection comes
    /// next, each filling a cache of its own and re-reading the pages another connection's commit made stale. Holds nest;
    /// the last release sets the connection's cache back to its default size, frees what SQLite no longer needs and returns
    /// the connection to the pool. A bulk write that finds the held connection busy (another thread's) uses a pooled one as
    /// before; a write that fails drops the held connection (the next one opens a new one).
    /// </summary>
    internal IDisposable HoldBulkConnection()
    {
        lock (_bulkGate)
            _bulkHolds++;
        return new BulkHold(this);
    }

    private sealed class BulkHold(CrmSyncStore store) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                store.ReleaseBulkHold();
        }
    }

    private SqliteConnection? TakeBulkConnection()
    {
        lock (_bulkGate)
        {
            if (_bulkHolds == 0 || _bulkInUse)
                return null;
            if (_bulkConnection is null)
            {
                var connection = OpenConnection();
                try
                {
                    _bulkDefaultCache = ReadPragmaInt(connection, null, "cache_size");
                    _bulkDefaultAutoCheckpoint = ReadPragmaInt(connection, null, "wal_autocheckpoint");
                    Execute(connection, BulkPragmas);
                    _checkpointer = StartCheckpointer(connection);
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
                _bulkConnection = connection;
            }
            _bulkInUse = true;
            return _bulkConnection;
        }
    }

    private void ReturnBulkConnection(SqliteConnection connection, bool failed)
    {
        lock (_bulkGate)
        {
            _bulkInUse = false;
            if (failed || _bulkHolds == 0)
            {
                _bulkConnection = null;
                Close(connection);
            }
        }
    }

    private void ReleaseBulkHold()
    {
        lock (_bulkGate)
        {
            if (--_bulkHolds > 0 || _bulkInUse || _bulkConnection is not { } connection)
                return;
            _bulkConnection = null;
            Close(connection);
        }
    }

    /// <summary>
    /// The held bulk connection's checkpoints move to a <see cref="WalCheckpointer"/> (its own connection and thread): the
    /// copy of each committed page into the database file no longer stops the writer (1,000,000 persons: the Lead copy
    /// 16 % faster with no checkpoint on the writer's thread).
    /// </summary>
    private WalCheckpointer? StartCheckpointer(SqliteConnection held)
    {
        if (!string.Equals(ReadJournalMode(held), "wal", StringComparison.OrdinalIgnoreCase))
            return null;
        var own = OpenConnection();
        try
        {
            var checkpointer = new WalCheckpointer(own, ReadPragmaInt(held, null, "page_size"), CheckpointWalLimitBytes);
            Execute(held, "PRAGMA wal_autocheckpoint = 0;");
            return checkpointer;
        }
        catch
        {
            own.Dispose();
            throw;
        }
    }

    /// <summary>The WAL's bound while the held bulk connection writes (<see cref="WalCheckpointer.WalLimitBytes"/>; tests lower it).</summary>
    internal long CheckpointWalLimitBytes { get; set; } = WalCheckpointer.WalLimitBytes;

    /// <summary>The held bulk connection's checkpointer, while one runs (for tests).</summary>
    internal WalCheckpointer? Checkpointer => _checkpointer;

    private static string ReadJournalMode(SqliteConnection connection)
    {
        using var command = connection.Command(null, "PRAGMA journal_mode;");
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>Before a write transaction on the held connection: bounds the WAL (<see cref="WalCheckpointer.BeforeWrite"/>), or gives the connection its automatic checkpoints back when the checkpointer failed.</summary>
    private void BeforeHeldWrite(SqliteConnection held)
    {
        if (_checkpointer is not { } checkpointer)
            return;
        if (checkpointer.Failed)
        {
            Execute(held, $"PRAGMA wal_autocheckpoint = {_bulkDefaultAutoCheckpoint.ToString(System.Globalization.CultureInfo.InvariantCulture)};");
            _checkpointer = null;
            checkpointer.Dispose();
            return;
        }
        checkpointer.BeforeWrite();
    }

    private void Close(SqliteConnection connection)
    {
        var checkpointer = _checkpointer;
        _checkpointer = null;
        try
        {
            checkpointer?.Dispose();
            RestoreDefaults(connection, $"PRAGMA cache_size = {_bulkDefaultCache.ToString(System.Globalization.CultureInfo.InvariantCulture)}; " +
                $"PRAGMA wal_autocheckpoint = {_bulkDefaultAutoCheckpoint.ToString(System.Globalization.CultureInfo.InvariantCulture)};");
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Gives a connection that is going back to the pool the settings it had (<paramref name="pragmas"/>: integers SQLite
    /// reported, as PRAGMA values cannot be parameters) and frees the cache SQLite no longer needs; a connection that cannot
    /// be reset is not handed out again.
    /// </summary>
    private static void RestoreDefaults(SqliteConnection connection, string pragmas)
    {
        try
        {
            Execute(connection, pragmas + " PRAGMA shrink_memory;");
        }
        catch (SqliteException)
        {
            SqliteConnection.ClearPool(connection);
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.Command(null, sql);
        command.ExecuteNonQuery();
    }

    /// <inheritdoc cref="SyncWrite{T}(long?, Func{SqliteTransaction, T}, StoreErrors.Wording?, bool)"/>
    internal void SyncWrite(long? runId, Action<SqliteTransaction> work, StoreErrors.Wording? wording = null, bool bulk = false) =>
        SyncWrite<object?>(runId, transaction =>
        {
            work(transaction);
            return null;
        }, wording, bulk);

    /// <summary>Runs <paramref name="work"/> in a write transaction of its own that is not marked as the sync's (SQLite errors translated).</summary>
    internal void Write(Action<SqliteTransaction> work) =>
        Write<object?>(null, (_, transaction) =>
        {
            work(transaction);
            return null;
        });

    /// <summary>Runs <paramref name="work"/> on a connection of its own (SQLite errors translated).</summary>
    internal T Read<T>(Func<SqliteConnection, T> work) => Read(null, (connection, _) => work(connection));

    internal string Now() => StoreTime.Format(Time.GetUtcNow());

    private static SqliteConnection Connection(SqliteTransaction transaction) =>
        transaction.Connection ?? throw new InvalidOperationException("The transaction has already completed.");

    private Exception Translate(SqliteException e) => StoreErrors.Translate(DatabasePath, e);

    /// <summary>
    /// The page size of a database this store creates: 16 KB rather than SQLite's default 4 KB. A synced table's rows are
    /// wide (a person row is ~550 bytes on disk over ~90 columns), and a first copy writes every page twice (to the WAL, then
    /// to the file by the checkpoint): with 16 KB pages a page holds ~30 such rows instead of ~7, so the copy makes a quarter
    /// of the page writes, reads and B-tree splits, and the kernel's share of its CPU time fell by half in the benchmark
    /// (docs/benchmarks.md, Round 5). Incremental cycles of scattered changes measured the same. Page-sized settings
    /// (<c>cache_size</c>) are given in kilobytes, so memory does not change with it.
    /// </summary>
    internal const int NewDatabasePageSize = 16384;

    private void Migrate()
    {
        using var connection = OpenConnection();
        try
        {
            var version = ReadPragmaInt(connection, null, "user_version");
            ThrowIfTooNew(version);
            if (version == 0)
                ThrowIfForeign(connection, ReadPragmaInt(connection, null, "application_id"), requireEmpty: true);
            else
                ThrowIfForeign(connection, ReadPragmaInt(connection, null, "application_id"), requireEmpty: false);

            // A new file gets its page size before WAL mode fixes it (SQLite cannot change it in WAL mode; an existing
            // database keeps the size it was created with, and works the same).
            if (version == 0)
                using (var size = connection.Command(null, $"PRAGMA page_size = {NewDatabasePageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)};"))
                    size.ExecuteNonQuery();
            // journal_mode cannot change inside a transaction; it is persistent in the file.
            using (var wal = connection.Command(null, "PRAGMA journal_mode = WAL;"))
            {
                var mode = Convert.ToString(wal.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.InvalidOperation,
                        $"The database {DatabasePath} could not be switched to WAL mode (it reports '{mode}'); " +
                        "the folder may be on a network or read-only file system.",
                        $"Give {ShellParameter.For(ActionParameter.DatabasePath)} a file on a local disk.", DatabasePath);
            }

            for (var target = version + 1; target <= StoreMigrations.Latest; target++)
            {
                using var transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE: one migrator at a time
                var current = ReadPragmaInt(connection, transaction, "user_version");
                ThrowIfTooNew(current);
                if (current >= target)
                {
                    transaction.Commit(); // another process migrated meanwhile
                    continue;
                }
                using (var command = connection.Command(transaction, StoreMigrations.All[target - 1]))
                    command.ExecuteNonQuery();
                if (StoreMigrations.DataSteps.TryGetValue(target, out var dataStep))
                    dataStep(connection, transaction);
                // PRAGMA values cannot be parameters; these are integers from code, never input.
                using (var command = connection.Command(transaction,
                           $"PRAGMA user_version = {target}; PRAGMA application_id = {StoreMigrations.ApplicationId};"))
                    command.ExecuteNonQuery();
                transaction.Commit();
            }
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    private void ThrowIfTooNew(int version)
    {
        if (version > StoreMigrations.Latest)
            throw new CrmSyncException(ErrorIds.DatabaseSchemaTooNew, ErrorKind.InvalidData,
                $"The database {DatabasePath} has schema version {version}, but this CrmSync {EngineInfo.Version} " +
                $"understands versions up to {StoreMigrations.Latest}.",
                "Update the CrmSync module to the version that last wrote this database.", DatabasePath);
    }

    private void ThrowIfForeign(SqliteConnection connection, int applicationId, bool requireEmpty)
    {
        var foreign = applicationId != 0 && applicationId != StoreMigrations.ApplicationId;
        if (!foreign && requireEmpty)
        {
            using var command = connection.Command(null, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%';");
            foreign = (long)command.ExecuteScalar()! > 0;
        }
        if (foreign)
            throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.InvalidData,
                $"The file {DatabasePath} is a SQLite database that CrmSync did not create; CrmSync will not add its tables to it.",
                $"Give {ShellParameter.For(ActionParameter.DatabasePath)} a new file name or an existing CrmSync database.", DatabasePath);
    }

    private static int ReadPragmaInt(SqliteConnection connection, SqliteTransaction? transaction, string pragma)
    {
        using var command = connection.Command(transaction, $"PRAGMA {pragma};");
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
