using System.Text;
using System.Text.RegularExpressions;
using CrmSync.Emulator.Salesforce.Soql.Evaluation;
using CrmSync.Emulator.Salesforce.Soql.Syntax;

namespace CrmSync.Emulator.Salesforce.Soql.Binding;

using Row = IReadOnlyDictionary<string, object?>;

/// <summary>
/// A type-checked WHERE condition. <see cref="Build"/> turns it into a closure once per run (relative dates
/// are fixed then); the closure does no parsing and no reflection per row.
/// SOQL logic is two-valued: a comparison with a null field is false, except <c>!=</c> and <c>NOT IN</c>,
/// which are true (Salesforce returns rows whose field is null for <c>Field != 'x'</c>).
/// </summary>
internal abstract class SoqlBoundCondition
{
    public abstract Func<Row, bool> Build(SoqlExecutionContext context);

    public abstract bool UsesRelativeDates { get; }

    /// <summary>A bound on a direct field implied by this condition, or null.</summary>
    public abstract SoqlBound? ImpliedBound(string field, bool lower);

    /// <summary>Of two bounds both implied, the tighter one (AND).</summary>
    protected static SoqlBound? Tighter(SoqlBound? a, SoqlBound? b, SoqlValueKind kind, bool lower)
    {
        if (a is null || b is null)
        {
            return a ?? b;
        }

        var cmp = SoqlValues.Compare(a.Value, b.Value, kind);
        if (cmp == 0)
        {
            return a.Inclusive ? b : a;
        }

        return (cmp > 0) == lower ? a : b;
    }

    /// <summary>Of two bounds of which one holds, the looser one (OR); null when either side has none.</summary>
    protected static SoqlBound? Looser(SoqlBound? a, SoqlBound? b, SoqlValueKind kind, bool lower)
    {
        if (a is null || b is null)
        {
            return null;
        }

        var cmp = SoqlValues.Compare(a.Value, b.Value, kind);
        if (cmp == 0)
        {
            return a.Inclusive ? a : b;
        }

        return (cmp < 0) == lower ? a : b;
    }
}

/// <summary>AND of several conditions.</summary>
internal sealed class SoqlAndCondition(IReadOnlyList<SoqlBoundCondition> operands, Func<string, SoqlValueKind?> kindOf) : SoqlBoundCondition
{
    public IReadOnlyList<SoqlBoundCondition> Operands { get; } = operands;

    public override bool UsesRelativeDates => Operands.Any(o => o.UsesRelativeDates);

    public override Func<Row, bool> Build(SoqlExecutionContext context)
    {
        var parts = Operands.Select(o => o.Build(context)).ToArray();
        if (parts.Length == 2)
        {
            var (first, second) = (parts[0], parts[1]);
            return row => first(row) && second(row);
        }

        return row =>
        {
            foreach (var part in parts)
            {
                if (!part(row))
                {
                    return false;
                }
            }

            return true;
        };
    }

    public override SoqlBound? ImpliedBound(string field, bool lower)
    {
        if (kindOf(field) is not { } kind)
        {
            return null;
        }

        SoqlBound? result = null;
        foreach (var operand in Operands)
        {
            result = Tighter(result, operand.ImpliedBound(field, lower), kind, lower);
        }

        return result;
    }
}

/// <summary>OR of several conditions.</summary>
internal sealed class SoqlOrCondition(IReadOnlyList<SoqlBoundCondition> operands, Func<string, SoqlValueKind?> kindOf) : SoqlBoundCondition
{
    public IReadOnlyList<SoqlBoundCondition> Operands { get; } = operands;

    public override bool UsesRelativeDates => Operands.Any(o => o.UsesRelativeDates);

    public override Func<Row, bool> Build(SoqlExecutionContext context)
    {
        var parts = Operands.Select(o => o.Build(context)).ToArray();
        if (parts.Length == 2)
        {
            var (first, second) = (parts[0], parts[1]);
            return row => first(row) || second(row);
        }

        return row =>
        {
            foreach (var part in parts)
            {
                if (part(row))
                {
                    return true;
                }
            }

            return false;
        };
    }

