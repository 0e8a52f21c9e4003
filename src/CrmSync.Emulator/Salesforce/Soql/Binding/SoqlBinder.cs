using CrmSync.Emulator.Salesforce.Soql.Evaluation;
using CrmSync.Emulator.Salesforce.Soql.Syntax;

namespace CrmSync.Emulator.Salesforce.Soql.Binding;

/// <summary>One item of a bound SELECT list.</summary>
internal abstract record SoqlBoundSelectItem(string OutputName);

/// <summary>A field or relationship path.</summary>
internal sealed record SoqlBoundFieldSelect(SoqlFieldAccessor Accessor) : SoqlBoundSelectItem(Accessor.Path);

/// <summary>COUNT(field) with its output name (alias or exprN).</summary>
internal sealed record SoqlBoundCountSelect(SoqlFieldAccessor Accessor, string OutputName) : SoqlBoundSelectItem(OutputName);

/// <summary>A bound ORDER BY key.</summary>
internal sealed record SoqlBoundOrderKey(SoqlFieldAccessor Accessor, bool Descending, bool NullsFirst);

/// <summary>A query checked against the schema: every name resolved to its canonical form, every literal typed.</summary>
internal sealed record SoqlBoundQuery(
    ISoqlObject From,
    bool IsCount,
    IReadOnlyList<SoqlBoundSelectItem> Select,
    SoqlProjection Projection,
    SoqlBoundCondition? Where,
    IReadOnlyList<SoqlBoundOrderKey> OrderBy,
    int? Limit,
    int? Offset,
    IReadOnlyCollection<string> ReferencedFields);

/// <summary>Checks a parsed query against a schema, with Salesforce's error codes and messages.</summary>
internal sealed class SoqlBinder
{
    /// <summary>Salesforce's largest OFFSET.</summary>
    public const int MaxOffset = 2000;

    private readonly string _soql;
    private readonly ISoqlSchema _schema;
    private readonly ISoqlObject _from;
    private readonly HashSet<string> _referenced = new(StringComparer.OrdinalIgnoreCase);

    private SoqlBinder(string soql, ISoqlSchema schema, ISoqlObject from)
    {
        _soql = soql;
        _schema = schema;
        _from = from;
    }

    public static SoqlBoundQuery Bind(string soql, SoqlQuerySyntax query, ISoqlSchema schema)
    {
        if (!schema.TryGetObject(query.From.Segments[0], out var from))
        {
            throw SoqlErrors.UnknownObject(soql, query.From.Offset, query.From.Segments[0]);
        }

        return new SoqlBinder(soql, schema, from).BindQuery(query);
    }

    private SoqlBoundQuery BindQuery(SoqlQuerySyntax query)
    {
        var isCount = query.Select.Any(s => s is SoqlCountSelectSyntax { Argument: null });
        var isAggregate = query.Select.Any(s => s is SoqlCountSelectSyntax { Argument: not null });
        var projection = new SoqlProjection(_from.Name, IdFieldOf(_from.Name));
        var select = new List<SoqlBoundSelectItem>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var unnamed = 0;
        foreach (var item in query.Select)
        {
            switch (item)
            {
                case SoqlCountSelectSyntax { Argument: null } when query.Select.Count > 1:
                    throw SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, _soql, item.Offset, "COUNT() must be the only element in the SELECT list.");
                case SoqlCountSelectSyntax { Argument: null }:
                    break;
                case SoqlCountSelectSyntax count:
                    var counted = Resolve(count.Argument!);
                    var name = count.Alias ?? $"expr{unnamed++}";
                    if (!seen.Add(name))
                    {
                        throw SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, _soql, item.Offset, $"duplicate alias: {name}");
                    }

                    select.Add(new SoqlBoundCountSelect(counted, name));
                    break;
                case SoqlFieldSelectSyntax field:
                    var accessor = Resolve(field.Path);
                    if (isCount || isAggregate)
                    {
                        throw SoqlErrors.Positioned(
                            SoqlErrorCodes.MalformedQuery,
                            _soql,
                            item.Offset,
                            isCount ? "COUNT() must be the only element in the SELECT list." : $"Field must be grouped or aggregated: {accessor.Field.Name}");
                    }

                    if (!seen.Add(accessor.Path))
                    {
                        throw SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, _soql, item.Offset, $"duplicate field selected: {accessor.Path}");
                    }

