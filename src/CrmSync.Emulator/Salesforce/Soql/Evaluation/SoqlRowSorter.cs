using CrmSync.Emulator.Salesforce.Soql.Binding;

namespace CrmSync.Emulator.Salesforce.Soql.Evaluation;

using Row = IReadOnlyDictionary<string, object?>;

/// <summary>
/// Stable multi-key sort for ORDER BY: each key is read and normalized once per row into a typed column,
/// then row indexes are sorted with the arrival index as the final tiebreak.
/// </summary>
internal static class SoqlRowSorter
{
    public static List<TRow> Sort<TRow>(List<TRow> rows, IReadOnlyList<SoqlBoundOrderKey> keys, SoqlRecordLookup? lookup)
        where TRow : Row
    {
        // A leading datetime key (ORDER BY SystemModstamp, the sync order) becomes a plain long per row with
        // direction and null placement folded in; the other keys are compared only on its ties.
        var entries = new SortEntry[rows.Count];
        var rest = keys;
        if (keys.Count > 0 && keys[0].Accessor.Kind == SoqlValueKind.DateTime)
        {
            var key = keys[0];
            var nullKey = key.NullsFirst ? long.MinValue : long.MaxValue;
            for (var r = 0; r < rows.Count; r++)
            {
                var ticks = key.Accessor.Get(rows[r], lookup) is DateTime d ? d.Ticks : (long?)null;
                entries[r] = new SortEntry(ticks is { } t ? (key.Descending ? -t : t) : nullKey, r);
            }

            rest = keys.Skip(1).ToArray();
        }
        else
        {
            for (var r = 0; r < rows.Count; r++)
            {
                entries[r] = new SortEntry(0, r);
            }
        }

        var columns = rest.Select(key => Column(rows, key, lookup)).ToArray();
        entries.AsSpan().Sort(new EntryComparer(columns));
        var sorted = new List<TRow>(rows.Count);
        foreach (var entry in entries)
        {
            sorted.Add(rows[entry.Index]);
        }

        return sorted;
    }

    private readonly record struct SortEntry(long Key, int Index);

    private readonly struct EntryComparer(SortColumn[] columns) : IComparer<SortEntry>
    {
        public int Compare(SortEntry a, SortEntry b)
        {
            var cmp = a.Key.CompareTo(b.Key);
            if (cmp != 0)
            {
                return cmp;
            }

            foreach (var column in columns)
            {
                cmp = column.Compare(a.Index, b.Index);
                if (cmp != 0)
                {
                    return cmp;
                }
            }

            return a.Index.CompareTo(b.Index);
        }
    }

    private static SortColumn Column<TRow>(List<TRow> rows, SoqlBoundOrderKey key, SoqlRecordLookup? lookup)
        where TRow : Row
    {
        var accessor = key.Accessor;
        switch (accessor.Kind)
        {
            case SoqlValueKind.DateTime:
            {
                var ticks = new long?[rows.Count];
                for (var r = 0; r < rows.Count; r++)
                {
                    ticks[r] = accessor.Get(rows[r], lookup) is DateTime d ? d.Ticks : null;
                }

                return new TicksColumn(ticks, key.Descending, key.NullsFirst);
            }

            case SoqlValueKind.Text or SoqlValueKind.Id:
            {
                var values = new string?[rows.Count];
                for (var r = 0; r < rows.Count; r++)
                {
                    values[r] = (string?)accessor.Get(rows[r], lookup);
                }

                var comparison = accessor.Kind == SoqlValueKind.Text ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                return new StringColumn(values, comparison, key.Descending, key.NullsFirst);
            }

            default:
            {
                var values = new object?[rows.Count];
                for (var r = 0; r < rows.Count; r++)
                {
                    values[r] = accessor.Get(rows[r], lookup);
                }

                return new ObjectColumn(values, accessor.Kind, key.Descending, key.NullsFirst);
            }
        }
    }

    private abstract class SortColumn(bool descending, bool nullsFirst)
    {
        public abstract int Compare(int a, int b);

        /// <summary>Orders by presence when at least one side is null; nulls go where the key says, whatever the direction.</summary>
        protected int CompareNulls(bool aIsNull, bool bIsNull)
        {
            if (aIsNull == bIsNull)
            {
                return 0;
            }

            return aIsNull == nullsFirst ? -1 : 1;
        }

        protected int Directed(int cmp) => descending ? -cmp : cmp;
    }

    private sealed class TicksColumn(long?[] values, bool descending, bool nullsFirst) : SortColumn(descending, nullsFirst)
    {
        public override int Compare(int a, int b)
        {
            var (x, y) = (values[a], values[b]);
            return x is { } xv && y is { } yv ? Directed(xv.CompareTo(yv)) : CompareNulls(x is null, y is null);
        }
    }

    private sealed class StringColumn(string?[] values, StringComparison comparison, bool descending, bool nullsFirst) : SortColumn(descending, nullsFirst)
    {
        public override int Compare(int a, int b)
        {
            var (x, y) = (values[a], values[b]);
            return x is not null && y is not null ? Directed(string.Compare(x, y, comparison)) : CompareNulls(x is null, y is null);
        }
    }

    private sealed class ObjectColumn(object?[] values, SoqlValueKind kind, bool descending, bool nullsFirst) : SortColumn(descending, nullsFirst)
    {
        public override int Compare(int a, int b)
        {
            var (x, y) = (values[a], values[b]);
            return x is not null && y is not null ? Directed(SoqlValues.Compare(x, y, kind)) : CompareNulls(x is null, y is null);
        }
    }
}
