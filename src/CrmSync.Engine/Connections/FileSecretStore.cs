using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Secrets in one file per profile, <c>&lt;data&gt;/secrets/&lt;profile&gt;.json</c>, holding only base64 ciphertext.
/// On Windows each secret is protected with DPAPI for the current user; elsewhere with AES-256-GCM under a
/// per-user key file readable by its owner alone (<c>&lt;data&gt;/keys/secret.key</c>, mode 0600 in a 0700 folder).
/// The profile and secret name are bound to each ciphertext, so a value cannot be moved to another name unnoticed.
/// </summary>
public sealed partial class FileSecretStore : ISecretStore
{
    private const string FileFormat = "crmsync-secrets/1";

    /// <summary>How long a save waits for another process holding the profile's secret file lock.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly ISecretProtector _protector;
    private readonly object _gate = new();

    internal FileSecretStore(CrmSyncPaths paths, ISecretProtector protector)
    {
        Paths = paths ?? throw new ArgumentNullException(nameof(paths));
        _protector = protector ?? throw new ArgumentNullException(nameof(protector));
    }

    /// <summary>The store for this platform: DPAPI on Windows, AES-GCM with a per-user key file elsewhere.</summary>
    public static FileSecretStore ForCurrentPlatform(CrmSyncPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (OperatingSystem.IsWindows())
            return new FileSecretStore(paths, new DpapiSecretProtector());
        return new FileSecretStore(paths, new AesGcmSecretProtector(new SecretKeyFile(paths.KeysDirectory)));
    }

    /// <summary>The data folder layout.</summary>
    public CrmSyncPaths Paths { get; }

    /// <inheritdoc />
    public string Protection => _protector.Protection;

    /// <summary>The file holding a profile's encrypted secrets.</summary>
    public string SecretFilePath(string profile) => Path.Combine(Paths.SecretsDirectory, ProfileName.Validate(profile) + ".json");

