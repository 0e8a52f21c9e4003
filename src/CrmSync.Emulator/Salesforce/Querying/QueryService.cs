using System.Collections.Concurrent;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;
using CrmSync.Emulator.Salesforce.Soql;

namespace CrmSync.Emulator.Salesforce.Querying;

/// <summary>
/// The result of running a query: the matching record versions (a snapshot: later writes do not change it),
/// projected page by page.
/// </summary>
public sealed class QueryExecution
{
    private readonly IReadOnlyList<RecordView>? _rows;
    private readonly IReadOnlyList<SoqlRecord>? _records;
    private readonly SoqlExecutionContext _context;

    internal QueryExecution(SoqlPlan plan, IReadOnlyList<RecordView>? rows, IReadOnlyList<SoqlRecord>? records, int totalSize, SoqlExecutionContext context, string apiVersion)
    {
        Plan = plan;
        _rows = rows;
        _records = records;
        TotalSize = totalSize;
        _context = context;
        ApiVersion = apiVersion;
    }

    /// <summary>The compiled query.</summary>
    public SoqlPlan Plan { get; }

    /// <summary>totalSize: matching rows, or the COUNT() value.</summary>
    public int TotalSize { get; }

    /// <summary>Number of records that can be read (0 for COUNT()).</summary>
    public int RecordCount => _rows?.Count ?? _records?.Count ?? 0;

    /// <summary>The API version the query was made with (for attribute urls).</summary>
    public string ApiVersion { get; }

    /// <summary>The record at a position, projected to the SELECT list.</summary>
    public SoqlRecord RecordAt(int index) => _rows is not null ? Plan.Project(_rows[index], _context) : _records![index];

    /// <summary>True when <see cref="ValuesAt"/> applies: rows kept unprojected and a flat SELECT list (<see cref="SoqlPlan.IsFlat"/>).</summary>
    public bool HasFlatValues => _rows is not null && Plan.IsFlat;

    /// <summary>The values of the record at a position, in SELECT order (<see cref="HasFlatValues"/>): those of <see cref="RecordAt"/>, without a record.</summary>
    public void ValuesAt(int index, Span<object?> values) => Plan.ProjectValues(_rows![index], values);
}

/// <summary>Compiles SOQL (cached per text, user visibility and schema version), runs it over store snapshots and keeps query cursors.</summary>
public sealed class QueryService
{
    private const int MaxCursors = 500;
    private readonly SalesforceStore _store;
    private readonly ConcurrentDictionary<(string, bool, long), SoqlPlan> _plans = new();
    private readonly ConcurrentDictionary<string, (QueryExecution Execution, DateTimeOffset Opened)> _cursors = new(StringComparer.Ordinal);
    private long _cursorSequence;

    /// <summary>Creates the service.</summary>
    public QueryService(SalesforceStore store) => _store = store;

    /// <summary>How long an unused cursor stays valid.</summary>
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Compiles a query for a user.</summary>
    /// <exception cref="SoqlException">Malformed query or unknown object/field.</exception>
    public SoqlPlan Compile(string soql, bool restricted)
    {
        var key = (soql, restricted, _store.SchemaVersion);
        if (_plans.TryGetValue(key, out var plan))
        {
            return plan;
        }
        plan = SoqlPlan.Compile(soql, new SoqlSchemaAdapter(_store, restricted));
        if (_plans.Count > 2000)
        {
            _plans.Clear();
        }
        _plans[key] = plan;
        return plan;
    }

    /// <summary>The execution context (clock and relationship lookups).</summary>
    public SoqlExecutionContext CreateContext() => new(_store.Clock.GetUtcNow(), Lookup);

    private IReadOnlyDictionary<string, object?>? Lookup(string objectName, string id)
    {
        if (!SalesforceId.TryNormalize(id, out var normalized) || _store.DefinitionForId(normalized) is not { } definition)
        {
            return null;
        }
        var record = _store.Find(definition, normalized);
        return record is null || SalesforceStore.IsDeleted(definition, record) ? null : _store.View(definition, record);
    }

