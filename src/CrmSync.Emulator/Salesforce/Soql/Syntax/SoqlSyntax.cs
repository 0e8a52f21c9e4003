namespace CrmSync.Emulator.Salesforce.Soql.Syntax;

/// <summary>A parsed SOQL query before it is checked against a schema.</summary>
internal sealed record SoqlQuerySyntax(
    IReadOnlyList<SoqlSelectItemSyntax> Select,
    SoqlPathSyntax From,
    SoqlConditionSyntax? Where,
    IReadOnlyList<SoqlOrderItemSyntax> OrderBy,
    int? Limit,
    int? Offset,
    int OffsetValueOffset);

/// <summary>A field name or dotted relationship path, with the text offset of each segment.</summary>
internal sealed record SoqlPathSyntax(IReadOnlyList<string> Segments, IReadOnlyList<int> SegmentOffsets)
{
    public int Offset => SegmentOffsets[0];

    public string Text => string.Join('.', Segments);
}

/// <summary>One item of the SELECT list.</summary>
internal abstract record SoqlSelectItemSyntax(int Offset);

/// <summary>A field or relationship path in SELECT.</summary>
internal sealed record SoqlFieldSelectSyntax(SoqlPathSyntax Path) : SoqlSelectItemSyntax(Path.Offset);

/// <summary><c>COUNT()</c> (no argument) or <c>COUNT(field) [alias]</c>.</summary>
internal sealed record SoqlCountSelectSyntax(SoqlPathSyntax? Argument, string? Alias, int CountOffset) : SoqlSelectItemSyntax(CountOffset);

/// <summary>A WHERE condition.</summary>
internal abstract record SoqlConditionSyntax;

/// <summary><c>a AND b AND …</c>.</summary>
internal sealed record SoqlAndSyntax(IReadOnlyList<SoqlConditionSyntax> Operands) : SoqlConditionSyntax;

/// <summary><c>a OR b OR …</c>.</summary>
internal sealed record SoqlOrSyntax(IReadOnlyList<SoqlConditionSyntax> Operands) : SoqlConditionSyntax;

/// <summary><c>NOT a</c>.</summary>
internal sealed record SoqlNotSyntax(SoqlConditionSyntax Operand) : SoqlConditionSyntax;

/// <summary><c>field op value</c> with one of = != &lt;&gt; &lt; &lt;= &gt; &gt;=.</summary>
internal sealed record SoqlComparisonSyntax(SoqlPathSyntax Field, SoqlComparisonOperator Operator, SoqlLiteralSyntax Value) : SoqlConditionSyntax;

/// <summary><c>field [NOT] IN (v1, v2, …)</c>.</summary>
internal sealed record SoqlInSyntax(SoqlPathSyntax Field, bool Negated, IReadOnlyList<SoqlLiteralSyntax> Values) : SoqlConditionSyntax;

/// <summary><c>field LIKE 'pattern'</c>.</summary>
internal sealed record SoqlLikeSyntax(SoqlPathSyntax Field, SoqlLiteralSyntax Pattern) : SoqlConditionSyntax;

/// <summary>A comparison operator.</summary>
internal enum SoqlComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>What kind of literal a <see cref="SoqlLiteralSyntax"/> is.</summary>
internal enum SoqlLiteralKind
{
    String,
    Number,
    Boolean,
    Null,
    Date,
    DateTime,
    RelativeDate,
}

/// <summary>
/// A literal. <see cref="Value"/> is a decoded string, a decimal, a bool, null, a <see cref="DateOnly"/>,
/// a UTC <see cref="DateTime"/> or a <see cref="SoqlRelativeDate"/>. <see cref="Token"/> keeps the raw text
/// (LIKE reads escaped wildcards from it) and the position for error messages.
/// </summary>
internal sealed record SoqlLiteralSyntax(SoqlLiteralKind Kind, object? Value, SoqlToken Token);

/// <summary>One ORDER BY key. <see cref="NullsFirst"/> is null when the query leaves it to the default.</summary>
internal sealed record SoqlOrderItemSyntax(SoqlPathSyntax Field, bool Descending, bool? NullsFirst);
