using System.Globalization;

namespace CrmSync.Emulator.Salesforce.Soql.Syntax;

/// <summary>
/// Recursive-descent parser for the SOQL subset sync clients send:
/// <code>
/// query      := SELECT selectItem (',' selectItem)* FROM name [WHERE logical] [ORDER BY orderItem (',' orderItem)*] [LIMIT n] [OFFSET n]
/// selectItem := COUNT '(' [path] ')' [alias] | path
/// logical    := NOT condition | condition (AND condition)* | condition (OR condition)*
/// condition  := '(' logical ')' | path op literal | path [NOT] IN '(' literal (',' literal)* ')' | path LIKE string
/// orderItem  := path [ASC|DESC] [NULLS (FIRST|LAST)]
/// </code>
/// As in Salesforce, AND and OR cannot be mixed at one level without parentheses, and NOT applies to one
/// condition; so precedence never needs guessing and the tree is always what the parentheses say.
/// </summary>
internal sealed class SoqlParser
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "OFFSET", "NULL",
        "TRUE", "FALSE", "ASC", "DESC", "NULLS", "GROUP", "HAVING", "WITH", "INCLUDES", "EXCLUDES", "USING", "FOR",
    };

    private readonly string _soql;
    private readonly List<SoqlToken> _tokens;
    private int _position;

    private SoqlParser(string soql)
    {
        _soql = soql;
        _tokens = SoqlLexer.Tokenize(soql);
    }

    private SoqlToken Current => _tokens[_position];

    /// <summary>Parses a query.</summary>
    /// <exception cref="SoqlException">MALFORMED_QUERY with Salesforce's "unexpected token" message and position.</exception>
    public static SoqlQuerySyntax Parse(string soql)
    {
        ArgumentNullException.ThrowIfNull(soql);
        return new SoqlParser(soql).ParseQuery();
    }

    private SoqlQuerySyntax ParseQuery()
    {
        ExpectKeyword("SELECT");
        var select = new List<SoqlSelectItemSyntax> { ParseSelectItem() };
        while (Current.IsSymbol(","))
        {
            _position++;
            select.Add(ParseSelectItem());
        }

        ExpectKeyword("FROM");
        var from = ParsePath(allowReserved: true);
        if (from.Segments.Count > 1)
        {
            throw SoqlErrors.UnexpectedToken(_soql, _tokens[_position - 1]);
        }

        SoqlConditionSyntax? where = null;
        if (AcceptKeyword("WHERE"))
        {
            where = ParseLogical();
        }

        var orderBy = new List<SoqlOrderItemSyntax>();
        if (AcceptKeyword("ORDER"))
        {
            ExpectKeyword("BY");
            orderBy.Add(ParseOrderItem());
            while (Current.IsSymbol(","))
            {
                _position++;
                orderBy.Add(ParseOrderItem());
            }
        }

        int? limit = null;
        if (AcceptKeyword("LIMIT"))
        {
            limit = ParseCount().Value;
        }

        int? offset = null;
        var offsetValueOffset = -1;
        if (AcceptKeyword("OFFSET"))
        {
            (offset, offsetValueOffset) = ParseCount();
        }

        if (Current.Kind != SoqlTokenKind.End)
        {
            throw SoqlErrors.UnexpectedToken(_soql, Current);
        }

        return new SoqlQuerySyntax(select, from, where, orderBy, limit, offset, offsetValueOffset);
    }

    private SoqlSelectItemSyntax ParseSelectItem()
    {
        var token = Current;
        if (token.IsKeyword("COUNT") && Peek(1).IsSymbol("("))
        {
            _position += 2;
            SoqlPathSyntax? argument = null;
            if (!Current.IsSymbol(")"))
            {
                argument = ParsePath();
            }

            ExpectSymbol(")");
            string? alias = null;
            if (Current.Kind == SoqlTokenKind.Word && !Reserved.Contains(Current.Text) && !Current.Text.Contains('.'))
            {
                alias = Current.Text;
                _position++;
            }

            return new SoqlCountSelectSyntax(argument, alias, token.Offset);
        }

        return new SoqlFieldSelectSyntax(ParsePath());
    }

    private SoqlOrderItemSyntax ParseOrderItem()
    {
        var path = ParsePath();
        var descending = false;
        if (AcceptKeyword("DESC"))
        {
            descending = true;
        }
        else
        {
            AcceptKeyword("ASC");
        }

        bool? nullsFirst = null;
        if (AcceptKeyword("NULLS"))
        {
            if (AcceptKeyword("FIRST"))
            {
                nullsFirst = true;
            }
            else if (AcceptKeyword("LAST"))
            {
                nullsFirst = false;
            }
            else
            {
                throw SoqlErrors.UnexpectedToken(_soql, Current);
            }
        }

        return new SoqlOrderItemSyntax(path, descending, nullsFirst);
    }

    private (int Value, int Offset) ParseCount()
    {
        var token = Current;
        if (token.Kind != SoqlTokenKind.Number || !token.Text.All(char.IsAsciiDigit)
            || !int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw SoqlErrors.UnexpectedToken(_soql, token);
        }

        _position++;
        return (value, token.Offset);
    }

    private SoqlConditionSyntax ParseLogical()
    {
        if (AcceptKeyword("NOT"))
        {
            return new SoqlNotSyntax(ParseCondition());
        }

        var first = ParseCondition();
        if (Current.IsKeyword("AND") || Current.IsKeyword("OR"))
        {
            var keyword = Current.Text;
            var operands = new List<SoqlConditionSyntax> { first };
            while (AcceptKeyword(keyword))
            {
                operands.Add(ParseCondition());
            }

            // Mixing AND and OR here (a AND b OR c) is left for the caller to reject: Salesforce answers
            // "unexpected token: 'OR'" and demands parentheses.
            return keyword.Equals("AND", StringComparison.OrdinalIgnoreCase)
                ? new SoqlAndSyntax(operands)
                : new SoqlOrSyntax(operands);
        }

        return first;
    }

    private SoqlConditionSyntax ParseCondition()
    {
        if (Current.IsSymbol("("))
        {
            _position++;
            var inner = ParseLogical();
            ExpectSymbol(")");
            return inner;
        }

        var field = ParsePath();
        var token = Current;
        if (token.Kind == SoqlTokenKind.Symbol)
        {
            SoqlComparisonOperator? op = token.Text switch
            {
                "=" => SoqlComparisonOperator.Equal,
                "!=" or "<>" => SoqlComparisonOperator.NotEqual,
                "<" => SoqlComparisonOperator.Less,
                "<=" => SoqlComparisonOperator.LessOrEqual,
                ">" => SoqlComparisonOperator.Greater,
                ">=" => SoqlComparisonOperator.GreaterOrEqual,
                _ => null,
            };
            if (op is null)
            {
                throw SoqlErrors.UnexpectedToken(_soql, token);
            }

            _position++;
            return new SoqlComparisonSyntax(field, op.Value, ParseLiteral());
        }

        if (AcceptKeyword("LIKE"))
        {
            var pattern = ParseLiteral();
            return new SoqlLikeSyntax(field, pattern);
        }

        if (token.IsKeyword("IN") || (token.IsKeyword("NOT") && Peek(1).IsKeyword("IN")))
        {
            var negated = token.IsKeyword("NOT");
            _position += negated ? 2 : 1;
            ExpectSymbol("(");
            var values = new List<SoqlLiteralSyntax> { ParseLiteral() };
            while (Current.IsSymbol(","))
            {
                _position++;
                values.Add(ParseLiteral());
            }

            ExpectSymbol(")");
            return new SoqlInSyntax(field, negated, values);
        }

        if (token.IsKeyword("INCLUDES") || token.IsKeyword("EXCLUDES"))
        {
            throw SoqlErrors.Positioned(
                SoqlErrorCodes.MalformedQuery,
                _soql,
                token.Offset,
                $"The {token.Text.ToUpperInvariant()} operator (multi-select picklists) is not supported by the CrmSync emulator.");
        }

        throw SoqlErrors.UnexpectedToken(_soql, token);
    }

    private SoqlLiteralSyntax ParseLiteral()
    {
        var token = Current;
        switch (token.Kind)
        {
            case SoqlTokenKind.String:
                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.String, SoqlLexer.DecodeString(_soql, token), token);
            case SoqlTokenKind.Number:
                if (!decimal.TryParse(token.Text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                {
                    throw SoqlErrors.UnexpectedToken(_soql, token);
                }

                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.Number, number, token);
            case SoqlTokenKind.Date:
                if (!DateOnly.TryParseExact(token.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    throw SoqlErrors.UnexpectedToken(_soql, token);
                }

                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.Date, date, token);
            case SoqlTokenKind.DateTime:
                if (!DateTimeOffset.TryParseExact(
                        token.Text.ToUpperInvariant(),
                        ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
                        CultureInfo.InvariantCulture,
                        DateTimeStyles.None,
                        out var instant))
                {
                    throw SoqlErrors.UnexpectedToken(_soql, token);
                }

                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.DateTime, instant.UtcDateTime, token);
            case SoqlTokenKind.Word when token.IsKeyword("NULL"):
                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.Null, null, token);
            case SoqlTokenKind.Word when token.IsKeyword("TRUE") || token.IsKeyword("FALSE"):
                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.Boolean, token.IsKeyword("TRUE"), token);
            case SoqlTokenKind.Word when SoqlRelativeDate.IsFixed(token.Text):
                _position++;
                return new SoqlLiteralSyntax(SoqlLiteralKind.RelativeDate, new SoqlRelativeDate(token.Text.ToUpperInvariant(), 0), token);
            case SoqlTokenKind.Word when SoqlRelativeDate.TakesNumber(token.Text):
                _position++;
                ExpectSymbol(":");
                var (n, _) = ParseCount();
                var full = token with { Length = _tokens[_position - 1].Offset + _tokens[_position - 1].Length - token.Offset };
                return new SoqlLiteralSyntax(SoqlLiteralKind.RelativeDate, new SoqlRelativeDate(token.Text.ToUpperInvariant(), n), full);
            default:
                throw SoqlErrors.UnexpectedToken(_soql, token);
        }
    }

    private SoqlPathSyntax ParsePath(bool allowReserved = false)
    {
        // Object names may be words SOQL reserves elsewhere (FROM Order, FROM Group).
        var token = Current;
        if (token.Kind != SoqlTokenKind.Word || (!allowReserved && Reserved.Contains(token.Text)))
        {
            throw SoqlErrors.UnexpectedToken(_soql, token);
        }

        _position++;
        var segments = token.Text.Split('.');
        var offsets = new int[segments.Length];
        var at = token.Offset;
        for (var k = 0; k < segments.Length; k++)
        {
            offsets[k] = at;
            at += segments[k].Length + 1;
        }

        return new SoqlPathSyntax(segments, offsets);
    }

    private SoqlToken Peek(int ahead) => _tokens[Math.Min(_position + ahead, _tokens.Count - 1)];

    private bool AcceptKeyword(string keyword)
    {
        if (!Current.IsKeyword(keyword))
        {
            return false;
        }

        _position++;
        return true;
    }

    private void ExpectKeyword(string keyword)
    {
        if (!AcceptKeyword(keyword))
        {
            throw SoqlErrors.UnexpectedToken(_soql, Current);
        }
    }

    private void ExpectSymbol(string symbol)
    {
        if (!Current.IsSymbol(symbol))
        {
            throw SoqlErrors.UnexpectedToken(_soql, Current);
        }

        _position++;
    }
}
