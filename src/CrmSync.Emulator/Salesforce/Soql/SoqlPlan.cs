using CrmSync.Emulator.Salesforce.Soql.Binding;
using CrmSync.Emulator.Salesforce.Soql.Evaluation;
using CrmSync.Emulator.Salesforce.Soql.Syntax;

namespace CrmSync.Emulator.Salesforce.Soql;

using Row = IReadOnlyDictionary<string, object?>;

/// <summary>
/// A compiled SOQL query: parsed, checked against the schema and ready to run over rows many times
/// (thread-safe; cache it per query text and schema version). Rows are dictionaries keyed by the schema's
/// canonical field names holding string, bool, long/int, decimal/double, DateTime (UTC) or DateTimeOffset
/// for datetimes, DateOnly for dates, or null.
/// </summary>
public sealed class SoqlPlan
{
    private readonly SoqlBoundQuery _query;
    private readonly Func<Row, bool>? _staticPredicate;

    private SoqlPlan(string soql, SoqlBoundQuery query)
    {
        Soql = soql;
        _query = query;
        SelectedPaths = query.Select.Select(s => s.OutputName).ToArray();
        IsAggregate = query.Select.Any(s => s is SoqlBoundCountSelect);
        OrderBy = query.OrderBy.Select(k => new SoqlOrderKey(k.Accessor.Path, k.Descending, k.NullsFirst)).ToArray();
        UsesRelationships = query.Select.OfType<SoqlBoundFieldSelect>().Any(s => !s.Accessor.IsDirect)
            || query.OrderBy.Any(k => !k.Accessor.IsDirect)
            || (query.Where is not null && ConditionUsesRelationships(query.Where));
        if (query.Where is { UsesRelativeDates: false, } where && !UsesRelationships)
        {
            // No dependence on the run: build the closure once.
            _staticPredicate = where.Build(new SoqlExecutionContext(DateTimeOffset.UnixEpoch));
        }
    }

    /// <summary>The query text as given.</summary>
    public string Soql { get; }

    /// <summary>The canonical name of the FROM object.</summary>
    public string ObjectName => _query.From.Name;

    /// <summary>True for <c>SELECT COUNT() FROM …</c>: the answer is only <c>totalSize</c>, with no records.</summary>
    public bool IsCount => _query.IsCount;

    /// <summary>True for <c>SELECT COUNT(field) … FROM …</c>: one <c>AggregateResult</c> record with exprN/alias values.</summary>
    public bool IsAggregate { get; }

    /// <summary>
    /// The selected columns in order, canonical: <c>Id</c>, <c>Owner.Name</c>, or the alias / <c>expr0</c> of
    /// an aggregate (the Bulk API 2.0 CSV header); empty for COUNT().
    /// </summary>
    public IReadOnlyList<string> SelectedPaths { get; }

    /// <summary>The ORDER BY keys with null placement resolved (ASC NULLS FIRST, DESC NULLS LAST by default).</summary>
    public IReadOnlyList<SoqlOrderKey> OrderBy { get; }

    /// <summary>LIMIT, when given.</summary>
    public int? Limit => _query.Limit;

    /// <summary>OFFSET, when given (at most 2000).</summary>
    public int? Offset => _query.Offset;

    /// <summary>True when there is a WHERE clause.</summary>
    public bool HasWhere => _query.Where is not null;

    /// <summary>True when the WHERE is one comparison or an AND of conditions (no top-level OR or NOT).</summary>
    public bool WhereIsConjunction => _query.Where is SoqlAndCondition or SoqlComparisonCondition or SoqlInCondition or SoqlLikeCondition;

    /// <summary>True when the query uses TODAY, LAST_N_DAYS:n and the like, so results depend on <see cref="SoqlExecutionContext.Now"/>.</summary>
    public bool UsesRelativeDates => _query.Where?.UsesRelativeDates ?? false;

    /// <summary>True when a relationship path (Owner.Name) is used anywhere, so runs need <see cref="SoqlExecutionContext.LookupRecord"/>.</summary>
    public bool UsesRelationships { get; }

