using System.Globalization;
using System.Text;

namespace CrmSync.Emulator.Dynamics.Query;

/// <summary>A malformed OData query option (answered 400 with code 0x80060888, as Dataverse does).</summary>
public sealed class ODataSyntaxException(string message) : Exception(message);

/// <summary>A parsed <c>$filter</c> expression.</summary>
public abstract record FilterNode;

/// <summary><c>left op right</c> (eq ne gt ge lt le).</summary>
public sealed record Comparison(string Property, string Op, object? Literal) : FilterNode;

/// <summary><c>a and b</c> / <c>a or b</c>.</summary>
public sealed record Logical(string Op, FilterNode Left, FilterNode Right) : FilterNode;

/// <summary><c>not a</c>.</summary>
public sealed record Not(FilterNode Inner) : FilterNode;

/// <summary><c>contains(p,'x')</c>, <c>startswith</c>, <c>endswith</c>.</summary>
public sealed record FunctionCall(string Name, string Property, string Argument) : FilterNode;

/// <summary>An enum literal such as <c>Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'</c> (compared by its member name).</summary>
public sealed record EnumLiteral(string Member);

/// <summary>
/// Parses and evaluates the OData <c>$filter</c> subset Dataverse clients send: eq, ne, gt, ge, lt, le, and, or, not,
/// parentheses, null, strings, numbers, booleans, GUIDs, unquoted date-times and dates, qualified enum literals,
/// contains/startswith/endswith. Property paths may use '/' (e.g. <c>RequiredLevel/Value</c>).
/// </summary>
public static class ODataFilter
{
    private static readonly string[] ComparisonOps = ["eq", "ne", "gt", "ge", "lt", "le"];

    public static FilterNode Parse(string text)
    {
        var tokens = Tokenize(text);
        int pos = 0;
        var node = ParseOr(tokens, ref pos);
        if (pos != tokens.Count)
        {
            throw new ODataSyntaxException($"Syntax error at position {tokens[pos].Position} in '{text}'.");
        }
        return node;
    }

    private sealed record Token(string Kind, string Text, int Position, object? Value = null);