    public override SoqlBound? ImpliedBound(string field, bool lower)
    {
        if (kindOf(field) is not { } kind)
        {
            return null;
        }

        var result = Operands[0].ImpliedBound(field, lower);
        for (var k = 1; k < Operands.Count && result is not null; k++)
        {
            result = Looser(result, Operands[k].ImpliedBound(field, lower), kind, lower);
        }

        return result;
    }
}

/// <summary>NOT of one condition.</summary>
internal sealed class SoqlNotCondition(SoqlBoundCondition operand) : SoqlBoundCondition
{
    public SoqlBoundCondition Operand { get; } = operand;

    public override bool UsesRelativeDates => Operand.UsesRelativeDates;

    public override Func<Row, bool> Build(SoqlExecutionContext context)
    {
        var inner = Operand.Build(context);
        return row => !inner(row);
    }

    public override SoqlBound? ImpliedBound(string field, bool lower) => null;
}

/// <summary><c>field op literal</c>; the literal is normalized to the field's kind, or a relative date range.</summary>
internal sealed class SoqlComparisonCondition(SoqlFieldAccessor field, SoqlComparisonOperator op, object? value) : SoqlBoundCondition
{
    public SoqlFieldAccessor Field { get; } = field;

    public SoqlComparisonOperator Operator { get; } = op;

    /// <summary>Normalized literal, null, or a <see cref="SoqlRelativeDate"/>.</summary>
    public object? Value { get; } = value;

    public override bool UsesRelativeDates => Value is SoqlRelativeDate;

