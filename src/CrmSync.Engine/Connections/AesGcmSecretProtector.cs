using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace CrmSync.Engine.Connections;

/// <summary>AES-256-GCM with a 12-byte random nonce per secret and a 16-byte tag, under the per-user key file.</summary>
[UnsupportedOSPlatform("windows")]
internal sealed class AesGcmSecretProtector : ISecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly SecretKeyFile _keyFile;

    public AesGcmSecretProtector(SecretKeyFile keyFile) => _keyFile = keyFile;

    public string Protection => "aes-256-gcm";

    public SecretFileEntry Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var key = _keyFile.LoadOrCreate();
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[TagSize];
            using (var aes = new AesGcm(key, TagSize))
                aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            return new SecretFileEntry
            {
                Nonce = Convert.ToBase64String(nonce),
                Tag = Convert.ToBase64String(tag),
                Data = Convert.ToBase64String(ciphertext),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public byte[] Unprotect(SecretFileEntry entry, ReadOnlySpan<byte> associatedData)
    {
        if (entry.Nonce is null || entry.Tag is null)
            throw new CryptographicException("The entry has no nonce or tag.");
        var nonce = Convert.FromBase64String(entry.Nonce);
        var tag = Convert.FromBase64String(entry.Tag);
        var ciphertext = Convert.FromBase64String(entry.Data);
        if (nonce.Length != NonceSize || tag.Length != TagSize)
            throw new CryptographicException("The entry's nonce or tag has the wrong size.");
        var key = _keyFile.Load();
        try
        {
            var plaintext = new byte[ciphertext.Length];
            try
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
                return plaintext;
            }
            catch
            {
                CryptographicOperations.ZeroMemory(plaintext);
                throw;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
