namespace CrmSync.Emulator.Salesforce.Soql.Syntax;

/// <summary>Splits SOQL text into tokens. Keywords are plain words; the parser decides what they mean.</summary>
internal static class SoqlLexer
{
    /// <summary>Tokenizes the whole query; the last token is always <see cref="SoqlTokenKind.End"/>.</summary>
    /// <exception cref="SoqlException">MALFORMED_QUERY for characters or literals SOQL does not allow.</exception>
    public static List<SoqlToken> Tokenize(string soql)
    {
        var tokens = new List<SoqlToken>();
        var i = 0;
        while (true)
        {
            while (i < soql.Length && char.IsWhiteSpace(soql[i]))
            {
                i++;
            }

            if (i >= soql.Length)
            {
                tokens.Add(new SoqlToken(SoqlTokenKind.End, string.Empty, soql.Length, 0));
                return tokens;
            }

            var c = soql[i];
            if (IsWordStart(c))
            {
                tokens.Add(ReadWord(soql, ref i));
            }
            else if (IsDigit(c) || ((c == '-' || c == '+') && i + 1 < soql.Length && IsDigit(soql[i + 1])))
            {
                tokens.Add(ReadNumberOrDate(soql, ref i));
            }
            else if (c == '\'')
            {
                tokens.Add(ReadString(soql, ref i));
            }
            else
            {
                tokens.Add(ReadSymbol(soql, ref i));
            }
        }
    }

    /// <summary>Decodes the raw text of a string literal (SOQL escapes) into its value.</summary>
    /// <remarks><c>\%</c> and <c>\_</c> decode to <c>%</c> and <c>_</c>; LIKE reads the raw text instead.</remarks>
    public static string DecodeString(string soql, SoqlToken token)
    {
        var raw = token.Text;
        if (raw.IndexOf('\\') < 0)
        {
            return raw;
        }

        var builder = new System.Text.StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                builder.Append(raw[i]);
                continue;
            }

