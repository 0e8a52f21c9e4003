using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// Reads Salesforce records: initial copies (Bulk API 2.0 or keyset-paged REST queries), incremental reads by
/// (SystemModstamp, Id) with an overlap window, several objects' first pages in one composite call, /deleted, /updated and counts.
/// </summary>
public sealed class SalesforceChangeSource : ICrmChangeSource, ICrmBulkRowSource, ICrmBulkChangeSource
{
    /// <summary>Subrequests Salesforce accepts in one composite call.</summary>
    public const int MaxCompositeSubrequests = 25;

    private readonly SalesforceSession _session;
    private readonly TimeProvider _time;

    /// <summary>The bulk reads' chunk buffers, passed from one read to the next.</summary>
    internal SalesforceBulkChunkPool Chunks { get; } = new();

    internal SalesforceChangeSource(SalesforceSession session, TimeProvider time)
    {
        _session = session;
        _time = time;
        Bulk = new SalesforceBulkQuery(session, time);
    }

    /// <summary>The Bulk API 2.0 query client used by initial copies.</summary>
    public SalesforceBulkQuery Bulk { get; }

    public async IAsyncEnumerable<CrmRecordPage> ReadAllAsync(CrmFullReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in ReadAllAsync(request, asRows: false, cancellationToken).ConfigureAwait(false))
            yield return page.Page;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<CrmRowPage> ReadAllRowsAsync(CrmFullReadRequest request, CancellationToken cancellationToken) =>
        ReadAllAsync(request, asRows: true, cancellationToken);

    private async IAsyncEnumerable<CrmRowPage> ReadAllAsync(CrmFullReadRequest request, bool asRows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var position = request.ResumeCursor is null ? null : SalesforcePosition.Read(request.ResumeCursor);
        var useBulk = position switch
        {
            SalesforcePosition.Bulk => true,
            SalesforcePosition.Keyset => false,
            _ => request.Strategy switch
            {
                CrmFullReadStrategy.Bulk => true,
                CrmFullReadStrategy.Paged => false,
                _ => await EstimateCountAsync(request.Object.Name, cancellationToken).ConfigureAwait(false) >= request.BulkThreshold,
            },
        };

        if (!useBulk)
        {
            var change = new CrmChangeReadRequest(request.Object, request.Fields)
            {
                ResumeCursor = request.ResumeCursor,
                PageSize = request.PageSize,
                IncludeDeleted = false,
            };
            await foreach (var page in ReadChangesAsync(change, cancellationToken).ConfigureAwait(false))
                yield return CrmRowPage.Of(page);
            yield break;
        }

        await foreach (var page in ReadAllBulkAsync(request, position as SalesforcePosition.Bulk, asRows, cancellationToken).ConfigureAwait(false))
            yield return page;
    }

    /// <summary>One downloaded chunk: its records (record pages) or its bytes (row pages), and the locator after it.</summary>
    private sealed record BulkChunkRead(IReadOnlyList<CrmRecord> Records, SalesforceBulkChunk? Bytes, string? NextLocator);

