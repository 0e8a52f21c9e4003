using System.Diagnostics.CodeAnalysis;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Where a profile's secrets (password, security token, client secret) are kept, encrypted for the current user.
/// Never in the profile's SQLite database, never in clear.
/// </summary>
public interface ISecretStore
{
    /// <summary>How secrets are protected at rest, e.g. "aes-256-gcm" or "dpapi-currentuser".</summary>
    string Protection { get; }

    /// <summary>Encrypts and stores <paramref name="secret"/> as <paramref name="name"/> of <paramref name="profile"/>, replacing any earlier value.</summary>
    void Save(string profile, string name, ReadOnlySpan<char> secret);

    /// <summary>
    /// Reads and decrypts a secret. False when it was never saved. Throws <see cref="ErrorIds.SecretStoreUnreadable"/>
    /// when it exists but cannot be decrypted (tampered, or another user's / machine's key) and
    /// <see cref="ErrorIds.SecretStoreInsecure"/> when the key is readable by others. Dispose the value after use.
    /// </summary>
    bool TryGet(string profile, string name, [NotNullWhen(true)] out SecretValue? secret);

    /// <summary>The names of a profile's stored secrets (never their values).</summary>
    IReadOnlyList<string> ListNames(string profile);

    /// <summary>Forgets every secret of <paramref name="profile"/>. False when it had none.</summary>
    bool Delete(string profile);
}

/// <summary>The names under which a profile's secrets are stored.</summary>
public static class SecretNames
{
    /// <summary>The sync user's password.</summary>
    public const string Password = "password";
    /// <summary>Salesforce: the sync user's security token.</summary>
    public const string SecurityToken = "security-token";
    /// <summary>An OAuth / Entra ID client secret.</summary>
    public const string ClientSecret = "client-secret";
}
