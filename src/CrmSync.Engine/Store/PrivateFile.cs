namespace CrmSync.Engine.Store;

/// <summary>
/// Profile databases hold personal data: on Unix they, their <c>-wal</c> and <c>-shm</c> files and their backups are
/// readable and writable by their owner only (0600), like the secret key file. A new database file is created 0600 before
/// SQLite opens it (SQLite gives its WAL and shared-memory files the database file's mode); an existing one that group or
/// others may read is tightened when it is opened; a file whose mode cannot be changed (another owner) is refused with the
/// chmod to run. Windows files inherit the per-user folder's ACL and are left as they are.
/// </summary>
public static class PrivateFile
{
    /// <summary>Owner read and write.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The database's companion files SQLite creates next to it.</summary>
    public static IEnumerable<string> Companions(string databasePath) => [databasePath + "-wal", databasePath + "-shm", databasePath + "-journal"];

    /// <summary>
    /// Makes sure the database file at <paramref name="databasePath"/> exists as an owner-only file (an empty file is a new
    /// SQLite database) and that it and its companions are owner-only. No-op on Windows.
    /// </summary>
    public static void EnsureDatabase(string databasePath)
    {
        if (OperatingSystem.IsWindows())
            return;
        CreateEmpty(databasePath);
        foreach (var path in Companions(databasePath).Prepend(databasePath))
            Tighten(path);
    }

    /// <summary>Creates <paramref name="path"/> empty and owner-only unless it exists (a target for <c>VACUUM INTO</c>).</summary>
    public static void CreateEmpty(string path)
    {
        if (OperatingSystem.IsWindows())
            return;
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerOnly,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // it exists already: Tighten decides
        }
    }

    /// <summary>Removes any group and other access from <paramref name="path"/> if it exists; throws with the fix when it cannot.</summary>
    public static void Tighten(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
            return;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (FileNotFoundException)
        {
            return; // a -wal or -shm file removed meanwhile
        }
        if ((mode & GroupOrOthers) == 0)
            return;
        try
        {
            File.SetUnixFileMode(path, mode & ~GroupOrOthers);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.PermissionDenied,
                $"{path} holds personal data but group or other users may access it (mode {Octal(mode)}), and its mode cannot be changed: {e.Message}",
                $"As the file's owner, run: chmod 600 '{path}' (and the same for its -wal and -shm files), then run the command again.", path, e);
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