    private async IAsyncEnumerable<CrmRowPage> ReadAllBulkAsync(CrmFullReadRequest request, SalesforcePosition.Bulk? resume, bool asRows,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var schema = request.Object;
        // The incremental watermark after a bulk copy is the moment the copy started: changes made during the copy are read next.
        var startedAt = resume?.StartedAt ?? _time.GetUtcNow();
        CrmWatermark? finalWatermark = schema.ModificationStampField is null
            ? null
            : new CrmWatermark(SalesforcePosition.Write(new SalesforcePosition.Keyset(startedAt, null)));
        if (resume is { Done: true })
        {
            yield return CrmRowPage.Of(new CrmRecordPage(schema.Name, [], request.ResumeCursor!, finalWatermark, false, null));
            yield break;
        }

        string? jobId = resume?.JobId;
        string? locator = resume?.Locator;
        SalesforceBulkJob? job = jobId is null ? null : await Bulk.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (job is null || job.IsFinishedUnsuccessfully)
        {
            // No job yet, or it expired/failed: start a new one (already applied records are applied again, which is harmless).
            var soql = SoqlBuilder.From(schema).Select(SalesforceChangeQuery.Fields(schema, request.Fields, includeDeleted: false)).Build();
            job = await Bulk.CreateJobAsync(soql, includeDeleted: false, cancellationToken).ConfigureAwait(false);
            locator = null;
        }
        job = await Bulk.WaitForCompletionAsync(job.Id, cancellationToken).ConfigureAwait(false);

        var total = job.NumberRecordsProcessed;
        // The next chunk is downloaded (and, for record pages, parsed) while the caller applies this one (one chunk ahead,
        // never more), so the CRM producing results, the download and the local writes overlap. Row pages keep each chunk's
        // bytes in one of two buffers that take turns: the caller reads one while the other fills. Each page's cursor still
        // names the chunk after it: a crash or a stop while the next chunk is in flight resumes exactly after the last page
        // the caller committed.
        using var prefetch = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var completedJobId = job.Id;
        SalesforceBulkChunk[] rented = asRows ? [Chunks.Rent(), Chunks.Rent()] : [];
        var buffers = asRows ? new Queue<SalesforceBulkChunk>(rented) : null;
        Task<BulkChunkRead> Fetch(string? at)
        {
            if (buffers is null)
                return Task.Run(async () =>
                {
                    var (records, next) = await Bulk.ReadResultsAsync(completedJobId, at, request.BulkPageSize, schema, schema.Name, prefetch.Token)
                        .ConfigureAwait(false);
                    return new BulkChunkRead(records, null, next);
                }, prefetch.Token);
            var buffer = buffers.Dequeue();
            return Task.Run(async () =>
            {
                var next = await Bulk.DownloadResultsAsync(completedJobId, at, request.BulkPageSize, buffer, prefetch.Token).ConfigureAwait(false);
                return new BulkChunkRead([], buffer, next);
            }, prefetch.Token);
        }
        var pending = Fetch(locator);
        try
        {
            while (true)
            {
                var chunk = await pending.ConfigureAwait(false);
                var done = chunk.NextLocator is null;
                if (!done)
                    pending = Fetch(chunk.NextLocator);
                var cursor = SalesforcePosition.Write(new SalesforcePosition.Bulk(job.Id, chunk.NextLocator, startedAt, done));
                var page = new CrmRecordPage(schema.Name, chunk.Records, cursor, done ? finalWatermark : null, !done, total);
                if (chunk.Bytes is { } bytes)
                {
                    using var rows = new SalesforceBulkRows(bytes, schema, schema.Name);
                    yield return new CrmRowPage(page, rows);
                    buffers!.Enqueue(bytes); // the caller is done with this chunk's rows: the buffer takes the next download
                }
                else
                    yield return CrmRowPage.Of(page);
                if (done) break;
            }
        }
        finally
        {
            if (pending.IsFaulted)
                _ = pending.Exception; // observed: the caller stopped before awaiting it
            else if (!pending.IsCompleted)
            {
                // The caller stopped (Ctrl+C, an error, the API reserve) with a chunk in flight: cancel it and let it end unobserved.
                await prefetch.CancelAsync().ConfigureAwait(false);
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or CrmSyncException or HttpRequestException)
                {
                }
            }
            // Nothing fills or reads them now (the download in flight has ended, the caller's rows are disposed): the next
            // bulk read takes them as they are, grown to a chunk's size.
            foreach (var chunk in rented)
                Chunks.Return(chunk);
        }

