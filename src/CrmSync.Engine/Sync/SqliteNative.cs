using System.Runtime.InteropServices;
using SQLitePCL;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The few SQLite calls the initial copy's row writer makes per field and per row (bind, step, reset, changes), made on
/// the raw statement and connection pointers of handles SQLitePCLRaw prepared and owns. SQLitePCLRaw's own calls go
/// through a SafeHandle each (reference count up and down, a marshalling stub, a GC transition): about 90 of them per row.
/// Here the bind calls skip the GC transition (<see cref="SuppressGCTransitionAttribute"/>: they return at once, never
/// block and never call back); step and reset, which do I/O, keep it.
/// <para>The library is the very e_sqlite3 SQLitePCLRaw loaded: it is resolved as SQLitePCLRaw's provider resolves it (so the
/// module's resolver under pwsh answers it as it answers the provider). Text is bound with SQLITE_TRANSIENT: SQLite copies
/// it before the call returns, so a managed buffer only needs to be pinned for the call (the byref argument pins it).</para>
/// </summary>
internal static class SqliteNative
{
    private const string Library = "e_sqlite3";
    private static readonly IntPtr Transient = new(-1);
    private static readonly byte[] Empty = [0];
    private static int _resolverSet;

    private static readonly Lazy<bool> Loaded = new(Load);

    /// <summary>
    /// True when the calls below reach the same SQLite SQLitePCLRaw uses (same version number through both); false when the
    /// library cannot be resolved for them, and then the row writer leaves every row to the record path (slower, same result).
    /// </summary>
    public static bool Available => Loaded.Value;

    private static bool Load()
    {
        var provider = typeof(SQLite3Provider_e_sqlite3).Assembly;
        if (Interlocked.Exchange(ref _resolverSet, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(SqliteNative).Assembly, (name, _, path) =>
                name == Library && NativeLibrary.TryLoad(Library, provider, path, out var handle) ? handle : IntPtr.Zero);
        try
        {
            return LibVersionNumber() == raw.sqlite3_libversion_number();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [DllImport(Library, EntryPoint = "sqlite3_libversion_number", ExactSpelling = true)]
    private static extern int LibVersionNumber();

    /// <summary>The raw pointer of a prepared statement (valid while <paramref name="statement"/> is not disposed).</summary>
    public static IntPtr Pointer(sqlite3_stmt statement) => statement.DangerousGetHandle();

    /// <summary>The raw pointer of a connection (valid while it is open).</summary>
    public static IntPtr Pointer(sqlite3 db) => db.DangerousGetHandle();

    /// <summary>Binds UTF-8 text (empty text as the empty string, not NULL), copied by SQLite.</summary>
    public static int BindText(IntPtr statement, int index, ReadOnlySpan<byte> text) => text.IsEmpty
        ? BindTextNative(statement, index, ref Empty[0], 0, Transient)
        : BindTextNative(statement, index, ref MemoryMarshal.GetReference(text), text.Length, Transient);

    /// <summary>
    /// Binds UTF-8 text that SQLite reads where it lies (SQLITE_STATIC: no copy): only for memory that is pinned and
    /// unchanged until the statement is finalized or the parameter bound again (<see cref="Crm.ICrmRowReader.PinnedInput"/>).
    /// </summary>
    public static int BindStaticText(IntPtr statement, int index, ReadOnlySpan<byte> text) => text.IsEmpty
        ? BindTextNative(statement, index, ref Empty[0], 0, Transient)
        : BindTextNative(statement, index, ref MemoryMarshal.GetReference(text), text.Length, IntPtr.Zero);

    [DllImport(Library, EntryPoint = "sqlite3_bind_text", ExactSpelling = true), SuppressGCTransition]
    private static extern int BindTextNative(IntPtr statement, int index, ref byte text, int length, IntPtr destructor);

    [DllImport(Library, EntryPoint = "sqlite3_bind_int64", ExactSpelling = true), SuppressGCTransition]
    public static extern int BindInt64(IntPtr statement, int index, long value);

    [DllImport(Library, EntryPoint = "sqlite3_bind_double", ExactSpelling = true), SuppressGCTransition]
    public static extern int BindDouble(IntPtr statement, int index, double value);

    [DllImport(Library, EntryPoint = "sqlite3_bind_null", ExactSpelling = true), SuppressGCTransition]
    public static extern int BindNull(IntPtr statement, int index);

    [DllImport(Library, EntryPoint = "sqlite3_changes", ExactSpelling = true), SuppressGCTransition]
    public static extern int Changes(IntPtr db);

    [DllImport(Library, EntryPoint = "sqlite3_step", ExactSpelling = true)]
    public static extern int Step(IntPtr statement);

    [DllImport(Library, EntryPoint = "sqlite3_reset", ExactSpelling = true)]
    public static extern int Reset(IntPtr statement);
}