    /// <inheritdoc />
    public void Save(string profile, string name, ReadOnlySpan<char> secret)
    {
        var path = SecretFilePath(profile);
        ValidateName(name);
        var plaintext = new byte[Encoding.UTF8.GetMaxByteCount(secret.Length)];
        try
        {
            var length = Encoding.UTF8.GetBytes(secret, plaintext);
            var entry = _protector.Protect(plaintext.AsSpan(0, length), AssociatedData(profile, name));
            lock (_gate)
            {
                using var fileLock = AcquireFileLock(path);
                var file = ReadFile(path, profile) ?? new SecretFileContent { Format = FileFormat, Protection = Protection };
                file.Secrets[name] = entry;
                WriteFile(path, file);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <inheritdoc />
    public bool TryGet(string profile, string name, [NotNullWhen(true)] out SecretValue? secret)
    {
        var path = SecretFilePath(profile);
        ValidateName(name);
        secret = null;
        SecretFileEntry? entry;
        lock (_gate)
        {
            var file = ReadFile(path, profile);
            if (file is null || !file.Secrets.TryGetValue(name, out entry))
                return false;
        }

        byte[] plaintext;
        try
        {
            plaintext = _protector.Unprotect(entry, AssociatedData(profile, name));
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw Unreadable(path, profile, $"the secret '{name}' cannot be decrypted: the file was changed, or it was " +
                "encrypted by another user, machine or key", e);
        }
        try
        {
            var chars = new char[Encoding.UTF8.GetCharCount(plaintext)];
            Encoding.UTF8.GetChars(plaintext, chars);
            secret = SecretValue.Adopt(chars);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListNames(string profile)
    {
        var path = SecretFilePath(profile);
        lock (_gate)
            return ReadFile(path, profile)?.Secrets.Keys.Order(StringComparer.Ordinal).ToList() ?? [];
    }

    /// <inheritdoc />
    public bool Delete(string profile)
    {
        var path = SecretFilePath(profile);
        lock (_gate)
        {
            if (!File.Exists(path))
                return false;
            using var fileLock = AcquireFileLock(path);
            if (!File.Exists(path))
                return false;
            File.Delete(path);
            return true;
        }
    }

    /// <summary>
    /// Serialises the read-modify-write of <paramref name="path"/> across processes: an exclusive handle (FileShare.None;
    /// on Unix an advisory flock) on <c>&lt;path&gt;.lock</c>, created empty and owner-only, retried with a short backoff
    /// for at most <see cref="LockWait"/>. The lock file is left in place: deleting it while another process waits on it
    /// would let two writers hold "the" lock at once.
    /// </summary>
    private static FileStream AcquireFileLock(string path)
    {
        var lockPath = path + ".lock";
        var folder = EnsureFolder(path);
        var started = Environment.TickCount64;
        var backoff = 2;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(lockPath, options);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (Environment.TickCount64 - started >= (long)LockWait.TotalMilliseconds)
                    throw new CrmSyncException(ErrorIds.SecretStoreUnreadable, ErrorKind.ResourceBusy,
                        $"The secret file {path} stayed locked by another CrmSync process for {LockWait.TotalSeconds:0} seconds.",
                        $"Wait for the other {ShellAction.Connect} to finish, or remove {lockPath} if no CrmSync process is running.", path, e);
                Thread.Sleep(backoff);
                backoff = Math.Min(backoff * 2, 50);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new CrmSyncException(ErrorIds.SecretStoreUnreadable, ErrorKind.WriteError,
                    $"The lock file {lockPath} cannot be opened: {e.Message}", $"Make sure you can write to {folder}.", path, e);
            }
        }
    }

    /// <summary>Creates the secrets folder if missing (owner-only on Unix) and returns it.</summary>
    private static string EnsureFolder(string path)
    {
        var folder = Path.GetDirectoryName(path)!;
        try
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(folder);
            else
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CrmSyncException(ErrorIds.SecretStoreUnreadable, ErrorKind.WriteError,
                $"The secrets folder {folder} cannot be created: {e.Message}", $"Make sure you can write to {Path.GetDirectoryName(folder)}.", folder, e);
        }
        return folder;
    }

    private static void ValidateName(string name)
    {
        if (name is null || !SecretNamePattern().IsMatch(name))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                "A secret name is 1 to 64 letters, digits, '.', '-' or '_'.", "Use a name such as 'password' or 'security-token'.");
    }

    private static byte[] AssociatedData(string profile, string name) =>
        Encoding.UTF8.GetBytes($"{FileFormat}\n{profile}\n{name}");

    private SecretFileContent? ReadFile(string path, string profile)
    {
        if (!File.Exists(path))
            return null;
        SecretFileContent? file;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            file = JsonSerializer.Deserialize<SecretFileContent>(stream, Json);
        }
        catch (FileNotFoundException)
        {
            return null; // deleted by another process since the check
        }
        catch (JsonException e)
        {
            throw Unreadable(path, profile, "the file is not a CrmSync secret file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, profile, "the file cannot be read: " + e.Message, e);
        }
        if (file?.Secrets is null || file.Format != FileFormat)
            throw Unreadable(path, profile, "the file is not a CrmSync secret file", null);
        if (file.Protection != Protection)
            throw Unreadable(path, profile, $"it was written with '{file.Protection}' protection, and this platform uses '{Protection}'", null);
        return file;
    }

    private static void WriteFile(string path, SecretFileContent file)
    {
        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
                using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
                JsonSerializer.Serialize(stream, file, Json);
                stream.Flush(flushToDisk: true);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                using var stream = new FileStream(temp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                JsonSerializer.Serialize(stream, file, Json);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CrmSyncException(ErrorIds.SecretStoreUnreadable, ErrorKind.WriteError,
                $"The secret file {path} cannot be written: {e.Message}",
                $"Make sure you can write to {folder}.", path, e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: the temp file holds ciphertext only
        }
    }

    private static CrmSyncException Unreadable(string path, string profile, string reason, Exception? inner) =>
        new(ErrorIds.SecretStoreUnreadable, ErrorKind.InvalidData,
            $"The secrets of profile '{profile}' in {path} cannot be read: {reason}.",
            $"Run {ShellAction.Connect.Profile(profile)} again to store the credentials anew.", path, inner);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretNamePattern();
}

/// <summary>The JSON file of one profile's encrypted secrets.</summary>
internal sealed class SecretFileContent
{
    [JsonPropertyName("format")]
    public string Format { get; set; } = "";

    [JsonPropertyName("protection")]
    public string Protection { get; set; } = "";

    [JsonPropertyName("secrets")]
    public Dictionary<string, SecretFileEntry> Secrets { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One encrypted secret: base64 ciphertext, and for AES-GCM its nonce and tag.</summary>
internal sealed class SecretFileEntry
{
    [JsonPropertyName("nonce")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Nonce { get; set; }

    [JsonPropertyName("tag")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Tag { get; set; }

    [JsonPropertyName("data")]
    public string Data { get; set; } = "";
}

/// <summary>Turns plaintext into a <see cref="SecretFileEntry"/> and back, bound to associated data.</summary>
internal interface ISecretProtector
{
    string Protection { get; }

    SecretFileEntry Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>Returns the plaintext (the caller zeroes it); throws <see cref="CryptographicException"/> when tampered.</summary>
    byte[] Unprotect(SecretFileEntry entry, ReadOnlySpan<byte> associatedData);
}
