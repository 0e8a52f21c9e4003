using System.Runtime.InteropServices;
using System.Security;
using CrmSync.Engine.Connections;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// Turns a <see cref="SecureString"/> into the engine's <see cref="SecretValue"/> without ever making a managed string:
/// the characters are copied from an unmanaged buffer (zeroed and freed at once) into a char array the SecretValue owns
/// and zeroes on dispose.
/// </summary>
public static class SecretConversion
{
    /// <summary>The secret's characters as a <see cref="SecretValue"/>, or null for a null or empty <paramref name="secure"/>.</summary>
    public static SecretValue? ToSecretValue(SecureString? secure)
    {
        if (secure is null || secure.Length == 0)
            return null;
        IntPtr buffer = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            var chars = new char[secure.Length];
            Marshal.Copy(buffer, chars, 0, chars.Length);
            return SecretValue.Adopt(chars);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(buffer);
        }
    }
}