        if (!await Bulk.DeleteJobAsync(job.Id, cancellationToken).ConfigureAwait(false))
            Report(CrmEventLevel.Warning, $"The finished bulk query job {job.Id} could not be deleted; Salesforce removes it after 7 days.");
    }

    public async IAsyncEnumerable<CrmRecordPage> ReadChangesAsync(CrmChangeReadRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schema = request.Object;
        var pageSize = Math.Clamp(request.PageSize, 200, 2000);
        DateTimeOffset? from = null;
        (DateTimeOffset? Stamp, string? Id)? after = null;
        SalesforcePosition.Keyset? last = null;
        if (request.ResumeCursor is not null)
        {
            last = SalesforcePosition.ReadKeyset(request.ResumeCursor);
            after = (last.Stamp, last.Id);
        }
        else if (request.Since is not null)
        {
            last = SalesforcePosition.ReadKeyset(request.Since.Value);
            if (last.Stamp is { } s) from = s - request.Overlap;
            else if (last.Id is not null) after = (null, last.Id);
        }

        var seen = new HashSet<(string, DateTimeOffset?)>();
        while (true)
        {
            var soql = SalesforceChangeQuery.Build(schema, request.Fields, from, after, pageSize, request.IncludeDeleted);
            var endpoint = SalesforceChangeQuery.UsesQueryAll(schema, request.IncludeDeleted) ? "queryAll" : "query";
            var (records, total) = await QueryAllPagesAsync(endpoint, soql, pageSize, schema, cancellationToken).ConfigureAwait(false);

            var fresh = new List<CrmRecord>(records.Count);
            foreach (var r in records)
                if (seen.Add((r.Id, r.ModifiedAt))) fresh.Add(r);
            var hasMore = records.Count >= pageSize;
            if (records.Count > 0)
            {
                var tail = records[^1];
                var position = new SalesforcePosition.Keyset(schema.ModificationStampField is null ? null : tail.ModifiedAt, tail.Id);
                // Within a read the keyset moves forward; the first page of an overlap read may end before the old watermark.
                last = hasMore ? position : SalesforcePosition.Keyset.Max(last, position);
            }
            var cursor = SalesforcePosition.Write(last ?? new SalesforcePosition.Keyset(null, null));
            CrmWatermark? watermark = last is null ? request.Since : new CrmWatermark(cursor);
            yield return new CrmRecordPage(schema.Name, fresh, cursor, watermark, hasMore, total);
            if (!hasMore) yield break;
            from = null;
            after = (last!.Stamp, last.Id);
        }
    }

    /// <summary>The lower stamp bound of an incremental read: the watermark's stamp minus the overlap (null: from the beginning).</summary>
    private static DateTimeOffset? ChangesFrom(CrmChangeReadRequest request) =>
        request.Since is { } since && SalesforcePosition.ReadKeyset(since.Value).Stamp is { } stamp ? stamp - request.Overlap : null;

    /// <inheritdoc />
    public async Task<long> CountChangesAsync(CrmChangeReadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schema = request.Object;
        var soql = SalesforceChangeQuery.BuildCount(schema, ChangesFrom(request));
        var endpoint = SalesforceChangeQuery.UsesQueryAll(schema, request.IncludeDeleted) ? "queryAll" : "query";
        using var doc = await _session.SendForJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri($"{endpoint}?q={Uri.EscapeDataString(soql)}")),
            "the count of changed " + schema.Name, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.TryGetProperty("totalSize", out var t) && t.ValueKind == JsonValueKind.Number
            ? t.GetInt64()
            : throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError, $"Salesforce's count of changed {schema.Name} has no totalSize.",
                "Retry; if it persists, report it to the CrmSync maintainers.", schema.Name);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CrmRecordPage> ReadChangesInBulkAsync(CrmChangeReadRequest request, int pageSize,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in ReadChangesInBulkAsync(request, pageSize, asRows: false, cancellationToken).ConfigureAwait(false))
            yield return page.Page;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<CrmRowPage> ReadChangeRowsInBulkAsync(CrmChangeReadRequest request, int pageSize, CancellationToken cancellationToken) =>
        ReadChangesInBulkAsync(request, pageSize, asRows: true, cancellationToken);

    private async IAsyncEnumerable<CrmRowPage> ReadChangesInBulkAsync(CrmChangeReadRequest request, int pageSize, bool asRows,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schema = request.Object;
        var startedAt = _time.GetUtcNow();
        var includeDeleted = SalesforceChangeQuery.UsesQueryAll(schema, request.IncludeDeleted);
        var soql = SalesforceChangeQuery.BuildUnlimited(schema, request.Fields, ChangesFrom(request), includeDeleted);
        var job = await Bulk.CreateJobAsync(soql, includeDeleted, cancellationToken).ConfigureAwait(false);
        job = await Bulk.WaitForCompletionAsync(job.Id, cancellationToken).ConfigureAwait(false);
        // The next incremental read starts where this one started (minus the overlap): what changed meanwhile is read again.
        CrmWatermark? watermark = schema.ModificationStampField is null
            ? request.Since
            : new CrmWatermark(SalesforcePosition.Write(new SalesforcePosition.Keyset(startedAt, null)));
        string? locator = null;
        // Each chunk is downloaded into one reused buffer (not buffered again by the resilience handler), then read into
        // records, or handed out as rows valid until the next page is asked for.
        var buffer = Chunks.Rent();
        try
        {
            do
            {
                var next = await Bulk.DownloadResultsAsync(job.Id, locator, pageSize, buffer, cancellationToken).ConfigureAwait(false);
                locator = next;
                var done = next is null;
                var cursor = SalesforcePosition.Write(new SalesforcePosition.Bulk(job.Id, next, startedAt, done));
                using var rows = new SalesforceBulkRows(buffer, schema, schema.Name);
                if (asRows)
                {
                    yield return new CrmRowPage(new CrmRecordPage(schema.Name, [], cursor, done ? watermark : null, !done, job.NumberRecordsProcessed), rows);
                    continue;
                }
                var records = new List<CrmRecord>();
                while (rows.Read())
                    records.Add(rows.ToRecord());
                yield return CrmRowPage.Of(new CrmRecordPage(schema.Name, records, cursor, done ? watermark : null, !done, job.NumberRecordsProcessed));
            }
            while (locator is not null);
        }
        finally
        {
            Chunks.Return(buffer); // the last page's rows are disposed: nothing reads it any more
        }
        if (!await Bulk.DeleteJobAsync(job.Id, cancellationToken).ConfigureAwait(false))
            Report(CrmEventLevel.Warning, $"The finished bulk query job {job.Id} could not be deleted; Salesforce removes it after 7 days.");
    }

    /// <inheritdoc />
    public int MaxObjectsPerBatchedRead => MaxCompositeSubrequests;

    /// <summary>
    /// Deletions come with the changes of objects that have IsDeleted (queryAll) and from the /deleted resource, which
    /// reaches back about 15 days; Bulk API 2.0 reads; usage in the Sforce-Limit-Info header.
    /// </summary>
    public CrmChangeCapabilities Capabilities { get; } = new(DeletionsInChanges: false, DeleteLogRetention: TimeSpan.FromDays(15),
        HasBulkReads: true, UsageHeader: SalesforceProvider.UsageSourceName);

    public async Task<IReadOnlyList<CrmChangeBatchItem>> ReadChangesBatchAsync(IReadOnlyList<CrmChangeReadRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new List<CrmChangeBatchItem>(requests.Count);
        foreach (var chunk in requests.Chunk(MaxCompositeSubrequests))
            results.AddRange(await ReadCompositeChunkAsync(chunk, cancellationToken).ConfigureAwait(false));
        return results;
    }

    private async Task<IReadOnlyList<CrmChangeBatchItem>> ReadCompositeChunkAsync(CrmChangeReadRequest[] requests, CancellationToken cancellationToken)
    {
        await _session.EnsureLoggedInAsync(cancellationToken).ConfigureAwait(false);
        var prepared = new List<(CrmChangeReadRequest Request, int Limit, SalesforcePosition.Keyset? Start)>();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteBoolean("allOrNone", false);
            w.WriteStartArray("compositeRequest");
            for (var i = 0; i < requests.Length; i++)
            {
                var request = requests[i];
                var limit = Math.Clamp(request.PageSize, 200, 2000);
                DateTimeOffset? from = null;
                (DateTimeOffset?, string?)? after = null;
                SalesforcePosition.Keyset? start = null;
                if (request.ResumeCursor is not null)
                {
                    start = SalesforcePosition.ReadKeyset(request.ResumeCursor);
                    after = (start.Stamp, start.Id);
                }
                else if (request.Since is not null)
                {
                    start = SalesforcePosition.ReadKeyset(request.Since.Value);
                    if (start.Stamp is { } s) from = s - request.Overlap;
                    else if (start.Id is not null) after = (null, start.Id);
                }
                var soql = SalesforceChangeQuery.Build(request.Object, request.Fields, from, after, limit, request.IncludeDeleted);
                var endpoint = SalesforceChangeQuery.UsesQueryAll(request.Object, request.IncludeDeleted) ? "queryAll" : "query";
                prepared.Add((request, limit, start));
                w.WriteStartObject();
                w.WriteString("method", "GET");
                w.WriteString("url", _session.DataUri($"{endpoint}?q={Uri.EscapeDataString(soql)}").PathAndQuery);
                w.WriteString("referenceId", "r" + i.ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var body = ms.ToArray();
        using var doc = await _session.SendForJsonAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Post, _session.DataUri("composite")) { Content = new ByteArrayContent(body) };
            r.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
            return r.MarkIdempotent(); // only GET subrequests
        }, "a composite query", cancellationToken).ConfigureAwait(false);

        var byReference = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (!doc.RootElement.TryGetProperty("compositeResponse", out var responses) || responses.ValueKind != JsonValueKind.Array)
            throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError, "Salesforce's composite response has no 'compositeResponse' array.",
                "Retry; if it persists, report it to the CrmSync maintainers.", "composite");
        foreach (var sub in responses.EnumerateArray())
            if (SalesforceJson.GetString(sub, "referenceId") is { } id) byReference[id] = sub;

        var items = new List<CrmChangeBatchItem>(prepared.Count);
        for (var i = 0; i < prepared.Count; i++)
        {
            var (request, limit, start) = prepared[i];
            var schema = request.Object;
            if (!byReference.TryGetValue("r" + i.ToString(CultureInfo.InvariantCulture), out var sub))
            {
                items.Add(new CrmChangeBatchItem(request, null, new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                    $"Salesforce's composite response has no answer for {schema.Name}.", "Run the sync again.", schema.Name)));
                continue;
            }
            var status = sub.TryGetProperty("httpStatusCode", out var sc) && sc.ValueKind == JsonValueKind.Number ? sc.GetInt32() : 0;
            var subBody = sub.TryGetProperty("body", out var b) ? b : default;
            if (status is < 200 or > 299)
            {
                var text = subBody.ValueKind == JsonValueKind.Undefined ? "" : subBody.GetRawText();
                items.Add(new CrmChangeBatchItem(request, null, SalesforceSession.ToException((System.Net.HttpStatusCode)status, text, "the changes of " + schema.Name)));
                continue;
            }
            SalesforceQueryResult result;
            try
            {
                result = SalesforceJson.ParseQueryResult(subBody, schema, schema.Name);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                items.Add(new CrmChangeBatchItem(request, null, new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                    $"Salesforce returned an unexpected query result for {schema.Name}: {ex.Message}", "Run the sync again.", schema.Name, ex)));
                continue;
            }
            var last = start;
            var hasMore = result.Records.Count >= limit || !result.Done;
            if (result.Records.Count > 0)
            {
                var tail = result.Records[^1];
                var position = new SalesforcePosition.Keyset(schema.ModificationStampField is null ? null : tail.ModifiedAt, tail.Id);
                last = hasMore ? position : SalesforcePosition.Keyset.Max(last, position);
            }
            var cursor = SalesforcePosition.Write(last ?? new SalesforcePosition.Keyset(null, null));
            var watermark = last is null ? request.Since : new CrmWatermark(cursor);
            items.Add(new CrmChangeBatchItem(request, new CrmRecordPage(schema.Name, result.Records, cursor, watermark, hasMore, result.TotalSize), null));
        }
        return items;
    }

    public async Task<CrmDeletionResult> ReadDeletionsAsync(string objectName, DateTimeOffset since, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        var end = _time.GetUtcNow();
        var uri = $"sobjects/{objectName}/deleted/?start={Uri.EscapeDataString(FormatIso(since))}&end={Uri.EscapeDataString(FormatIso(end))}";
        using var doc = await _session.SendForJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri(uri)),
            "the deletions of " + objectName, cancellationToken).ConfigureAwait(false);
        return SalesforceSchemaReader.Parse(() => SalesforceJson.ParseDeleted(doc.RootElement, objectName, since), "the deletions of " + objectName);
    }

    /// <summary>Ids of records changed between <paramref name="start"/> and <paramref name="end"/> (the /updated resource, 30 days back at most).</summary>
    public async Task<SalesforceUpdatedIds> GetUpdatedIdsAsync(string objectName, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        var uri = $"sobjects/{objectName}/updated/?start={Uri.EscapeDataString(FormatIso(start))}&end={Uri.EscapeDataString(FormatIso(end))}";
        using var doc = await _session.SendForJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri(uri)),
            "the updates of " + objectName, cancellationToken).ConfigureAwait(false);
        return SalesforceSchemaReader.Parse(() => SalesforceJson.ParseUpdated(doc.RootElement), "the updates of " + objectName);
    }

    public async Task<long> EstimateCountAsync(string objectName, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        var soql = "SELECT COUNT() FROM " + objectName;
        using var doc = await _session.SendForJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri($"query?q={Uri.EscapeDataString(soql)}")),
            "the record count of " + objectName, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.TryGetProperty("totalSize", out var t) && t.ValueKind == JsonValueKind.Number
            ? t.GetInt64()
            : throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError, $"Salesforce's count of {objectName} has no totalSize.",
                "Retry; if it persists, report it to the CrmSync maintainers.", objectName);
    }

    /// <summary>Runs one query and follows nextRecordsUrl until done; returns all records and the total size.</summary>
    private async Task<(IReadOnlyList<CrmRecord> Records, long? Total)> QueryAllPagesAsync(string endpoint, string soql, int batchSize,
        CrmObjectSchema schema, CancellationToken cancellationToken)
    {
        var records = new List<CrmRecord>();
        long? total = null;
        string? nextPath = null; // a server-given nextRecordsUrl; URLs are built inside the factory so a re-login's instance is used
        while (true)
        {
            var current = nextPath;
            using var doc = await _session.SendForJsonAsync(() =>
            {
                var uri = current is null ? _session.DataUri($"{endpoint}?q={Uri.EscapeDataString(soql)}") : _session.InstanceUri(current);
                var r = new HttpRequestMessage(HttpMethod.Get, uri);
                r.Headers.TryAddWithoutValidation("Sforce-Query-Options", "batchSize=" + batchSize.ToString(CultureInfo.InvariantCulture));
                return r;
            }, "a query on " + schema.Name, cancellationToken).ConfigureAwait(false);
            var page = SalesforceSchemaReader.Parse(() => SalesforceJson.ParseQueryResult(doc.RootElement, schema, schema.Name), "a query on " + schema.Name);
            records.AddRange(page.Records);
            total ??= page.TotalSize;
            if (page.Done || page.NextRecordsUrl is null) break;
            nextPath = page.NextRecordsUrl;
        }
        return (records, total);
    }

    private static string FormatIso(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);

    private void Report(CrmEventLevel level, string message) => _session.Report(new CrmClientEvent(level, CrmEventKind.Notice, message));
}
