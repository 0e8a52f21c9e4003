using System.Diagnostics;

namespace CrmSync.Engine.Connections;

/// <summary>
/// A secret (password, security token, client secret) held in a char array that is zeroed on
/// <see cref="Dispose"/>. It never turns itself into a string: <see cref="ToString"/> returns "***".
/// </summary>
[DebuggerDisplay("***")]
public sealed class SecretValue : IDisposable
{
    private readonly char[] _chars;
    private bool _cleared;

    private SecretValue(char[] chars) => _chars = chars;

    /// <summary>Copies <paramref name="secret"/> (the caller clears its own buffer).</summary>
    public static SecretValue Copy(ReadOnlySpan<char> secret) => new(secret.ToArray());

    /// <summary>Takes ownership of <paramref name="chars"/>; the array is zeroed on dispose.</summary>
    public static SecretValue Adopt(char[] chars) => new(chars ?? throw new ArgumentNullException(nameof(chars)));

    /// <summary>The characters. Use them where they are needed and do not copy them into strings.</summary>
    public ReadOnlySpan<char> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_cleared, this);
            return _chars;
        }
    }

    /// <summary>The number of characters.</summary>
    public int Length => Span.Length;

    /// <summary>True once the characters have been zeroed.</summary>
    public bool IsCleared => _cleared;

    /// <summary>Zeroes the characters; the value cannot be read afterwards.</summary>
    public void Dispose()
    {
        if (_cleared)
            return;
        Array.Clear(_chars);
        _cleared = true;
    }

    /// <summary>Always "***".</summary>
    public override string ToString() => "***";
}
