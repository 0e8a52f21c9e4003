using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>
/// Checkpoints the WAL on a connection and a thread of its own while the bulk writes of a sync run on the held bulk
/// connection (<see cref="CrmSyncStore.HoldBulkConnection"/>), so copying committed pages into the database file (reading
/// the WAL, writing the file, its fsyncs) no longer stops the writer after each commit. The held connection runs with
/// <c>wal_autocheckpoint = 0</c>; after each of its commits <see cref="Committed"/> asks for a PASSIVE checkpoint, which
/// never blocks the writer or a reader.
/// <para>
/// The WAL stays bounded: SQLite restarts it at the start of a write transaction only when every frame has been copied,
/// and the writer begins its next page right after a commit, while that page's frames are still being copied. So when the
/// WAL has grown past <see cref="WalLimitBytes"/>, <see cref="BeforeWrite"/> waits for the checkpoint in progress (one
/// page's frames, a fraction of a page's writing), and the next transaction starts from a fully copied WAL and rewinds
/// it. A checkpoint that fails (a full disk, an I/O error) loses nothing: the frames stay in the WAL, and the writer's
/// connection gets its automatic checkpoints back (<see cref="Failed"/>).
/// </para>
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>How far the WAL may grow before the writer waits for the checkpointer (then rewinds it): 256 MB.</summary>
    public const long WalLimitBytes = 256L << 20;

    /// <summary>The longest a writer waits for the checkpointer before it goes on anyway.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    private readonly SqliteConnection _connection;
    private readonly long _limitFrames;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _idle = new(true);
    private readonly Thread _thread;
    private bool _requested;
    private bool _stopping;
    private long _walFrames;
    private long _committed; // the writer's commits
    private long _covered;   // the commits the last completed checkpoint covered
    private volatile bool _failed;

    /// <param name="connection">An open connection of its own (disposed with this).</param>
    /// <param name="pageSize">The database's page size (one WAL frame per page).</param>
    /// <param name="limitBytes">The WAL's bound (<see cref="WalLimitBytes"/>; at least 1,024 frames).</param>
    public WalCheckpointer(SqliteConnection connection, long pageSize, long limitBytes = WalLimitBytes)
    {
        _connection = connection;
        _limitFrames = Math.Max(1024, limitBytes / Math.Max(512, pageSize));
        _thread = new Thread(Run) { IsBackground = true, Name = "CrmSync WAL checkpointer" };
        _thread.Start();
    }

    /// <summary>True once a checkpoint failed: the writer's connection must checkpoint for itself again.</summary>
    public bool Failed => _failed;

    /// <summary>Frames in the WAL at the last checkpoint (for tests and diagnostics).</summary>
    public long WalFrames => Interlocked.Read(ref _walFrames);

    /// <summary>The checkpointer's own connection (tests break it to see a failure handled).</summary>
    internal SqliteConnection Connection => _connection;

    /// <summary>Checkpoints run so far (for tests and diagnostics).</summary>
    public int Checkpoints => Volatile.Read(ref _checkpoints);

    private int _checkpoints;

    /// <summary>Called by the writer after a commit: a checkpoint of what it committed starts on the checkpointer's thread.</summary>
    public void Committed()
    {
        lock (_gate)
        {
            if (_stopping || _failed)
                return;
            _committed++;
            _requested = true;
            _idle.Reset();
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// Called by the writer before it begins a write transaction: waits for the checkpoints asked for when the WAL has outgrown
    /// its limit (the transaction then starts from a fully copied WAL, which SQLite rewinds), or when the checkpointer is more
    /// than one commit behind (a slow disk, a busy machine). So the WAL never holds more than its limit and two pages.
    /// </summary>
    public void BeforeWrite()
    {
        if (_failed)
            return;
        bool behind;
        lock (_gate)
            behind = _committed - _covered > 1;
        if (behind || Interlocked.Read(ref _walFrames) >= _limitFrames)
            _idle.Wait(MaxWait); // a checkpoint slower than this (a stalled disk) lets the writer go on; the WAL grows meanwhile
    }

    private void Run()
    {
        long target;
        while (true)
        {
            lock (_gate)
            {
                while (!_requested && !_stopping)
                {
                    _idle.Set();
                    Monitor.Wait(_gate);
                }
                if (!_requested)
                {
                    _idle.Set();
                    return;
                }
                _requested = false;
                target = _committed;
            }
            try
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                using var reader = command.ExecuteReader();
                if (reader.Read())
                    Interlocked.Exchange(ref _walFrames, reader.GetInt64(1)); // busy, log (frames in the WAL), checkpointed
                Interlocked.Increment(ref _checkpoints);
                lock (_gate)
                    _covered = target;
            }
            catch (Exception)
            {
                // Nothing is lost (the frames stay in the WAL); the writer's connection takes its automatic checkpoints back.
                // Any failure (SQLite's, or the connection gone): a writer waiting in BeforeWrite must never wait forever.
                lock (_gate)
                {
                    _failed = true;
                    _requested = false;
                    _idle.Set();
                }
                return;
            }
        }
    }

    /// <summary>Lets a checkpoint in progress finish, stops the thread and closes the connection.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }
        _thread.Join();
        _connection.Dispose();
        _idle.Dispose();
    }
}
