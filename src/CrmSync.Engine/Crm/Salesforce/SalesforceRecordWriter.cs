using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// sObject Collections writes (200 records per request, allOrNone=false) with per-record results, and the single-record upsert.
/// Creates are not retried by the pipeline (not idempotent); updates, upserts on an external id and deletes are.
/// </summary>
public sealed class SalesforceRecordWriter : ICrmRecordWriter
{
    /// <summary>Records per sObject Collections request.</summary>
    public const int CollectionLimit = 200;

    private readonly SalesforceSession _session;

    internal SalesforceRecordWriter(SalesforceSession session) => _session = session;

    public int MaxBatchSize => CollectionLimit;

    public Task<IReadOnlyList<CrmWriteResult>> CreateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        return WriteChunksAsync(records, HttpMethod.Post, "composite/sobjects", objectName, idempotent: false, requireId: false, "create " + objectName, cancellationToken);
    }

    public Task<IReadOnlyList<CrmWriteResult>> UpdateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        return WriteChunksAsync(records, HttpMethod.Patch, "composite/sobjects", objectName, idempotent: true, requireId: true, "update " + objectName, cancellationToken);
    }

    public Task<IReadOnlyList<CrmWriteResult>> UpsertAsync(string objectName, string externalIdField, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        SoqlSyntax.CheckIdentifier(externalIdField, "field");
        foreach (var r in records)
            if (!r.Values.TryGetValue(externalIdField, out var v) || v is null || (v is string s && s.Length == 0))
                throw new ArgumentException($"Every record upserted on {externalIdField} needs a value for it.", nameof(records));
        return WriteChunksAsync(records, HttpMethod.Patch, $"composite/sobjects/{objectName}/{externalIdField}", objectName, idempotent: true, requireId: false,
            "upsert " + objectName, cancellationToken);
    }

    public async Task<IReadOnlyList<CrmWriteResult>> DeleteAsync(string objectName, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        ArgumentNullException.ThrowIfNull(ids);
        var results = new List<CrmWriteResult>(ids.Count);
        var offset = 0;
        foreach (var chunk in ids.Chunk(CollectionLimit))
        {
            foreach (var id in chunk) SoqlSyntax.CheckRecordId(id, "record id");
            var relative = "composite/sobjects?allOrNone=false&ids=" + string.Join(",", chunk);
            using var response = await _session.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, _session.DataUri(relative)), cancellationToken)
                .ConfigureAwait(false);
            results.AddRange(await ReadResultsAsync(response, offset, chunk.Length, "delete " + objectName, cancellationToken).ConfigureAwait(false));
            offset += chunk.Length;
        }
        return results;
    }

    /// <summary>
    /// Upserts one record on an external id (PATCH /sobjects/{Object}/{Field}/{value}): 201 created, 200/204 updated;
    /// 300 (several records match) and 404 (not an external id field) come back as a failed result.
    /// </summary>
    public async Task<CrmWriteResult> UpsertRecordAsync(string objectName, string externalIdField, string externalIdValue,
        IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        SoqlSyntax.CheckIdentifier(externalIdField, "field");
        ArgumentException.ThrowIfNullOrEmpty(externalIdValue);
        var body = Serialize(w => WriteFields(w, values, skip: externalIdField));
        using var response = await _session.SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Patch, _session.DataUri($"sobjects/{objectName}/{externalIdField}/{Uri.EscapeDataString(externalIdValue)}"))
            {
                Content = JsonContent(body),
            };
            return r.MarkIdempotent();
        }, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        switch ((int)response.StatusCode)
        {
            case 200 or 201 or 204:
                string? id = null;
                if (text.Length > 0)
                {
                    using var doc = SalesforceSession.ParseJson(text, "upsert " + objectName);
                    id = SalesforceJson.GetString(doc.RootElement, "id");
                }
                return new CrmWriteResult(0, id, true, response.StatusCode == HttpStatusCode.Created, []);
            case 300:
                var urls = new List<string>();
                using (var doc = SalesforceSession.ParseJson(text, "upsert " + objectName))
                    if (doc.RootElement.ValueKind == JsonValueKind.Array)
                        urls.AddRange(doc.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
                return new CrmWriteResult(0, null, false, null,
                    [new CrmWriteError("MULTIPLE_CHOICES", $"{urls.Count} records have {externalIdField} = the given value: {string.Join(", ", urls)}", [externalIdField], false)]);
            case 400 or 404:
                var errors = SalesforceJson.ParseErrors(text);
                if (errors.Count == 0) throw SalesforceSession.ToException(response.StatusCode, text, "upsert " + objectName);
                return new CrmWriteResult(0, null, false, null, errors.Select(SalesforceJson.ToWriteError).ToList());
            default:
                throw SalesforceSession.ToException(response.StatusCode, text, "upsert " + objectName);
        }
    }

    private async Task<IReadOnlyList<CrmWriteResult>> WriteChunksAsync(IReadOnlyList<CrmRecordChange> records, HttpMethod method, string relative,
        string objectName, bool idempotent, bool requireId, string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var results = new List<CrmWriteResult>(records.Count);
        var offset = 0;
        foreach (var chunk in records.Chunk(CollectionLimit))
        {
            var body = Serialize(w =>
            {
                w.WriteBoolean("allOrNone", false);
                w.WriteStartArray("records");
                foreach (var record in chunk)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("attributes");
                    w.WriteString("type", objectName);
                    w.WriteEndObject();
                    if (requireId)
                    {
                        if (string.IsNullOrEmpty(record.Id)) throw new ArgumentException("Every record to update needs its Id.", nameof(records));
                        w.WriteString("id", record.Id);
                    }
                    WriteFields(w, record.Values, skip: "id");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            using var response = await _session.SendAsync(() =>
            {
                var r = new HttpRequestMessage(method, _session.DataUri(relative)) { Content = JsonContent(body) };
                return idempotent ? r.MarkIdempotent() : r;
            }, cancellationToken).ConfigureAwait(false);
            results.AddRange(await ReadResultsAsync(response, offset, chunk.Length, target, cancellationToken).ConfigureAwait(false));
            offset += chunk.Length;
        }
        return results;
    }

    /// <summary>200: one save result per record. 400 with an error body: the request as a whole was refused, so every record carries that error.</summary>
    private static async Task<IReadOnlyList<CrmWriteResult>> ReadResultsAsync(HttpResponseMessage response, int offset, int count, string target,
        CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            using var doc = SalesforceSession.ParseJson(text, target);
            var results = SalesforceSchemaReader.Parse(() => SalesforceJson.ParseSaveResults(doc.RootElement, offset), target);
            if (results.Count != count)
                throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                    $"Salesforce returned {results.Count} results for {count} records ({target}).", "Run the sync again; writes are checked record by record.", target);
            return results;
        }
        if (response.StatusCode == HttpStatusCode.BadRequest && SalesforceJson.ParseErrors(text) is { Count: > 0 } errors)
        {
            var shared = errors.Select(SalesforceJson.ToWriteError).ToList();
            return Enumerable.Range(offset, count).Select(i => new CrmWriteResult(i, null, false, null, shared)).ToList();
        }
        throw SalesforceSession.ToException(response.StatusCode, text, target);
    }

    private static void WriteFields(Utf8JsonWriter w, IReadOnlyDictionary<string, object?> values, string skip)
    {
        foreach (var (name, value) in values)
        {
            if (string.Equals(name, "attributes", StringComparison.OrdinalIgnoreCase)) continue;
            if (string.Equals(name, skip, StringComparison.OrdinalIgnoreCase)) continue;
            SoqlSyntax.CheckIdentifier(name, "field");
            w.WritePropertyName(name);
            CrmValueConverter.WriteJson(w, value);
        }
    }

    private static byte[] Serialize(Action<Utf8JsonWriter> writeBody)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            writeBody(w);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
        return content;
    }
}