    public override Func<Row, bool> Build(SoqlExecutionContext context)
    {
        var accessor = Field;
        var kind = accessor.Kind;
        var lookup = context.LookupRecord;
        if (Value is null)
        {
            return Operator switch
            {
                SoqlComparisonOperator.Equal => row => accessor.Get(row, lookup) is null,
                SoqlComparisonOperator.NotEqual => row => accessor.Get(row, lookup) is not null,
                _ => _ => false,
            };
        }

        if (Value is SoqlRelativeDate relative)
        {
            var (start, end) = RelativeRange(relative, kind, context.Now);
            return Operator switch
            {
                SoqlComparisonOperator.Equal => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, start, kind) >= 0 && SoqlValues.Compare(v, end, kind) < 0,
                SoqlComparisonOperator.NotEqual => row => accessor.Get(row, lookup) is not { } v || SoqlValues.Compare(v, start, kind) < 0 || SoqlValues.Compare(v, end, kind) >= 0,
                SoqlComparisonOperator.Less => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, start, kind) < 0,
                SoqlComparisonOperator.LessOrEqual => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, end, kind) < 0,
                SoqlComparisonOperator.Greater => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, end, kind) >= 0,
                SoqlComparisonOperator.GreaterOrEqual => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, start, kind) >= 0,
                _ => throw new InvalidOperationException($"Unknown operator {Operator}."),
            };
        }

        var literal = Value;
        if (kind == SoqlValueKind.DateTime && accessor.IsDirect)
        {
            // The hot path of every sync query (SystemModstamp > X): compare ticks without the generic switch.
            var name = accessor.Field.Name;
            var ticks = ((DateTime)literal).Ticks;
            return Operator switch
            {
                SoqlComparisonOperator.Equal => row => Ticks(row, name) is { } t && t == ticks,
                SoqlComparisonOperator.NotEqual => row => Ticks(row, name) is not { } t || t != ticks,
                SoqlComparisonOperator.Less => row => Ticks(row, name) is { } t && t < ticks,
                SoqlComparisonOperator.LessOrEqual => row => Ticks(row, name) is { } t && t <= ticks,
                SoqlComparisonOperator.Greater => row => Ticks(row, name) is { } t && t > ticks,
                SoqlComparisonOperator.GreaterOrEqual => row => Ticks(row, name) is { } t && t >= ticks,
                _ => throw new InvalidOperationException($"Unknown operator {Operator}."),
            };
        }

        return Operator switch
        {
            SoqlComparisonOperator.Equal => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, literal, kind) == 0,
            SoqlComparisonOperator.NotEqual => row => accessor.Get(row, lookup) is not { } v || SoqlValues.Compare(v, literal, kind) != 0,
            SoqlComparisonOperator.Less => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, literal, kind) < 0,
            SoqlComparisonOperator.LessOrEqual => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, literal, kind) <= 0,
            SoqlComparisonOperator.Greater => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, literal, kind) > 0,
            SoqlComparisonOperator.GreaterOrEqual => row => accessor.Get(row, lookup) is { } v && SoqlValues.Compare(v, literal, kind) >= 0,
            _ => throw new InvalidOperationException($"Unknown operator {Operator}."),
        };
    }

    public override SoqlBound? ImpliedBound(string field, bool lower)
    {
        if (!Field.IsDirect || Value is null or SoqlRelativeDate
            || !string.Equals(Field.Field.Name, field, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return (Operator, lower) switch
        {
            (SoqlComparisonOperator.Equal, _) => new SoqlBound(Field.Field.Name, Value, Inclusive: true),
            (SoqlComparisonOperator.Greater, true) or (SoqlComparisonOperator.Less, false) => new SoqlBound(Field.Field.Name, Value, Inclusive: false),
            (SoqlComparisonOperator.GreaterOrEqual, true) or (SoqlComparisonOperator.LessOrEqual, false) => new SoqlBound(Field.Field.Name, Value, Inclusive: true),
            _ => null,
        };
    }

    /// <summary>The [start, end) of a relative date literal in the field's kind, in UTC days.</summary>
    public static (object Start, object End) RelativeRange(SoqlRelativeDate relative, SoqlValueKind kind, DateTimeOffset now)
    {
        var (start, end) = relative.Range(DateOnly.FromDateTime(now.UtcDateTime));
        return kind == SoqlValueKind.Date
            ? (start, end)
            : (start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), end.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
    }

    private static long? Ticks(Row row, string name)
    {
        if (!row.TryGetValue(name, out var raw))
        {
            return null;
        }

        return raw switch
        {
            null => null,
            DateTime { Kind: DateTimeKind.Local } d => d.ToUniversalTime().Ticks,
            DateTime d => d.Ticks,
            _ => ((DateTime)SoqlValues.Normalize(raw, SoqlValueKind.DateTime, name)!).Ticks,
        };
    }
}

/// <summary><c>field [NOT] IN (…)</c>.</summary>
internal sealed class SoqlInCondition(SoqlFieldAccessor field, bool negated, IReadOnlyList<object?> values) : SoqlBoundCondition
{
    public SoqlFieldAccessor Field { get; } = field;

    public bool Negated { get; } = negated;

    /// <summary>Normalized literals, nulls, or <see cref="SoqlRelativeDate"/>s.</summary>
    public IReadOnlyList<object?> Values { get; } = values;

    public override bool UsesRelativeDates => Values.Any(v => v is SoqlRelativeDate);

    public override Func<Row, bool> Build(SoqlExecutionContext context)
    {
        var accessor = Field;
        var kind = accessor.Kind;
        var lookup = context.LookupRecord;
        var includesNull = Values.Any(v => v is null);
        var negated = Negated;
        Func<object, bool> contains;
        if (kind is SoqlValueKind.Text or SoqlValueKind.Id)
        {
            var set = new HashSet<string>(
                Values.OfType<string>(),
                kind == SoqlValueKind.Text ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
            contains = v => set.Contains((string)v);
        }
        else
        {
            var scalars = Values.Where(v => v is not null and not SoqlRelativeDate).Cast<object>().ToArray();
            var ranges = Values.OfType<SoqlRelativeDate>().Select(r => SoqlComparisonCondition.RelativeRange(r, kind, context.Now)).ToArray();
            contains = v =>
            {
                foreach (var s in scalars)
                {
                    if (SoqlValues.Compare(v, s, kind) == 0)
                    {
                        return true;
                    }
                }

                foreach (var (start, end) in ranges)
                {
                    if (SoqlValues.Compare(v, start, kind) >= 0 && SoqlValues.Compare(v, end, kind) < 0)
                    {
                        return true;
                    }
                }

                return false;
            };
        }

        return row =>
        {
            var value = accessor.Get(row, lookup);
            var found = value is null ? includesNull : contains(value);
            return found != negated;
        };
    }

    public override SoqlBound? ImpliedBound(string field, bool lower)
    {
        if (Negated || !Field.IsDirect || Values.Any(v => v is null or SoqlRelativeDate)
            || !string.Equals(Field.Field.Name, field, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var kind = Field.Kind;
        var best = Values[0]!;
        foreach (var v in Values)
        {
            var cmp = SoqlValues.Compare(v!, best, kind);
            if (lower ? cmp < 0 : cmp > 0)
            {
                best = v!;
            }
        }

        return new SoqlBound(Field.Field.Name, best, Inclusive: true);
    }
}

/// <summary><c>field LIKE 'pattern'</c>: % any run, _ one character, \% and \_ literal; case-insensitive.</summary>
internal sealed class SoqlLikeCondition(SoqlFieldAccessor field, Func<string, bool> matches) : SoqlBoundCondition
{
    public SoqlFieldAccessor Field { get; } = field;

    public override bool UsesRelativeDates => false;

    public override Func<Row, bool> Build(SoqlExecutionContext context)
    {
        var accessor = Field;
        var lookup = context.LookupRecord;
        return row => accessor.Get(row, lookup) is string s && matches(s);
    }

    public override SoqlBound? ImpliedBound(string field, bool lower) => null;

    /// <summary>
    /// Translates the raw text of a SOQL string literal (escapes intact) into a case-insensitive matcher:
    /// plain string operations for the common shapes (abc, abc%, %abc, %abc%), an anchored regex otherwise.
    /// </summary>
    public static Func<string, bool> Translate(string soql, SoqlToken token)
    {
        var raw = token.Text;
        var regex = new StringBuilder("^");
        var literal = new StringBuilder();
        var segments = new List<string>();
        var hasSingleWildcard = false;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            switch (c)
            {
                case '%':
                    regex.Append(".*");
                    segments.Add(literal.ToString());
                    literal.Clear();
                    break;
                case '_':
                    regex.Append('.');
                    hasSingleWildcard = true;
                    break;
                case '\\':
                    var decoded = SoqlLexer.DecodeEscape(soql, token, raw, ref i);
                    regex.Append(Regex.Escape(decoded));
                    literal.Append(decoded);
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    literal.Append(c);
                    break;
            }
        }

        segments.Add(literal.ToString());
        regex.Append('$');
        if (!hasSingleWildcard)
        {
            const StringComparison ignoreCase = StringComparison.OrdinalIgnoreCase;
            switch (segments.Count)
            {
                case 1:
                    var whole = segments[0];
                    return s => string.Equals(s, whole, ignoreCase);
                case 2 when segments[0].Length == 0:
                    var suffix = segments[1];
                    return s => s.EndsWith(suffix, ignoreCase);
                case 2 when segments[1].Length == 0:
                    var prefix = segments[0];
                    return s => s.StartsWith(prefix, ignoreCase);
                case 3 when segments[0].Length == 0 && segments[2].Length == 0:
                    var infix = segments[1];
                    return s => s.Contains(infix, ignoreCase);
            }
        }

        var compiled = new Regex(regex.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
        return compiled.IsMatch;
    }
}
