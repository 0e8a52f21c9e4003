namespace CrmSync.TestSupport;

/// <summary>
/// A fresh folder under the system temp folder, deleted on dispose. Tests pass its path explicitly (as the CrmSync
/// data folder or a database folder) instead of setting CRMSYNC_HOME, because test classes run in parallel.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "crmsync-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder's absolute path.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        // Stores clear their own connection pools on dispose; a file still open elsewhere is left behind.
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