            builder.Append(DecodeEscape(soql, token, raw, ref i));
        }

        return builder.ToString();
    }

    /// <summary>Decodes the escape sequence starting at <paramref name="i"/> (a backslash); leaves i on its last character.</summary>
    public static string DecodeEscape(string soql, SoqlToken token, string raw, ref int i)
    {
        if (i + 1 >= raw.Length)
        {
            throw IllegalEscape(soql, token, "\\");
        }

        var next = raw[i + 1];
        i++;
        switch (next)
        {
            case 'n': case 'N': return "\n";
            case 'r': case 'R': return "\r";
            case 't': case 'T': return "\t";
            case 'b': case 'B': return "\b";
            case 'f': case 'F': return "\f";
            case '"': return "\"";
            case '\'': return "'";
            case '\\': return "\\";
            case '%': return "%";
            case '_': return "_";
            case 'u':
                if (i + 4 < raw.Length
                    && int.TryParse(raw.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var code))
                {
                    i += 4;
                    return ((char)code).ToString();
                }

                throw IllegalEscape(soql, token, "\\u");
            default:
                throw IllegalEscape(soql, token, "\\" + next);
        }
    }

    private static SoqlException IllegalEscape(string soql, SoqlToken token, string sequence) =>
        SoqlErrors.Positioned(
            SoqlErrorCodes.MalformedQuery,
            soql,
            token.Offset,
            $"Invalid string literal '{token.Text}'. Illegal character sequence '{sequence}' in string literal.");

    private static bool IsWordStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsWordPart(char c) => IsWordStart(c) || IsDigit(c);

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static SoqlToken ReadWord(string soql, ref int i)
    {
        var start = i;
        while (true)
        {
            while (i < soql.Length && IsWordPart(soql[i]))
            {
                i++;
            }

            // A dotted path (Owner.Name) is one token; the parser splits it into segments.
            if (i + 1 < soql.Length && soql[i] == '.' && IsWordStart(soql[i + 1]))
            {
                i++;
                continue;
            }

            break;
        }

        return new SoqlToken(SoqlTokenKind.Word, soql[start..i], start, i - start);
    }

    private static SoqlToken ReadNumberOrDate(string soql, ref int i)
    {
        var start = i;
        if (soql[i] is '-' or '+')
        {
            i++;
        }

        var digitsStart = i;
        while (i < soql.Length && IsDigit(soql[i]))
        {
            i++;
        }

        // YYYY-MM-DD, optionally followed by Thh:mm:ss(.sss)(Z|±hh:mm).
        if (start == digitsStart && i - digitsStart == 4 && Matches(soql, i, "-dd-dd"))
        {
            i += 6;
            if (i < soql.Length && (soql[i] == 'T' || soql[i] == 't'))
            {
                return ReadDateTimeTail(soql, start, ref i);
            }

            EnsureNotFollowedByWord(soql, start, i);
            return new SoqlToken(SoqlTokenKind.Date, soql[start..i], start, i - start);
        }

        if (i < soql.Length && soql[i] == '.' && i + 1 < soql.Length && IsDigit(soql[i + 1]))
        {
            i++;
            while (i < soql.Length && IsDigit(soql[i]))
            {
                i++;
            }
        }

        EnsureNotFollowedByWord(soql, start, i);
        return new SoqlToken(SoqlTokenKind.Number, soql[start..i], start, i - start);
    }

    private static SoqlToken ReadDateTimeTail(string soql, int start, ref int i)
    {
        // i is on the 'T'.
        if (!Matches(soql, i + 1, "dd:dd:dd"))
        {
            throw Unexpected(soql, start, i + 1);
        }

        i += 9;
        if (i < soql.Length && soql[i] == '.')
        {
            var fractionStart = i + 1;
            i++;
            while (i < soql.Length && IsDigit(soql[i]))
            {
                i++;
            }

            if (i == fractionStart)
            {
                throw Unexpected(soql, start, i);
            }
        }

        if (i < soql.Length && (soql[i] == 'Z' || soql[i] == 'z'))
        {
            i++;
        }
        else if (i < soql.Length && (soql[i] == '+' || soql[i] == '-') && Matches(soql, i + 1, "dd:dd"))
        {
            i += 6;
        }
        else
        {
            throw Unexpected(soql, start, i);
        }

        EnsureNotFollowedByWord(soql, start, i);
        return new SoqlToken(SoqlTokenKind.DateTime, soql[start..i], start, i - start);
    }

    private static void EnsureNotFollowedByWord(string soql, int start, int i)
    {
        if (i < soql.Length && (IsWordPart(soql[i]) || soql[i] == '.'))
        {
            throw Unexpected(soql, start, i + 1);
        }
    }

    private static SoqlException Unexpected(string soql, int start, int end)
    {
        var stop = Math.Min(soql.Length, end);
        while (stop < soql.Length && !char.IsWhiteSpace(soql[stop]) && soql[stop] is not (')' or ','))
        {
            stop++;
        }

        return SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, soql, start, $"unexpected token: '{soql[start..stop]}'");
    }

    /// <summary>Pattern match where 'd' is any digit and any other character must match exactly.</summary>
    private static bool Matches(string soql, int at, string pattern)
    {
        if (at + pattern.Length > soql.Length)
        {
            return false;
        }

        for (var k = 0; k < pattern.Length; k++)
        {
            var c = soql[at + k];
            if (pattern[k] == 'd' ? !IsDigit(c) : c != pattern[k])
            {
                return false;
            }
        }

        return true;
    }

    private static SoqlToken ReadString(string soql, ref int i)
    {
        var start = i;
        i++;
        var contentStart = i;
        while (i < soql.Length)
        {
            if (soql[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (soql[i] == '\'')
            {
                var token = new SoqlToken(SoqlTokenKind.String, soql[contentStart..i], start, i + 1 - start);
                i++;
                return token;
            }

            i++;
        }

        throw SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, soql, start, $"unexpected token: '{soql[start..]}'");
    }

    private static SoqlToken ReadSymbol(string soql, ref int i)
    {
        var start = i;
        var c = soql[i];
        var next = i + 1 < soql.Length ? soql[i + 1] : '\0';
        string text;
        switch (c)
        {
            case '!' when next == '=':
                text = "!=";
                break;
            case '<' when next is '=' or '>':
                text = "<" + next;
                break;
            case '>' when next == '=':
                text = ">=";
                break;
            case '=' or '<' or '>' or '(' or ')' or ',' or ':':
                text = c.ToString();
                break;
            default:
                throw SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, soql, start, $"unexpected token: '{c}'");
        }

        i += text.Length;
        return new SoqlToken(SoqlTokenKind.Symbol, text, start, text.Length);
    }
}