    /// <summary>The canonical fields of the FROM object the query reads (selected, filtered, sorted, foreign keys of paths, and Id).</summary>
    public IReadOnlyCollection<string> ReferencedFields => _query.ReferencedFields;

    /// <summary>Parses and binds a query.</summary>
    /// <exception cref="SoqlException">The query is malformed or does not fit the schema (Salesforce's code and message).</exception>
    public static SoqlPlan Compile(string soql, ISoqlSchema schema)
    {
        ArgumentNullException.ThrowIfNull(soql);
        ArgumentNullException.ThrowIfNull(schema);
        var syntax = SoqlParser.Parse(soql);
        return new SoqlPlan(soql, SoqlBinder.Bind(soql, syntax, schema));
    }

    /// <summary>
    /// The lower bound on a direct field of the FROM object implied by the WHERE, for range scans
    /// (<c>SystemModstamp &gt; X</c>, <c>SystemModstamp &gt;= a AND SystemModstamp &lt; b</c>, and the keyset form
    /// <c>(SystemModstamp &gt; X) OR (SystemModstamp = X AND Id &gt; 'y')</c>, which implies <c>&gt;= X</c>).
    /// Relative dates are not reported. The predicate must still be applied to the rows scanned.
    /// </summary>
    public bool TryGetLowerBound(string field, out SoqlBound bound) => TryGetBound(field, lower: true, out bound);

    /// <summary>The upper bound on a direct field implied by the WHERE; see <see cref="TryGetLowerBound"/>.</summary>
    public bool TryGetUpperBound(string field, out SoqlBound bound) => TryGetBound(field, lower: false, out bound);

    /// <summary>The WHERE as a predicate over rows (always true without WHERE). Build once per run, call per row.</summary>
    public Func<Row, bool> CreatePredicate(SoqlExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _staticPredicate ?? _query.Where?.Build(context) ?? (_ => true);
    }

    /// <summary>
    /// The ORDER BY as a comparer (0 for rows that tie, and for every pair without ORDER BY). Use it with a
    /// stable sort (LINQ OrderBy, or a tiebreak on arrival order) to match Salesforce's result order.
    /// </summary>
    public IComparer<Row> CreateComparer(SoqlExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keys = _query.OrderBy.ToArray();
        var lookup = context.LookupRecord;
        return Comparer<Row>.Create((x, y) =>
        {
            foreach (var key in keys)
            {
                var cmp = CompareKey(key.Accessor.Get(x, lookup), key.Accessor.Get(y, lookup), key);
                if (cmp != 0)
                {
                    return cmp;
                }
            }

            return 0;
        });
    }

    /// <summary>True when every selected column is a field of the FROM object itself (no parent path, no aggregate): <see cref="ProjectValues"/> applies.</summary>
    public bool IsFlat => !IsAggregate && !IsCount && _query.Projection.IsFlat && _query.Projection.Count == SelectedPaths.Count;

    /// <summary>The values <see cref="Project"/> gives of a row of a flat query (<see cref="IsFlat"/>), in SELECT order, without a record per row.</summary>
    public void ProjectValues(Row row, Span<object?> values)
    {
        ArgumentNullException.ThrowIfNull(row);
        _query.Projection.ProjectValues(row, values);
    }

    /// <summary>Projects one row of the FROM object to the selected fields (not for COUNT queries).</summary>
    public SoqlRecord Project(Row row, SoqlExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(context);
        return _query.Projection.Project(row, context.LookupRecord);
    }

    /// <summary>
    /// Applies WHERE, ORDER BY (stable), OFFSET and LIMIT to the rows of the FROM object and returns the rows
    /// themselves, unprojected, so a server can keep them and project page by page with <see cref="Project"/>.
    /// For <c>SELECT COUNT()</c> the number of rows returned is the count. Not for COUNT(field) queries
    /// (<see cref="IsAggregate"/>): use <see cref="Execute"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The plan is an aggregate query.</exception>
    public List<TRow> SelectRows<TRow>(IEnumerable<TRow> rows, SoqlExecutionContext context)
        where TRow : Row
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(context);
        if (IsAggregate)
        {
            throw new InvalidOperationException("COUNT(field) queries produce an aggregate record; use Execute.");
        }

