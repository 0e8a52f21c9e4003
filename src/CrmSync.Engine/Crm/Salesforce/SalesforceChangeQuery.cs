namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// The one query shape for incremental and paged reads:
/// <c>SELECT … FROM X WHERE SystemModstamp &gt;= {watermark − overlap} ORDER BY SystemModstamp, Id LIMIT n</c>, continued with the keyset
/// <c>(SystemModstamp &gt; s) OR (SystemModstamp = s AND Id &gt; id)</c>, so equal stamps across a page boundary are neither lost nor repeated.
/// </summary>
public static class SalesforceChangeQuery
{
    /// <summary>The fields actually selected: the requested ones plus Id, the stamp and (with deletions) IsDeleted and MasterRecordId.</summary>
    public static IReadOnlyList<string> Fields(CrmObjectSchema schema, IEnumerable<string> requested, bool includeDeleted)
    {
        var list = new List<string> { schema.PrimaryIdField };
        if (schema.ModificationStampField is { } stamp) list.Add(stamp);
        if (includeDeleted && schema.DeletedFlagField is { } del) list.Add(del);
        if (includeDeleted && schema.MergedIntoField is { } merged) list.Add(merged);
        foreach (var f in requested)
            if (!list.Contains(f, StringComparer.OrdinalIgnoreCase)) list.Add(f);
        return list;
    }

    /// <summary>True when the read goes to queryAll (deleted rows included).</summary>
    public static bool UsesQueryAll(CrmObjectSchema schema, bool includeDeleted) => includeDeleted && schema.DeletedFlagField is not null;

    /// <summary>
    /// Builds the SOQL. <paramref name="from"/> (inclusive lower bound, already minus the overlap) applies to the first page;
    /// <paramref name="after"/> (strict keyset) to the following ones. Neither: from the beginning.
    /// </summary>
    public static string Build(CrmObjectSchema schema, IEnumerable<string> requested, DateTimeOffset? from, (DateTimeOffset? Stamp, string? Id)? after,
        int limit, bool includeDeleted) => Builder(schema, requested, from, after, includeDeleted).Limit(limit).Build();

    /// <summary>The same query without a LIMIT, for a bulk job (which pages its results itself).</summary>
    public static string BuildUnlimited(CrmObjectSchema schema, IEnumerable<string> requested, DateTimeOffset? from, bool includeDeleted) =>
        Builder(schema, requested, from, null, includeDeleted).Build();

    /// <summary><c>SELECT COUNT()</c> of the records the first page of <see cref="Build"/> would start from.</summary>
    public static string BuildCount(CrmObjectSchema schema, DateTimeOffset? from)
    {
        var builder = SoqlBuilder.From(schema).SelectCount();
        if (schema.ModificationStampField is { } stamp && from is { } f)
            builder.Where(SoqlCondition.Compare(stamp, SoqlOperator.GreaterOrEqual, f));
        return builder.Build();
    }

    private static SoqlBuilder Builder(CrmObjectSchema schema, IEnumerable<string> requested, DateTimeOffset? from, (DateTimeOffset? Stamp, string? Id)? after,
        bool includeDeleted)
    {
        var builder = SoqlBuilder.From(schema).Select(Fields(schema, requested, includeDeleted));
        var id = schema.PrimaryIdField;
        if (schema.ModificationStampField is { } stamp)
        {
            if (after is { Stamp: { } s } a)
            {
                builder.Where(a.Id is null
                    ? SoqlCondition.Compare(stamp, SoqlOperator.GreaterThan, s)
                    : SoqlCondition.Or(
                        SoqlCondition.Compare(stamp, SoqlOperator.GreaterThan, s),
                        SoqlCondition.And(SoqlCondition.Compare(stamp, SoqlOperator.Equal, s), SoqlCondition.Compare(id, SoqlOperator.GreaterThan, a.Id))));
            }
            else if (from is { } f)
            {
                builder.Where(SoqlCondition.Compare(stamp, SoqlOperator.GreaterOrEqual, f));
            }
            builder.OrderBy(stamp, id);
        }
        else
        {
            if (after is { Id: { } lastId }) builder.Where(SoqlCondition.Compare(id, SoqlOperator.GreaterThan, lastId));
            builder.OrderBy(id);
        }
        return builder;
    }
}
