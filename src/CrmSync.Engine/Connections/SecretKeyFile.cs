using System.Runtime.Versioning;
using System.Security.Cryptography;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Connections;

/// <summary>
/// The per-user AES key (<c>&lt;data&gt;/keys/secret.key</c>, 32 random bytes) on systems without DPAPI. The folder
/// is created 0700 and the file 0600 from the first byte (written under a temporary name, then linked into place),
/// and both are refused, with the exact chmod to run, when group or others have any access, or when either is a
/// symbolic link.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class SecretKeyFile
{
    public const int KeySize = 32;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public SecretKeyFile(string keysDirectory)
    {
        KeysDirectory = Path.GetFullPath(keysDirectory);
        KeyPath = Path.Combine(KeysDirectory, "secret.key");
    }

    public string KeysDirectory { get; }

    public string KeyPath { get; }

    /// <summary>The key (the caller zeroes it), creating folder and key on first use.</summary>
    public byte[] LoadOrCreate()
    {
        if (!Directory.Exists(KeysDirectory))
            Directory.CreateDirectory(KeysDirectory, OwnerOnlyFolder);
        CheckFolder();
        if (!File.Exists(KeyPath))
            Create();
        return Load();
    }

    /// <summary>The existing key (the caller zeroes it); <see cref="ErrorIds.SecretStoreUnreadable"/> when it is missing.</summary>
    public byte[] Load()
    {
        if (!Directory.Exists(KeysDirectory) || !File.Exists(KeyPath))
            throw new CrmSyncException(ErrorIds.SecretStoreUnreadable, ErrorKind.ReadError,
                $"The secret key {KeyPath} is missing, so stored secrets cannot be decrypted.",
                $"Run {ShellAction.Connect} again to store the credentials anew.", KeyPath);
        CheckFolder();
        CheckFile();
        var key = File.ReadAllBytes(KeyPath);
        if (key.Length == KeySize)
            return key;
        CryptographicOperations.ZeroMemory(key);
        throw new CrmSyncException(ErrorIds.SecretStoreUnreadable, ErrorKind.InvalidData,
            $"The secret key {KeyPath} is damaged ({key.Length} bytes instead of {KeySize}).",
            $"Delete {KeyPath} and run {ShellAction.Connect} again to store the credentials anew.", KeyPath);
    }

    private void Create()
    {
        var temp = Path.Combine(KeysDirectory, $".secret.key.{Guid.NewGuid():N}.tmp");
        var key = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew,
                       Access = FileAccess.Write,
                       UnixCreateMode = OwnerOnlyFile,
                   }))
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, KeyPath, overwrite: false); // never replaces a key another process just created
            }
            catch (IOException) when (File.Exists(KeyPath))
            {
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    private void CheckFolder()
    {
        if (new DirectoryInfo(KeysDirectory).LinkTarget is not null)
            throw Insecure(KeysDirectory, "is a symbolic link", $"replace it with a real folder: mkdir -m 700 {KeysDirectory}");
        var mode = File.GetUnixFileMode(KeysDirectory);
        if ((mode & GroupOrOthers) != 0)
            throw Insecure(KeysDirectory, $"can be used by other users (mode {Octal(mode)})", $"chmod 700 {KeysDirectory}");
    }

    private void CheckFile()
    {
        if (new FileInfo(KeyPath).LinkTarget is not null)
            throw Insecure(KeyPath, "is a symbolic link", $"replace it with the real key file and chmod 600 {KeyPath}");
        var mode = File.GetUnixFileMode(KeyPath);
        if ((mode & GroupOrOthers) != 0)
            throw Insecure(KeyPath, $"can be read or written by other users (mode {Octal(mode)})", $"chmod 600 {KeyPath}");
    }

    private static CrmSyncException Insecure(string path, string problem, string fix) =>
        new(ErrorIds.SecretStoreInsecure, ErrorKind.SecurityError,
            $"CrmSync will not use its secret key because {path} {problem}.",
            $"Run: {fix}", path);

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
