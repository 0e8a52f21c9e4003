using System.Diagnostics.CodeAnalysis;
using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Notifications;

/// <summary>
/// Where a profile's SMTP password is kept: encrypted exactly like the CRM secrets (DPAPI for the current user on Windows,
/// AES-GCM with the same per-user key file elsewhere), in a secrets folder of its own
/// (<c>&lt;data folder&gt;/notification/secrets/&lt;profile&gt;.json</c>) so that Connect-CrmSync, which replaces a
/// profile's CRM secrets, and Disconnect-CrmSync, which forgets them, leave the SMTP password alone.
/// </summary>
public sealed class NotificationSecretStore
{
    /// <summary>The secret's name in the file.</summary>
    public const string PasswordName = "smtp-password";

    private readonly ISecretStore _secrets;

    /// <summary>A store over <paramref name="secrets"/> (tests pass their own).</summary>
    public NotificationSecretStore(ISecretStore secrets) => _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));

    /// <summary>The store of the data folder <paramref name="paths"/> for this platform.</summary>
    public static NotificationSecretStore ForCurrentPlatform(CrmSyncPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var own = new CrmSyncPaths(Path.Combine(paths.DataDirectory, "notification"));
        ISecretProtector protector = OperatingSystem.IsWindows()
            ? new DpapiSecretProtector()
            : new AesGcmSecretProtector(new SecretKeyFile(paths.KeysDirectory)); // the one per-user key of the data folder
        return new NotificationSecretStore(new FileSecretStore(own, protector));
    }

    /// <summary>How the password is protected at rest.</summary>
    public string Protection => _secrets.Protection;

    /// <summary>Saves (replaces) the profile's SMTP password.</summary>
    public void Save(string profile, ReadOnlySpan<char> password) => _secrets.Save(profile, PasswordName, password);

    /// <summary>Reads the profile's SMTP password; false when none is saved. Dispose the value after use.</summary>
    public bool TryGet(string profile, [NotNullWhen(true)] out SecretValue? password) => _secrets.TryGet(profile, PasswordName, out password);

    /// <summary>True when a password is saved.</summary>
    public bool Has(string profile) => _secrets.ListNames(profile).Contains(PasswordName, StringComparer.Ordinal);

    /// <summary>Forgets the profile's SMTP password; false when there was none.</summary>
    public bool Delete(string profile) => _secrets.Delete(profile);
}
