using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Tests.Support;

namespace CrmSync.Engine.Tests.Connections;

/// <summary>The key-file (AES-GCM) secret store used on Linux and macOS; Windows uses DPAPI instead.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class SecretStoreTests : IDisposable
{
    private const string Distinctive = "Zq7!correct-horse-battery-staple-93xK";
    private readonly TempDirectory _dir = new();
    private readonly CrmSyncPaths _paths;
    private readonly FileSecretStore _secrets;

    public SecretStoreTests()
    {
        _paths = new CrmSyncPaths(_dir.Path);
        _secrets = FileSecretStore.ForCurrentPlatform(_paths);
    }

    public void Dispose() => _dir.Dispose();

    private string KeyPath => Path.Combine(_paths.KeysDirectory, "secret.key");

    private static string Reveal(SecretValue value) => new(value.Span);

    [Fact]
    public void Secrets_round_trip_per_profile_and_name()
    {
        Assert.Equal("aes-256-gcm", _secrets.Protection);
        Assert.False(_secrets.TryGet("prod", "password", out _));

        _secrets.Save("prod", "password", "first".AsSpan());
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        _secrets.Save("prod", "security-token", "tok€n-ünïcode".AsSpan());
        _secrets.Save("sandbox", "password", "other".AsSpan());

        Assert.True(_secrets.TryGet("prod", "password", out var password));
        using (password)
            Assert.Equal(Distinctive, Reveal(password));
        Assert.True(_secrets.TryGet("prod", "security-token", out var token));
        using (token)
            Assert.Equal("tok€n-ünïcode", Reveal(token));
        Assert.Equal(["password", "security-token"], _secrets.ListNames("prod"));

        // a second store instance (another process) reads the same secrets
        Assert.True(FileSecretStore.ForCurrentPlatform(_paths).TryGet("sandbox", "password", out var other));
        using (other)
            Assert.Equal("other", Reveal(other));

        Assert.True(_secrets.Delete("prod"));
        Assert.False(_secrets.Delete("prod"));
        Assert.False(_secrets.TryGet("prod", "password", out _));
        Assert.Empty(_secrets.ListNames("prod"));
        Assert.True(_secrets.TryGet("sandbox", "password", out var kept));
        kept.Dispose();
    }

    [Fact]
    public void Key_folder_key_file_and_secret_file_are_owner_only()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_paths.KeysDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        Assert.Equal(32, new FileInfo(KeyPath).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_secrets.SecretFilePath("prod")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_paths.SecretsDirectory));
        // no temporary files are left behind
        Assert.Equal(["secret.key"], Directory.GetFiles(_paths.KeysDirectory).Select(Path.GetFileName));
        Assert.Equal(["prod.json", "prod.json.lock"], Directory.GetFiles(_paths.SecretsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // the lock file that serialises writers across processes is empty and owner-only too
        Assert.Equal(0, new FileInfo(_secrets.SecretFilePath("prod") + ".lock").Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_secrets.SecretFilePath("prod") + ".lock"));
    }

    [Fact]
    public async Task Two_writers_saving_different_names_of_one_profile_at_once_lose_nothing_and_never_expose_a_file()
    {
        // two store instances, as two processes would have: only the lock file serialises them
        var first = FileSecretStore.ForCurrentPlatform(_paths);
        var second = FileSecretStore.ForCurrentPlatform(_paths);
        first.Save("prod", "warm-up", "w".AsSpan()); // creates the key file and the folders before the race
        const int PerWriter = 40;
        var exposed = new List<string>();
        using var done = new CancellationTokenSource();

        var watcher = Task.Run(() =>
        {
            const UnixFileMode OthersOrGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            do
            {
                foreach (var file in Directory.EnumerateFiles(_paths.SecretsDirectory))
                {
                    try
                    {
                        if ((File.GetUnixFileMode(file) & OthersOrGroup) != 0)
                            lock (exposed)
                                exposed.Add(file);
                    }
                    catch (FileNotFoundException)
                    {
                        // a temp file renamed over the secret file meanwhile
                    }
                }
            }
            while (!done.IsCancellationRequested);
        });
        var writers = new[] { (Store: first, Prefix: "a"), (Store: second, Prefix: "b") }.Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
                w.Store.Save("prod", $"{w.Prefix}-{i}", $"value-{w.Prefix}-{i}".AsSpan());
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(1));
        await done.CancelAsync();
        await watcher.WaitAsync(TimeSpan.FromMinutes(1));

        var expected = Enumerable.Range(0, PerWriter).SelectMany(i => new[] { $"a-{i}", $"b-{i}" }).Append("warm-up").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, _secrets.ListNames("prod"));
        Assert.True(_secrets.TryGet("prod", "b-17", out var value));
        using (value)
            Assert.Equal("value-b-17", Reveal(value));
        Assert.Empty(exposed);
        Assert.Equal(["prod.json", "prod.json.lock"], Directory.GetFiles(_paths.SecretsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_save_waits_for_the_lock_another_process_holds()
    {
        _secrets.Save("prod", "password", "first".AsSpan());
        var lockPath = _secrets.SecretFilePath("prod") + ".lock";
        Task save;
        using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) // another process's lock
        {
            using var started = new ManualResetEventSlim();
            save = Task.Run(() =>
            {
                started.Set();
                FileSecretStore.ForCurrentPlatform(_paths).Save("prod", "security-token", "second".AsSpan());
            });
            Assert.True(started.Wait(TimeSpan.FromMinutes(1)));
            // the secret file cannot change while the lock is held: the save keeps retrying
            Assert.Equal(["password"], _secrets.ListNames("prod"));
        }

        await save.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(["password", "security-token"], _secrets.ListNames("prod"));
    }

    [Fact]
    public void A_secret_never_appears_in_clear_in_any_file_the_store_or_the_database_writes()
    {
        using (TestProfiles.CreateStore(_dir)) { }
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        _secrets.Save("prod", "client-secret", Distinctive.AsSpan());

        var files = Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("prod.db", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("secret.key", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("prod.json", StringComparison.Ordinal));
        byte[][] needles = [Encoding.UTF8.GetBytes(Distinctive), Encoding.Unicode.GetBytes(Distinctive), Encoding.BigEndianUnicode.GetBytes(Distinctive)];
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var needle in needles)
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"The secret appears in clear in {file}.");
        }

        // the same value under two names encrypts differently (random nonce per secret)
        var json = JsonNode.Parse(File.ReadAllText(_secrets.SecretFilePath("prod")))!;
        Assert.NotEqual(json["secrets"]!["password"]!["data"]!.GetValue<string>(), json["secrets"]!["client-secret"]!["data"]!.GetValue<string>());
        Assert.NotEqual(json["secrets"]!["password"]!["nonce"]!.GetValue<string>(), json["secrets"]!["client-secret"]!["nonce"]!.GetValue<string>());
    }

    [Fact]
    public void A_secret_value_never_shows_itself_and_is_cleared_on_dispose()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        Assert.True(_secrets.TryGet("prod", "password", out var value));

        Assert.Equal("***", value.ToString());
        Assert.Equal("***", $"{value}");
        Assert.Equal(Distinctive.Length, value.Length);
        value.Dispose();
        Assert.True(value.IsCleared);
        Assert.Throws<ObjectDisposedException>(() => value.Span.Length);
    }

    [Fact]
    public void A_key_file_others_can_read_is_refused_with_the_fix()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // 0644

        var e = Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "password", out _));
        Assert.Equal(ErrorIds.SecretStoreInsecure, e.ErrorId);
        Assert.Equal(ErrorKind.SecurityError, e.Kind);
        Assert.Contains(KeyPath, e.Message);
        Assert.Contains("0644", e.Message);
        Assert.Equal($"Run: chmod 600 {KeyPath}", e.RecommendedAction);
        Assert.Equal(ErrorIds.SecretStoreInsecure, Assert.Throws<CrmSyncException>(() => _secrets.Save("prod", "x", "y".AsSpan())).ErrorId);
        Assert.DoesNotContain(Distinctive, e.ToString());

        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.True(_secrets.TryGet("prod", "password", out var value));
        value.Dispose();
    }

    [Fact]
    public void A_key_folder_others_can_enter_is_refused_with_the_fix()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        File.SetUnixFileMode(_paths.KeysDirectory, (UnixFileMode)Convert.ToInt32("755", 8));

        var e = Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "password", out _));
        Assert.Equal(ErrorIds.SecretStoreInsecure, e.ErrorId);
        Assert.Contains(_paths.KeysDirectory, e.Message);
        Assert.Equal($"Run: chmod 700 {_paths.KeysDirectory}", e.RecommendedAction);
    }

    [Fact]
    public void A_pre_existing_world_readable_key_folder_is_not_silently_used()
    {
        Directory.CreateDirectory(_paths.KeysDirectory);
        File.SetUnixFileMode(_paths.KeysDirectory, (UnixFileMode)Convert.ToInt32("777", 8));

        var e = Assert.Throws<CrmSyncException>(() => _secrets.Save("prod", "password", Distinctive.AsSpan()));
        Assert.Equal(ErrorIds.SecretStoreInsecure, e.ErrorId);
        Assert.False(File.Exists(KeyPath));
        Assert.False(File.Exists(_secrets.SecretFilePath("prod")));
    }

    [Fact]
    public void Tampered_ciphertext_is_unreadable()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        var path = _secrets.SecretFilePath("prod");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var data = Convert.FromBase64String(json["secrets"]!["password"]!["data"]!.GetValue<string>());
        data[0] ^= 0x01;
        json["secrets"]!["password"]!["data"] = Convert.ToBase64String(data);
        File.WriteAllText(path, json.ToJsonString());

        var e = Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "password", out _));
        Assert.Equal(ErrorIds.SecretStoreUnreadable, e.ErrorId);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain(Distinctive, e.ToString());
    }

    [Fact]
    public void A_ciphertext_moved_to_another_name_or_profile_is_unreadable()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        _secrets.Save("prod", "security-token", "token".AsSpan());
        var path = _secrets.SecretFilePath("prod");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["secrets"]!["security-token"] = json["secrets"]!["password"]!.DeepClone();
        File.WriteAllText(path, json.ToJsonString());
        File.Copy(path, _secrets.SecretFilePath("copy"));

        Assert.Equal(ErrorIds.SecretStoreUnreadable, Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "security-token", out _)).ErrorId);
        Assert.Equal(ErrorIds.SecretStoreUnreadable, Assert.Throws<CrmSyncException>(() => _secrets.TryGet("copy", "password", out _)).ErrorId);
    }

    [Fact]
    public void Secrets_encrypted_under_another_key_are_unreadable()
    {
        _secrets.Save("prod", "password", Distinctive.AsSpan());
        File.Delete(KeyPath);

        Assert.Equal(ErrorIds.SecretStoreUnreadable, Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "password", out _)).ErrorId);
        _secrets.Save("sandbox", "password", "new".AsSpan()); // creates a new key
        Assert.Equal(ErrorIds.SecretStoreUnreadable, Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "password", out _)).ErrorId);
    }

    [Fact]
    public void A_damaged_secret_file_is_unreadable_and_bad_names_are_refused()
    {
        Directory.CreateDirectory(_paths.SecretsDirectory);
        File.WriteAllText(_secrets.SecretFilePath("prod"), "{ not json");
        Assert.Equal(ErrorIds.SecretStoreUnreadable, Assert.Throws<CrmSyncException>(() => _secrets.TryGet("prod", "password", out _)).ErrorId);

        Assert.Equal(ErrorIds.InvalidProfileName, Assert.Throws<CrmSyncException>(() => _secrets.Save("../x", "password", "s".AsSpan())).ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CrmSyncException>(() => _secrets.Save("prod", "a/b", "s".AsSpan())).ErrorId);
    }
}