                    select.Add(new SoqlBoundFieldSelect(accessor));
                    projection.Add(accessor.Hops, accessor.Field, IdFieldOf);
                    break;
            }
        }

        var where = query.Where is null ? null : BindCondition(query.Where);
        var orderBy = new List<SoqlBoundOrderKey>();
        foreach (var key in query.OrderBy)
        {
            var accessor = Resolve(key.Field);
            if (isAggregate)
            {
                throw SoqlErrors.Positioned(SoqlErrorCodes.MalformedQuery, _soql, key.Field.Offset, $"Ordered field must be grouped or aggregated: {accessor.Field.Name}");
            }

            // Salesforce's defaults: ASC puts nulls first, DESC puts them last.
            orderBy.Add(new SoqlBoundOrderKey(accessor, key.Descending, key.NullsFirst ?? !key.Descending));
        }

        if (query.Offset > MaxOffset)
        {
            throw new SoqlException(SoqlErrorCodes.NumberOutsideValidRange, $"Maximum SOQL offset allowed is {MaxOffset}");
        }

        if (IdFieldOf(_from.Name) is { } idField)
        {
            _referenced.Add(idField);
        }

        return new SoqlBoundQuery(_from, isCount, select, projection, where, orderBy, query.Limit, query.Offset, _referenced.ToArray());
    }

    private string? IdFieldOf(string objectName) =>
        _schema.TryGetObject(objectName, out var obj) && obj.TryGetField("Id", out var id) ? id.Name : null;

    private SoqlFieldAccessor Resolve(SoqlPathSyntax path)
    {
        var segments = path.Segments;
        var start = 0;

        // "Lead.Email" in a query on Lead names the object itself, unless Lead is also a relationship name.
        if (segments.Count > 1 && string.Equals(segments[0], _from.Name, StringComparison.OrdinalIgnoreCase)
            && !_from.TryGetRelationship(segments[0], out _))
        {
            start = 1;
        }

        var current = _from;
        var hops = new List<SoqlRelationshipHop>();
        for (var k = start; k < segments.Count - 1; k++)
        {
            if (!current.TryGetRelationship(segments[k], out var foreignKey)
                || foreignKey.ReferenceTo is null
                || !_schema.TryGetObject(foreignKey.ReferenceTo, out var target))
            {
                throw SoqlErrors.UnknownRelationship(_soql, path.SegmentOffsets[k], segments[k]);
            }

            if (hops.Count == 0)
            {
                _referenced.Add(foreignKey.Name);
            }

            hops.Add(new SoqlRelationshipHop(foreignKey.Name, foreignKey.RelationshipName!, target.Name));
            current = target;
        }

        var last = segments[^1];
        if (!current.TryGetField(last, out var field))
        {
            throw SoqlErrors.NoSuchColumn(_soql, path.SegmentOffsets[^1], last, current.Name);
        }

        if (hops.Count == 0)
        {
            _referenced.Add(field.Name);
        }

        var canonical = string.Join('.', hops.Select(h => h.RelationshipName).Append(field.Name));
        return new SoqlFieldAccessor(hops, field, canonical);
    }

    private SoqlValueKind? DirectKindOf(string field) =>
        _from.TryGetField(field, out var f) ? SoqlValues.KindOf(f.Type) : null;

    private SoqlBoundCondition BindCondition(SoqlConditionSyntax condition)
    {
        switch (condition)
        {
            case SoqlAndSyntax and:
                return new SoqlAndCondition(and.Operands.Select(BindCondition).ToArray(), DirectKindOf);
            case SoqlOrSyntax or:
                return new SoqlOrCondition(or.Operands.Select(BindCondition).ToArray(), DirectKindOf);
            case SoqlNotSyntax not:
                return new SoqlNotCondition(BindCondition(not.Operand));
            case SoqlComparisonSyntax comparison:
            {
                var field = Resolve(comparison.Field);
                return new SoqlComparisonCondition(field, comparison.Operator, BindLiteral(field, comparison.Field, comparison.Value));
            }

            case SoqlInSyntax @in:
            {
                var field = Resolve(@in.Field);
                var values = @in.Values.Select(v => BindLiteral(field, @in.Field, v)).ToArray();
                return new SoqlInCondition(field, @in.Negated, values);
            }

            case SoqlLikeSyntax like:
            {
                var field = Resolve(like.Field);
                if (field.Kind != SoqlValueKind.Text)
                {
                    throw SoqlErrors.Positioned(
                        SoqlErrorCodes.InvalidQueryFilterOperator,
                        _soql,
                        like.Field.Offset,
                        $"invalid operator on {SoqlValues.SalesforceTypeName(field.Field.Type)} field: {field.Field.Name}");
                }

                if (like.Pattern.Kind != SoqlLiteralKind.String)
                {
                    throw WrongLiteralType(field, like.Field, shouldBeQuoted: true);
                }

                return new SoqlLikeCondition(field, SoqlLikeCondition.Translate(_soql, like.Pattern.Token));
            }

            default:
                throw new InvalidOperationException($"Unknown condition {condition.GetType().Name}.");
        }
    }

    /// <summary>The literal in the field's normalized form, or a relative date; Salesforce's errors when the types disagree.</summary>
    private object? BindLiteral(SoqlFieldAccessor field, SoqlPathSyntax path, SoqlLiteralSyntax literal)
    {
        var kind = field.Kind;
        var textual = kind is SoqlValueKind.Text or SoqlValueKind.Id;
        switch (literal.Kind)
        {
            case SoqlLiteralKind.Null:
                return null;
            case SoqlLiteralKind.String when kind == SoqlValueKind.Text:
                return SoqlValues.Normalize(literal.Value, kind, field.Path);
            case SoqlLiteralKind.String when kind == SoqlValueKind.Id:
                var id = (string)literal.Value!;
                if (id.Length == 0)
                {
                    return null;
                }

                if (!SoqlRecordId.IsWellFormed(id))
                {
                    throw SoqlErrors.Positioned(SoqlErrorCodes.InvalidQueryFilterOperator, _soql, path.Offset, $"invalid ID field: {id}");
                }

                return SoqlRecordId.To18(id);
            case SoqlLiteralKind.Number when kind == SoqlValueKind.Number:
            case SoqlLiteralKind.Boolean when kind == SoqlValueKind.Boolean:
            case SoqlLiteralKind.Date when kind == SoqlValueKind.Date:
            case SoqlLiteralKind.DateTime when kind == SoqlValueKind.DateTime:
                return literal.Value;
            case SoqlLiteralKind.RelativeDate when kind is SoqlValueKind.Date or SoqlValueKind.DateTime:
                return literal.Value;
            default:
                throw WrongLiteralType(field, path, shouldBeQuoted: textual);
        }
    }

    private SoqlException WrongLiteralType(SoqlFieldAccessor field, SoqlPathSyntax path, bool shouldBeQuoted) =>
        SoqlErrors.Positioned(
            SoqlErrorCodes.InvalidField,
            _soql,
            path.Offset,
            $"value of filter criterion for field '{field.Field.Name}' must be of type {SoqlValues.SalesforceTypeName(field.Field.Type)} and should {(shouldBeQuoted ? string.Empty : "not ")}be enclosed in quotes");
}
