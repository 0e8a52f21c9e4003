using System.Diagnostics.CodeAnalysis;

namespace CrmSync.Emulator.Salesforce;

/// <summary>
/// Salesforce record ids: 15 case-sensitive base-62 characters (3-character key prefix, 2-character pod,
/// a reserved character, 9-character counter) plus the 3-character case-insensitive checksum suffix.
/// </summary>
public static class SalesforceId
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string SuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

    /// <summary>The pod characters used in every id this emulator issues.</summary>
    public const string Pod = "5g";

    /// <summary>Builds the 18-character id for <paramref name="keyPrefix"/> and a sequence number.</summary>
    public static string Create(string keyPrefix, long sequence)
    {
        Span<char> body = stackalloc char[15];
        keyPrefix.AsSpan().CopyTo(body);
        body[3] = Pod[0];
        body[4] = Pod[1];
        body[5] = '0';
        long value = sequence;
        for (int i = 14; i >= 6; i--)
        {
            body[i] = Base62[(int)(value % 62)];
            value /= 62;
        }
        return To18(new string(body));
    }

    /// <summary>Appends the checksum suffix to a 15-character id.</summary>
    public static string To18(string id15)
    {
        Span<char> result = stackalloc char[18];
        id15.AsSpan(0, 15).CopyTo(result);
        for (int chunk = 0; chunk < 3; chunk++)
        {
            int bits = 0;
            for (int i = 0; i < 5; i++)
            {
                char c = id15[chunk * 5 + i];
                if (c is >= 'A' and <= 'Z')
                {
                    bits |= 1 << i;
                }
            }
            result[15 + chunk] = SuffixAlphabet[bits];
        }
        return new string(result);
    }

    /// <summary>
    /// Normalizes a 15- or 18-character id to its 18-character form. Returns false when the text is not a
    /// well-formed id (wrong length, characters outside base 62, or a suffix that does not match).
    /// </summary>
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? id18)
    {
        id18 = null;
        if (text is null || (text.Length != 15 && text.Length != 18))
        {
            return false;
        }
        for (int i = 0; i < 15; i++)
        {
            if (!char.IsAsciiLetterOrDigit(text[i]))
            {
                return false;
            }
        }
        string full = To18(text[..15]);
        if (text.Length == 18 && !string.Equals(full[15..], text[15..], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        id18 = full;
        return true;
    }

    /// <summary>The key prefix (first three characters) of an id.</summary>
    public static string KeyPrefixOf(string id) => id.Length >= 3 ? id[..3] : id;

    /// <summary>Decodes the base-62 counter of an id issued by this emulator (for id sequence recovery).</summary>
    public static long SequenceOf(string id)
    {
        long value = 0;
        for (int i = 6; i < 15 && i < id.Length; i++)
        {
            int digit = Base62.IndexOf(id[i]);
            if (digit < 0)
            {
                return 0;
            }
            value = value * 62 + digit;
        }
        return value;
    }
}
