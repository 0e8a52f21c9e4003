using System.Globalization;
using System.Runtime.CompilerServices;
using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>
/// An in-memory CRM for sync tests: records per object ordered by (stamp, id) like Salesforce's keyset queries, an overlap
/// window on incremental reads, deleted rows through IncludeDeleted (queryAll), a delete log, and a count of every call
/// (a page, a batch of up to 25 objects, a delete-log read, a count) so tests can check the API cost of a cycle.
/// </summary>
internal sealed class FakeChangeSource : ICrmChangeSource
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, CrmRecord>> _objects = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<CrmDeletedRecord>> _deleteLog = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _nextStamp = new(2026, 10, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Every call, in order ("ReadAll Lead", "Batch 3", "ReadChanges Lead", "Deleted Lead", "Count Lead").</summary>
    public List<string> CallLog { get; } = [];
    public int Calls { get { lock (_gate) return CallLog.Count; } }
    /// <summary>The resume cursors full reads were started with.</summary>
    public List<string?> FullReadResumeCursors { get; } = [];
    /// <summary>The fields requested by the last read of each object.</summary>
    public Dictionary<string, IReadOnlyList<string>> LastRequestedFields { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Throws <see cref="FailWith"/> when this many pages have been served (then resets).</summary>
    public int? FailAfterPages { get; set; }
    public Exception FailWith { get; set; } = new CrmSyncException(ErrorIds.CrmUnreachable, ErrorKind.ConnectionError,
        "The CRM could not be reached (injected).", "Check the network.");
    public int PagesServed { get; private set; }
    /// <summary>Objects whose query fails inside a batched read (the other objects of the batch still answer).</summary>
    public Dictionary<string, CrmSyncException> BatchErrors { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Called before each page is handed out (tests move the clock or cancel here).</summary>
    public Action<CrmRecordPage>? BeforePage { get; set; }

    /// <summary>A new stamp one second after the previous one.</summary>
    public DateTimeOffset NextStamp()
    {
        lock (_gate)
        {
            _nextStamp = _nextStamp.AddSeconds(1);
            return _nextStamp;
        }
    }

    /// <summary>Adds or replaces a record; the stamp defaults to <see cref="NextStamp"/>.</summary>
    public CrmRecord Put(string objectName, string id, IReadOnlyDictionary<string, object?> values, DateTimeOffset? stamp = null,
        bool deleted = false, string? mergedInto = null, string? convertedFrom = null, bool bySyncUser = false, string? convertedInto = null)
    {
        var at = stamp ?? NextStamp();
        var all = new Dictionary<string, object?>(values, StringComparer.OrdinalIgnoreCase)
        {
            ["Id"] = id,
            ["SystemModstamp"] = at,
            ["IsDeleted"] = deleted,
        };
        if (mergedInto is not null) all["MasterRecordId"] = mergedInto;
        var record = new CrmRecord(objectName, id, at, deleted, mergedInto, all)
        {
            // as the Salesforce adapter fills it
            ConvertedIntoId = convertedInto ?? (all.GetValueOrDefault("IsConverted") is true && all.GetValueOrDefault("ConvertedContactId") is string { Length: > 0 } contact ? contact : null),
            ConvertedFromId = convertedFrom, // as the Dataverse adapter fills it from originatingleadid
            ModifiedBySyncUser = bySyncUser,
        };
        lock (_gate)
        {
            if (!_objects.TryGetValue(objectName, out var records))
                _objects[objectName] = records = new Dictionary<string, CrmRecord>(StringComparer.Ordinal);
            records[id] = record;
        }
        return record;
    }

    /// <summary>Changes values without moving the stamp (as formula fields do).</summary>
    public void SetWithoutStamp(string objectName, string id, string field, object? value)
    {
        lock (_gate)
        {
            var record = _objects[objectName][id];
            var values = new Dictionary<string, object?>(record.Values, StringComparer.OrdinalIgnoreCase) { [field] = value };
            _objects[objectName][id] = record with { Values = values };
        }
    }

    public CrmRecord Get(string objectName, string id)
    {
        lock (_gate) return _objects[objectName][id];
    }

    /// <summary>Deletes a record (queryAll shows it with IsDeleted; the delete log lists it).</summary>
    public void Delete(string objectName, string id, string? mergedInto = null, DateTimeOffset? stamp = null)
    {
        var old = Get(objectName, id);
        var record = Put(objectName, id, old.Values.Where(p => p.Key is not ("Id" or "SystemModstamp" or "IsDeleted" or "MasterRecordId"))
            .ToDictionary(p => p.Key, p => p.Value), stamp, deleted: true, mergedInto);
        LogDeletion(objectName, id, record.ModifiedAt!.Value);
    }

    /// <summary>Adds an entry to the delete log only (a record hard-deleted between cycles: queryAll no longer shows it).</summary>
    public void LogDeletion(string objectName, string id, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (!_deleteLog.TryGetValue(objectName, out var log))
                _deleteLog[objectName] = log = [];
            log.Add(new CrmDeletedRecord(id, at));
        }
    }

    /// <summary>Removes a record entirely (purged).</summary>
    public void Purge(string objectName, string id)
    {
        lock (_gate) _objects[objectName].Remove(id);
    }

    public async IAsyncEnumerable<CrmRecordPage> ReadAllAsync(CrmFullReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        lock (_gate) FullReadResumeCursors.Add(request.ResumeCursor);
        var after = request.ResumeCursor is null ? ((DateTimeOffset?, string?)?)null : Parse(request.ResumeCursor);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            var page = Page(request.Object, request.Fields, null, after, request.PageSize, includeDeleted: false, since: null, "ReadAll");
            yield return page;
            if (!page.HasMore) yield break;
            after = Parse(page.Cursor);
        }
    }

    public async IAsyncEnumerable<CrmRecordPage> ReadChangesAsync(CrmChangeReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (from, after) = Start(request);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            var page = Page(request.Object, request.Fields, from, after, request.PageSize, request.IncludeDeleted, request.Since, "ReadChanges");
            yield return page;
            if (!page.HasMore) yield break;
            from = null;
            after = Parse(page.Cursor);
        }
    }

    /// <summary>As Salesforce's composite call; tests set another to see the pull count calls by it.</summary>
    public int MaxObjectsPerBatchedRead { get; set; } = 25;

    /// <summary>Salesforce-like: deletions with the changes of objects with a deleted flag, a 15-day delete log, bulk reads.</summary>
    public CrmChangeCapabilities Capabilities { get; set; } = new(DeletionsInChanges: false, DeleteLogRetention: TimeSpan.FromDays(15), HasBulkReads: true, UsageHeader: null);

    public Task<IReadOnlyList<CrmChangeBatchItem>> ReadChangesBatchAsync(IReadOnlyList<CrmChangeReadRequest> requests, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var items = new List<CrmChangeBatchItem>();
        foreach (var chunk in requests.Chunk(25))
        {
            Count($"Batch {chunk.Length}");
            foreach (var request in chunk)
            {
                if (BatchErrors.TryGetValue(request.Object.Name, out var error))
                {
                    items.Add(new CrmChangeBatchItem(request, null, error));
                    continue;
                }
                var (from, after) = Start(request);
                items.Add(new CrmChangeBatchItem(request, Page(request.Object, request.Fields, from, after, request.PageSize, request.IncludeDeleted,
                    request.Since, null), null));
            }
        }
        return Task.FromResult<IReadOnlyList<CrmChangeBatchItem>>(items);
    }

    public Task<CrmDeletionResult> ReadDeletionsAsync(string objectName, DateTimeOffset since, CancellationToken cancellationToken)
    {
        Count("Deleted " + objectName);
        lock (_gate)
        {
            var list = _deleteLog.GetValueOrDefault(objectName)?.Where(d => d.DeletedAt >= since).ToList() ?? [];
            return Task.FromResult(new CrmDeletionResult(objectName, list, null, _nextStamp, since));
        }
    }

    public Task<long> EstimateCountAsync(string objectName, CancellationToken cancellationToken)
    {
        Count("Count " + objectName);
        lock (_gate) return Task.FromResult((long)(_objects.GetValueOrDefault(objectName)?.Values.Count(r => !r.IsDeleted) ?? 0));
    }

    private static (DateTimeOffset? From, (DateTimeOffset?, string?)? After) Start(CrmChangeReadRequest request)
    {
        if (request.ResumeCursor is not null) return (null, Parse(request.ResumeCursor));
        if (request.Since is not null && Parse(request.Since.Value) is var (stamp, _) && stamp is { } s) return (s - request.Overlap, null);
        return (null, null);
    }

    private CrmRecordPage Page(CrmObjectSchema schema, IReadOnlyList<string> fields, DateTimeOffset? from, (DateTimeOffset? Stamp, string? Id)? after,
        int pageSize, bool includeDeleted, CrmWatermark? since, string? countAs)
    {
        if (countAs is not null) Count($"{countAs} {schema.Name}");
        CrmRecordPage page;
        lock (_gate)
        {
            LastRequestedFields[schema.Name] = fields;
            foreach (var f in fields)
                if (schema.FindField(f) is null)
                    throw new CrmSyncException(ErrorIds.CrmFieldNotFound, ErrorKind.InvalidArgument, $"No field {f} on {schema.Name}.", "Fix the query.");
            var ordered = (_objects.GetValueOrDefault(schema.Name)?.Values ?? Enumerable.Empty<CrmRecord>())
                .Where(r => includeDeleted || !r.IsDeleted)
                .OrderBy(r => r.ModifiedAt).ThenBy(r => r.Id, StringComparer.Ordinal)
                .Where(r => from is null || r.ModifiedAt >= from)
                .Where(r => after is not { } a || r.ModifiedAt > a.Stamp || (r.ModifiedAt == a.Stamp && string.CompareOrdinal(r.Id, a.Id) > 0))
                .ToList();
            var taken = ordered.Take(pageSize).Select(r => Project(r, fields)).ToList();
            var hasMore = ordered.Count > pageSize;
            var start = after is { } x ? x : since is not null ? Parse(since.Value) : ((DateTimeOffset?, string?)?)null;
            var last = taken.Count == 0 ? start : (taken[^1].ModifiedAt, taken[^1].Id);
            if (!hasMore && start is { } s && last is { } l && Compare(s, l) > 0) last = s;
            var cursor = last is { } c ? Write(c) : "start";
            page = new CrmRecordPage(schema.Name, taken, cursor, last is null ? since : new CrmWatermark(cursor), hasMore,
                _objects.GetValueOrDefault(schema.Name)?.Values.Count(r => !r.IsDeleted));
        }
        BeforePage?.Invoke(page);
        if (FailAfterPages is { } limit && PagesServed >= limit)
        {
            FailAfterPages = null;
            throw FailWith;
        }
        PagesServed++;
        return page;
    }

    private static CrmRecord Project(CrmRecord record, IReadOnlyList<string> fields)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in fields.Concat(["Id", "SystemModstamp", "IsDeleted", "MasterRecordId"]))
            if (record.Values.TryGetValue(f, out var v)) values[f] = v;
            else if (fields.Contains(f)) values[f] = null;
        return record with { Values = values };
    }

    private static int Compare((DateTimeOffset? Stamp, string? Id) a, (DateTimeOffset? Stamp, string? Id) b)
    {
        var byStamp = Nullable.Compare(a.Stamp, b.Stamp);
        return byStamp != 0 ? byStamp : string.CompareOrdinal(a.Id, b.Id);
    }

    private static string Write((DateTimeOffset? Stamp, string? Id) position) =>
        (position.Stamp?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "") + "|" + position.Id;

    private static (DateTimeOffset?, string?) Parse(string text)
    {
        if (text == "start") return (null, null);
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        var ticks = text[..bar];
        return (ticks.Length == 0 ? null : new DateTimeOffset(long.Parse(ticks, CultureInfo.InvariantCulture), TimeSpan.Zero), text[(bar + 1)..]);
    }

    private void Count(string call)
    {
        lock (_gate) CallLog.Add(call);
    }
}

