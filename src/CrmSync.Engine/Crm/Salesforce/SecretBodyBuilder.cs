using System.Text;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// Builds a request body that contains secrets in a private char buffer (zeroed on growth and on dispose),
/// so that no password or token ever becomes a string.
/// </summary>
internal sealed class SecretBodyBuilder : IDisposable
{
    private char[] _buffer = new char[1024];
    private int _length;

    public SecretBodyBuilder Append(ReadOnlySpan<char> text)
    {
        Ensure(text.Length);
        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
        return this;
    }

    /// <summary>Appends text escaped for XML element content.</summary>
    public SecretBodyBuilder AppendXmlEscaped(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': Append("&amp;"); break;
                case '<': Append("&lt;"); break;
                case '>': Append("&gt;"); break;
                case '"': Append("&quot;"); break;
                case '\'': Append("&apos;"); break;
                default: Append([c]); break;
            }
        }
        return this;
    }

    /// <summary>Appends text percent-encoded for application/x-www-form-urlencoded (UTF-8, unreserved characters kept).</summary>
    public SecretBodyBuilder AppendFormEncoded(ReadOnlySpan<char> text)
    {
        Span<byte> utf8 = stackalloc byte[4];
        Span<char> hex = stackalloc char[3];
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '-' or '.' or '_' or '~'))
            {
                Append([(char)rune.Value]);
                continue;
            }
            var n = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < n; i++)
            {
                hex[0] = '%';
                hex[1] = "0123456789ABCDEF"[utf8[i] >> 4];
                hex[2] = "0123456789ABCDEF"[utf8[i] & 0xF];
                Append(hex);
            }
            utf8.Clear();
        }
        return this;
    }

    /// <summary>The body as UTF-8; the caller clears the array once the request is done.</summary>
    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_buffer, 0, _length);

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        var bigger = new char[Math.Max(_buffer.Length * 2, _length + extra)];
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        Array.Clear(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        Array.Clear(_buffer);
        _length = 0;
    }
}