    private static List<Token> Tokenize(string text)
    {
        var list = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            int start = i;
            if (c is '(' or ')' or ',')
            {
                list.Add(new Token(c.ToString(), c.ToString(), start));
                i++;
                continue;
            }
            if (c == '\'')
            {
                list.Add(new Token("literal", ReadString(text, ref i), start, ReadStringValue(text, start)));
                continue;
            }
            // A word: identifiers, keywords, numbers, GUIDs, date-times, qualified enum literals (Name'Member').
            var sb = new StringBuilder();
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')' and not ',')
            {
                if (text[i] == '\'')
                {
                    string member = ReadStringValue(text, i);
                    ReadString(text, ref i);
                    list.Add(new Token("literal", sb + "'" + member + "'", start, new EnumLiteral(member)));
                    sb.Clear();
                    goto next;
                }
                sb.Append(text[i]);
                i++;
            }
            list.Add(Word(sb.ToString(), start));
        next:;
        }
        return list;
    }

    private static string ReadString(string text, ref int i)
    {
        int start = i;
        i++;
        while (i < text.Length)
        {
            if (text[i] == '\'')
            {
                if (i + 1 < text.Length && text[i + 1] == '\'')
                {
                    i += 2;
                    continue;
                }
                i++;
                return text[start..i];
            }
            i++;
        }
        throw new ODataSyntaxException($"Unterminated string literal at position {start}.");
    }

    private static string ReadStringValue(string text, int start)
    {
        int i = start;
        string raw = ReadString(text, ref i);
        return raw[1..^1].Replace("''", "'", StringComparison.Ordinal);
    }

    private static Token Word(string word, int position)
    {
        string lower = word.ToLowerInvariant();
        if (lower is "and" or "or" or "not" || ComparisonOps.Contains(lower))
        {
            return new Token("keyword", lower, position);
        }
        if (lower == "null")
        {
            return new Token("literal", word, position, null);
        }
        if (lower is "true" or "false")
        {
            return new Token("literal", word, position, lower == "true");
        }
        if (Guid.TryParseExact(word, "D", out var guid))
        {
            return new Token("literal", word, position, guid);
        }
        if (word.Length >= 10 && char.IsDigit(word[0]) && word[4] == '-')
        {
            if (DateTime.TryParse(word, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt))
            {
                return new Token("literal", word, position, DateTime.SpecifyKind(dt, DateTimeKind.Utc));
            }
        }
        if ((char.IsDigit(word[0]) || word[0] is '-' or '+' or '.') &&
            decimal.TryParse(word.TrimEnd('M', 'm', 'L', 'l', 'd', 'D', 'f', 'F'), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return new Token("literal", word, position, number);
        }
        if (char.IsLetter(word[0]) || word[0] is '_' or '@')
        {
            return new Token("identifier", word, position);
        }
        throw new ODataSyntaxException($"Unrecognized token '{word}' at position {position}.");
    }

    private static FilterNode ParseOr(List<Token> t, ref int pos)
    {
        var left = ParseAnd(t, ref pos);
        while (pos < t.Count && t[pos] is { Kind: "keyword", Text: "or" })
        {
            pos++;
            left = new Logical("or", left, ParseAnd(t, ref pos));
        }
        return left;
    }

    private static FilterNode ParseAnd(List<Token> t, ref int pos)
    {
        var left = ParseUnary(t, ref pos);
        while (pos < t.Count && t[pos] is { Kind: "keyword", Text: "and" })
        {
            pos++;
            left = new Logical("and", left, ParseUnary(t, ref pos));
        }
        return left;
    }

    private static FilterNode ParseUnary(List<Token> t, ref int pos)
    {
        if (pos < t.Count && t[pos] is { Kind: "keyword", Text: "not" })
        {
            pos++;
            return new Not(ParseUnary(t, ref pos));
        }
        return ParsePrimary(t, ref pos);
    }

    private static Token Expect(List<Token> t, ref int pos, string kind)
    {
        if (pos >= t.Count || t[pos].Kind != kind)
        {
            throw new ODataSyntaxException(pos >= t.Count ? $"Expected '{kind}' at the end of the expression." : $"Expected '{kind}' at position {t[pos].Position}, found '{t[pos].Text}'.");
        }
        return t[pos++];
    }

    private static FilterNode ParsePrimary(List<Token> t, ref int pos)
    {
        if (pos >= t.Count)
        {
            throw new ODataSyntaxException("Expression expected at the end of the filter.");
        }
        if (t[pos].Kind == "(")
        {
            pos++;
            var inner = ParseOr(t, ref pos);
            Expect(t, ref pos, ")");
            return inner;
        }
        if (t[pos].Kind == "identifier" && pos + 1 < t.Count && t[pos + 1].Kind == "(")
        {
            string name = t[pos].Text.ToLowerInvariant();
            if (name is not ("contains" or "startswith" or "endswith"))
            {
                throw new ODataSyntaxException($"An unknown function with name '{t[pos].Text}' was found.");
            }
            pos += 2;
            string property = Expect(t, ref pos, "identifier").Text;
            Expect(t, ref pos, ",");
            var arg = Expect(t, ref pos, "literal");
            Expect(t, ref pos, ")");
            return new FunctionCall(name, property, Convert.ToString(arg.Value, CultureInfo.InvariantCulture) ?? "");
        }
        var left = t[pos++];
        if (pos >= t.Count || t[pos].Kind != "keyword" || !ComparisonOps.Contains(t[pos].Text))
        {
            throw new ODataSyntaxException($"Expected a comparison operator after '{left.Text}'.");
        }
        string op = t[pos++].Text;
        if (pos >= t.Count)
        {
            throw new ODataSyntaxException($"Expected a value after '{op}'.");
        }
        var right = t[pos++];
        if (left.Kind == "identifier" && right.Kind == "literal")
        {
            return new Comparison(left.Text, op, right.Value);
        }
        if (left.Kind == "literal" && right.Kind == "identifier")
        {
            string flipped = op switch { "gt" => "lt", "lt" => "gt", "ge" => "le", "le" => "ge", _ => op };
            return new Comparison(right.Text, flipped, left.Value);
        }
        throw new ODataSyntaxException($"A comparison needs a property and a literal ('{left.Text} {op} {right.Text}').");
    }

    /// <summary>Every property a filter names.</summary>
    public static IEnumerable<string> Properties(FilterNode node) => node switch
    {
        Comparison c => [c.Property],
        FunctionCall f => [f.Property],
        Logical l => Properties(l.Left).Concat(Properties(l.Right)),
        Not n => Properties(n.Inner),
        _ => [],
    };

    /// <summary>Evaluates a filter; <paramref name="get"/> reads a property value (null when absent).</summary>
    public static bool Evaluate(FilterNode node, Func<string, object?> get) => node switch
    {
        Logical { Op: "and" } l => Evaluate(l.Left, get) && Evaluate(l.Right, get),
        Logical l => Evaluate(l.Left, get) || Evaluate(l.Right, get),
        Not n => !Evaluate(n.Inner, get),
        FunctionCall f => get(f.Property) is { } v && Text(v) is { } s && f.Name switch
        {
            "contains" => s.Contains(f.Argument, StringComparison.OrdinalIgnoreCase),
            "startswith" => s.StartsWith(f.Argument, StringComparison.OrdinalIgnoreCase),
            _ => s.EndsWith(f.Argument, StringComparison.OrdinalIgnoreCase),
        },
        Comparison c => Compare(get(c.Property), c.Op, c.Literal),
        _ => false,
    };

    private static string? Text(object v) => Convert.ToString(v, CultureInfo.InvariantCulture);

    private static bool Compare(object? value, string op, object? literal)
    {
        if (literal is null || value is null)
        {
            bool bothNull = literal is null && value is null;
            return op switch { "eq" => bothNull, "ne" => !bothNull, _ => false };
        }
        int? cmp = CompareValues(value, literal);
        if (cmp is null)
        {
            return op == "ne";
        }
        return op switch
        {
            "eq" => cmp == 0,
            "ne" => cmp != 0,
            "gt" => cmp > 0,
            "ge" => cmp >= 0,
            "lt" => cmp < 0,
            _ => cmp <= 0,
        };
    }

    /// <summary>Compares two values of compatible kinds (null when they cannot be compared).</summary>
    public static int? CompareValues(object a, object b)
    {
        if (b is EnumLiteral e)
        {
            b = e.Member;
        }
        switch (a)
        {
            case string s:
                return string.Compare(s, Text(b), StringComparison.OrdinalIgnoreCase);
            case bool x:
                return b is bool y ? x.CompareTo(y) : b is decimal d ? (x ? 1m : 0m).CompareTo(d) : null;
            case DateTime t:
                if (b is DateTime u)
                {
                    return t.CompareTo(u);
                }
                return b is string bs && DateTime.TryParse(bs, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var p) ? t.CompareTo(p) : null;
            case Guid g:
                if (b is Guid h)
                {
                    return g.CompareTo(h);
                }
                return b is string gs && Guid.TryParse(gs, out var gg) ? g.CompareTo(gg) : null;
            case int or long or decimal or double:
                decimal left = Convert.ToDecimal(a, CultureInfo.InvariantCulture);
                return b switch
                {
                    decimal r => left.CompareTo(r),
                    int or long or double => left.CompareTo(Convert.ToDecimal(b, CultureInfo.InvariantCulture)),
                    bool bb => left.CompareTo(bb ? 1m : 0m),
                    _ => null,
                };
            default:
                return string.Compare(Text(a), Text(b), StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Parses <c>$orderby</c>: <c>a asc, b desc</c>.</summary>
    public static IReadOnlyList<(string Property, bool Descending)> ParseOrderBy(string text)
    {
        var list = new List<(string, bool)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length is 0 or > 2 || (words.Length == 2 && words[1].ToLowerInvariant() is not ("asc" or "desc")))
            {
                throw new ODataSyntaxException($"Syntax error in '$orderby={text}'.");
            }
            list.Add((words[0], words.Length == 2 && words[1].Equals("desc", StringComparison.OrdinalIgnoreCase)));
        }
        return list;
    }
}