internal sealed class FakeSession : ICrmSession
{
    public CrmKind Kind => CrmKind.Salesforce;
    public CrmIdentity? Identity => null;
    public Task<CrmIdentity> LoginAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new CrmIdentity("005000000000001AAA", "00D000000000001AAA", "sync@acme.example", new Uri("https://acme.example"), "62.0", false, null));
    public CrmApiUsage? ApiUsage { get; set; }
    public double ApiReserveFraction => 0.10;
    public bool IsApiReserveReached => ApiUsage is { } u && u.IsWithinReserve(ApiReserveFraction);
}

/// <summary>Describes the objects a test put in <see cref="Objects"/>; counts its calls.</summary>
internal sealed class FakeSchemaReader : ICrmSchemaReader
{
    public Dictionary<string, CrmObjectSchema> Objects { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> CallLog { get; } = [];

    public Task<IReadOnlyList<CrmObjectSummary>> ListObjectsAsync(CancellationToken cancellationToken)
    {
        CallLog.Add("ListObjects");
        return Task.FromResult<IReadOnlyList<CrmObjectSummary>>(Objects.Values
            .Select(o => new CrmObjectSummary(o.Name, o.Label, o.Custom, true, true, true, true, true)).ToList());
    }

    public Task<CrmObjectSchema> DescribeAsync(string objectName, CancellationToken cancellationToken)
    {
        CallLog.Add("Describe " + objectName);
        return Objects.TryGetValue(objectName, out var schema)
            ? Task.FromResult(schema)
            : Task.FromException<CrmObjectSchema>(new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.ObjectNotFound, $"No {objectName}.", "None."));
    }
}

internal sealed class FakeCrmClient(FakeChangeSource changes) : ICrmClient
{
    public FakeSession FakeSession { get; } = new();
    public FakeSchemaReader FakeSchema { get; } = new();
    public CrmKind Kind => CrmKind.Salesforce;
    public ICrmSession Session => FakeSession;
    public ICrmSchemaReader Schema => FakeSchema;
    public ICrmChangeSource Changes { get; } = changes;
    public ICrmRecordWriter Writer => throw new InvalidOperationException("The pull never writes to the CRM.");
    public Task<CrmApiUsage?> GetApiUsageAsync(CancellationToken cancellationToken) => Task.FromResult(FakeSession.ApiUsage);
    public void Dispose() { }
}