        var predicate = HasWhere ? CreatePredicate(context) : null;
        var matched = new List<TRow>();
        foreach (var row in rows)
        {
            if (predicate is null || predicate(row))
            {
                matched.Add(row);
            }
        }

        if (_query.OrderBy.Count > 0 && !IsCount)
        {
            matched = SoqlRowSorter.Sort(matched, _query.OrderBy, context.LookupRecord);
        }

        var offset = Offset ?? 0;
        var take = (int)Math.Min(Math.Max(0, matched.Count - offset), Limit ?? int.MaxValue);
        return offset == 0 && take == matched.Count ? matched : matched.GetRange(Math.Min(offset, matched.Count), take);
    }

    /// <summary>
    /// Runs the query over all rows of the FROM object (the server decides which rows exist: for /query it leaves
    /// out deleted rows, for /queryAll it passes them too): filters, sorts stably, applies OFFSET and LIMIT,
    /// and projects. Rows keep their input order where ORDER BY ties or is absent.
    /// </summary>
    public SoqlQueryResult Execute(IEnumerable<Row> rows, SoqlExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(context);
        if (IsAggregate)
        {
            var predicate = CreatePredicate(context);
            var aggregate = Aggregate(rows.Where(predicate).ToList(), context.LookupRecord);
            var records = (Offset ?? 0) == 0 && (Limit ?? 1) > 0 ? new[] { aggregate } : [];
            return new SoqlQueryResult(records.Length, records);
        }

        var selected = SelectRows(rows, context);
        if (IsCount)
        {
            return new SoqlQueryResult(selected.Count, []);
        }

        var result = new SoqlRecord[selected.Count];
        for (var k = 0; k < result.Length; k++)
        {
            result[k] = _query.Projection.Project(selected[k], context.LookupRecord);
        }

        return new SoqlQueryResult(result.Length, result);
    }

    /// <inheritdoc />
    public override string ToString() => Soql;

    private static int CompareKey(object? left, object? right, SoqlBoundOrderKey key)
    {
        if (left is null || right is null)
        {
            if (left is null && right is null)
            {
                return 0;
            }

            return (left is null) == key.NullsFirst ? -1 : 1;
        }

        var cmp = SoqlValues.Compare(left, right, key.Accessor.Kind);
        return key.Descending ? -cmp : cmp;
    }

    private static bool ConditionUsesRelationships(SoqlBoundCondition condition) => condition switch
    {
        SoqlAndCondition and => and.Operands.Any(ConditionUsesRelationships),
        SoqlOrCondition or => or.Operands.Any(ConditionUsesRelationships),
        SoqlNotCondition not => ConditionUsesRelationships(not.Operand),
        SoqlComparisonCondition c => !c.Field.IsDirect,
        SoqlInCondition i => !i.Field.IsDirect,
        SoqlLikeCondition l => !l.Field.IsDirect,
        _ => true,
    };

    private bool TryGetBound(string field, bool lower, out SoqlBound bound)
    {
        ArgumentNullException.ThrowIfNull(field);
        bound = null!;
        if (_query.Where?.ImpliedBound(field, lower) is not { } found)
        {
            return false;
        }

        bound = found;
        return true;
    }

    private SoqlRecord Aggregate(IEnumerable<Row> rows, SoqlRecordLookup? lookup)
    {
        var fields = new List<KeyValuePair<string, object?>>();
        foreach (var item in _query.Select.OfType<SoqlBoundCountSelect>())
        {
            long count = 0;
            foreach (var row in rows)
            {
                if (item.Accessor.Get(row, lookup) is not null)
                {
                    count++;
                }
            }

            fields.Add(new KeyValuePair<string, object?>(item.OutputName, count));
        }

        return new SoqlRecord("AggregateResult", null, fields);
    }
}