    /// <summary>
    /// The rows of <paramref name="snapshot"/> that are live (unless <paramref name="isDeleted"/> is null) and pass
    /// <paramref name="predicate"/>, as record views. Compiled optimized at once: a bulk job runs it over every row of the
    /// object before its first result is served.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static List<RecordView> Matching(StoredRecord[] snapshot, SObjectDefinition definition, FieldSet fields, DateOnly today,
        FieldDefinition? isDeleted, Func<IReadOnlyDictionary<string, object?>, bool> predicate)
    {
        var matched = new List<RecordView>();
        foreach (var record in snapshot)
        {
            if (isDeleted is not null && record.Get(isDeleted) is true)
            {
                continue;
            }
            var row = new RecordView(definition, fields, record, today);
            if (predicate(row))
            {
                matched.Add(row);
            }
        }
        return matched;
    }

    /// <summary>The records of <paramref name="snapshot"/> that are live (all of them when <paramref name="isDeleted"/> is null): the snapshot itself when none is deleted.</summary>
    private static IReadOnlyList<StoredRecord> Live(StoredRecord[] snapshot, FieldDefinition? isDeleted)
    {
        if (isDeleted is null)
        {
            return snapshot;
        }
        int deleted = 0;
        foreach (var record in snapshot)
        {
            if (record.Get(isDeleted) is true)
            {
                deleted++;
            }
        }
        if (deleted == 0)
        {
            return snapshot;
        }
        var live = new List<StoredRecord>(snapshot.Length - deleted);
        foreach (var record in snapshot)
        {
            if (record.Get(isDeleted) is not true)
            {
                live.Add(record);
            }
        }
        return live;
    }

    /// <summary>A window of records read as views, each made when it is read (views are immutable: a new one reads the same).</summary>
    private sealed class RecordViews(SObjectDefinition definition, FieldSet fields, DateOnly today, IReadOnlyList<StoredRecord> records, int offset, int count)
        : IReadOnlyList<RecordView>
    {
        public int Count => count;

        public RecordView this[int index] => (uint)index < (uint)count
            ? new RecordView(definition, fields, records[offset + index], today)
            : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<RecordView> GetEnumerator()
        {
            for (int i = 0; i < count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Runs a compiled query over a snapshot; <paramref name="includeDeleted"/> for queryAll.</summary>
    public QueryExecution Execute(SoqlPlan plan, bool includeDeleted, string apiVersion)
    {
        var definition = _store.Definition(plan.ObjectName) ?? throw new SoqlException(SoqlErrorCodes.InvalidType, $"sObject type '{plan.ObjectName}' is not supported.");
        var context = CreateContext();
        var snapshot = _store.Snapshot(definition);
        var fields = definition.FieldSet;
        var today = _store.Today;
        var isDeleted = fields.Find("IsDeleted");
        IEnumerable<RecordView> rows = snapshot
            .Where(r => includeDeleted || isDeleted is null || r.Get(isDeleted) is not true)
            .Select(r => new RecordView(definition, fields, r, today));
        if (plan.IsAggregate)
        {
            var result = plan.Execute(rows, context);
            return new QueryExecution(plan, null, result.Records, result.TotalSize, context, apiVersion);
        }
        var predicate = plan.CreatePredicate(context);
        if (!plan.IsCount && TryModstampRangeScan(plan, definition, fields, today, includeDeleted, predicate, context, apiVersion) is { } scanned)
        {
            return scanned;
        }
        int offset = plan.Offset ?? 0;
        int limit = plan.Limit ?? int.MaxValue;
        if (!plan.HasWhere && plan.OrderBy.Count == 0)
        {
            // Every live row, in store order (a COUNT(), a bulk job's whole object): counted or windowed without a view per
            // row; the views are made as the rows are read.
            var live = Live(snapshot, includeDeleted ? null : isDeleted);
            int size = (int)Math.Min(Math.Max(0, live.Count - offset), limit);
            return plan.IsCount
                ? new QueryExecution(plan, [], null, size, context, apiVersion)
                : new QueryExecution(plan, new RecordViews(definition, fields, today, live, Math.Min(offset, live.Count), size), null, size, context, apiVersion);
        }
        var matched = Matching(snapshot, definition, fields, today, includeDeleted ? null : isDeleted, predicate);
        if (plan.IsCount)
        {
            int count = (int)Math.Min(Math.Max(0, matched.Count - offset), limit);
            return new QueryExecution(plan, [], null, count, context, apiVersion);
        }
        if (plan.OrderBy.Count > 0)
        {
            var comparer = plan.CreateComparer(context);
            long wanted = (long)offset + limit;
            matched = wanted < matched.Count / 4
                ? TopK(matched, comparer, (int)wanted)
                : StableSort(matched, comparer);
            if (wanted < int.MaxValue && matched.Count > wanted)
            {
                matched = matched.GetRange(0, (int)wanted);
            }
        }
        int take = (int)Math.Min(Math.Max(0, matched.Count - offset), limit);
        var window = offset == 0 && take == matched.Count ? matched : matched.GetRange(Math.Min(offset, matched.Count), take);
        return new QueryExecution(plan, window, null, take, context, apiVersion);
    }

    /// <summary>
    /// The sync-client pattern <c>WHERE SystemModstamp &gt;= X … ORDER BY SystemModstamp[, …] LIMIT n</c> on a large
    /// table: walk the SystemModstamp-ordered index from the bound, stop once n rows (plus rows tied with the n-th
    /// stamp) matched, then apply the full ORDER BY to that small set. Same result as the full scan.
    /// </summary>
    private QueryExecution? TryModstampRangeScan(SoqlPlan plan, Schema.SObjectDefinition definition, Schema.FieldSet fields, DateOnly today, bool includeDeleted,
        Func<IReadOnlyDictionary<string, object?>, bool> predicate, SoqlExecutionContext context, string apiVersion)
    {
        if (plan.Limit is not { } limit || plan.OrderBy.Count == 0 || plan.UsesRelationships
            || !string.Equals(plan.OrderBy[0].Path, "SystemModstamp", StringComparison.OrdinalIgnoreCase) || plan.OrderBy[0].Descending)
        {
            return null;
        }
        long wanted = (long)(plan.Offset ?? 0) + limit;
        var (ticks, rows) = _store.ModstampIndex(definition);
        if (wanted >= rows.Length / 4)
        {
            return null;
        }
        int start = 0;
        if (plan.TryGetLowerBound("SystemModstamp", out var bound) && bound.Value is DateTime lower)
        {
            int lo = 0, hi = ticks.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (ticks[mid] < lower.Ticks)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            start = lo;
        }
        var isDeleted = fields.Find("IsDeleted");
        var matched = new List<RecordView>();
        long boundaryTicks = long.MaxValue;
        for (int i = start; i < rows.Length; i++)
        {
            if (matched.Count >= wanted && ticks[i] > boundaryTicks)
            {
                break;
            }
            var record = rows[i];
            if (!includeDeleted && isDeleted is not null && record.Get(isDeleted) is true)
            {
                continue;
            }
            var view = new RecordView(definition, fields, record, today);
            if (!predicate(view))
            {
                continue;
            }
            matched.Add(view);
            if (matched.Count == wanted)
            {
                boundaryTicks = ticks[i];
            }
        }
        // Restore id (arrival) order before the stable ORDER BY sort, as the full scan sees rows.
        matched.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var ordered = StableSort(matched, plan.CreateComparer(context));
        int offset = plan.Offset ?? 0;
        int take = (int)Math.Min(Math.Max(0, ordered.Count - offset), limit);
        return new QueryExecution(plan, ordered.GetRange(Math.Min(offset, ordered.Count), take), null, take, context, apiVersion);
    }

    private static List<RecordView> StableSort(List<RecordView> rows, IComparer<IReadOnlyDictionary<string, object?>> comparer)
    {
        var indexed = rows.Select((row, index) => (row, index)).ToArray();
        Array.Sort(indexed, (a, b) =>
        {
            int cmp = comparer.Compare(a.row, b.row);
            return cmp != 0 ? cmp : a.index.CompareTo(b.index);
        });
        return indexed.Select(p => p.row).ToList();
    }

    /// <summary>The first <paramref name="k"/> rows in ORDER BY order (ties by arrival), without sorting every match.</summary>
    private static List<RecordView> TopK(List<RecordView> rows, IComparer<IReadOnlyDictionary<string, object?>> comparer, int k)
    {
        if (k <= 0)
        {
            return [];
        }
        int Compare((RecordView Row, int Index) a, (RecordView Row, int Index) b)
        {
            int cmp = comparer.Compare(a.Row, b.Row);
            return cmp != 0 ? cmp : a.Index.CompareTo(b.Index);
        }
        // Max-heap of the best k so far: the root is the worst kept row.
        var heap = new PriorityQueue<(RecordView Row, int Index), (RecordView Row, int Index)>(k + 1, Comparer<(RecordView Row, int Index)>.Create((a, b) => Compare(b, a)));
        for (int i = 0; i < rows.Count; i++)
        {
            var item = (rows[i], i);
            if (heap.Count < k)
            {
                heap.Enqueue(item, item);
            }
            else if (Compare(item, heap.Peek()) < 0)
            {
                heap.EnqueueDequeue(item, item);
            }
        }
        var kept = new List<(RecordView Row, int Index)>(heap.Count);
        while (heap.Count > 0)
        {
            kept.Add(heap.Dequeue());
        }
        kept.Sort(Compare);
        return kept.Select(p => p.Row).ToList();
    }

    /// <summary>Keeps an execution for later pages; returns the cursor id (an 18-character 01g id).</summary>
    public string OpenCursor(QueryExecution execution)
    {
        PurgeCursors();
        string id = SalesforceId.Create("01g", Interlocked.Increment(ref _cursorSequence));
        _cursors[id] = (execution, _store.Clock.GetUtcNow());
        return id;
    }

    /// <summary>Finds a cursor (and refreshes its lifetime).</summary>
    public QueryExecution? FindCursor(string id)
    {
        if (_cursors.TryGetValue(id, out var entry) && _store.Clock.GetUtcNow() - entry.Opened <= CursorLifetime)
        {
            _cursors[id] = (entry.Execution, _store.Clock.GetUtcNow());
            return entry.Execution;
        }
        _cursors.TryRemove(id, out _);
        return null;
    }

    private void PurgeCursors()
    {
        var now = _store.Clock.GetUtcNow();
        foreach (var (id, entry) in _cursors)
        {
            if (now - entry.Opened > CursorLifetime)
            {
                _cursors.TryRemove(id, out _);
            }
        }
        if (_cursors.Count >= MaxCursors)
        {
            foreach (var oldest in _cursors.OrderBy(c => c.Value.Opened).Take(_cursors.Count - MaxCursors + 1).ToList())
            {
                _cursors.TryRemove(oldest.Key, out _);
            }
        }
    }
}
