using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CrmSync.Engine.Resilience;
using CsvHelper;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>Bulk API 2.0 query jobs: create, poll with backoff, read CSV results by locator, delete.</summary>
public sealed class SalesforceBulkQuery
{
    private readonly SalesforceSession _session;
    private readonly TimeProvider _time;

    internal SalesforceBulkQuery(SalesforceSession session, TimeProvider time)
    {
        _session = session;
        _time = time;
    }

    /// <summary>First and maximum delay between two job status polls.</summary>
    public TimeSpan FirstPollDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxPollDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Creates a query (or queryAll) job.</summary>
    public async Task<SalesforceBulkJob> CreateJobAsync(string soql, bool includeDeleted, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["operation"] = includeDeleted ? "queryAll" : "query",
            ["query"] = soql,
        });
        using var doc = await _session.SendForJsonAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Post, _session.DataUri("jobs/query")) { Content = new ByteArrayContent(body) };
            r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
            return r.MarkIdempotent(); // a duplicate job is harmless: it is never read and expires
        }, "a bulk query job", cancellationToken).ConfigureAwait(false);
        return SalesforceSchemaReader.Parse(() => SalesforceJson.ParseBulkJob(doc.RootElement), "a bulk query job");
    }

    /// <summary>The job's current state, or null when the job no longer exists.</summary>
    public async Task<SalesforceBulkJob?> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckRecordId(jobId, "job id");
        using var response = await _session.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri($"jobs/query/{jobId}")), cancellationToken)
            .ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw SalesforceSession.ToException(response.StatusCode, text, "bulk job " + jobId);
        using var doc = SalesforceSession.ParseJson(text, "bulk job " + jobId);
        return SalesforceSchemaReader.Parse(() => SalesforceJson.ParseBulkJob(doc.RootElement), "bulk job " + jobId);
    }

    /// <summary>Polls until the job completes (exponential backoff on the injected clock). Throws when it fails, is aborted or disappears.</summary>
    public async Task<SalesforceBulkJob> WaitForCompletionAsync(string jobId, CancellationToken cancellationToken)
    {
        var delay = FirstPollDelay;
        while (true)
        {
            var job = await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false)
                ?? throw new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ObjectNotFound, $"The bulk query job {jobId} no longer exists.",
                    "Run the sync again; the copy restarts its bulk job.", jobId);
            if (job.IsComplete) return job;
            if (job.IsFinishedUnsuccessfully)
                throw new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ReadError,
                    $"The bulk query job {jobId} ended {job.State}: {job.ErrorMessage ?? "no reason given"}.",
                    "Check the message; run the sync again to retry the copy.", jobId);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPollDelay.Ticks));
        }
    }

    /// <summary>One chunk of results. <paramref name="locator"/> null reads the first chunk; the returned locator is null after the last.</summary>
    public Task<(IReadOnlyList<CrmRecord> Records, string? NextLocator)> ReadResultsAsync(string jobId, string? locator, int maxRecords,
        CrmObjectSchema? schema, string objectName, CancellationToken cancellationToken) =>
        // Parsed from the response stream as it arrives (the body is never buffered whole), one record at a time.
        ReadChunkAsync<IReadOnlyList<CrmRecord>>(jobId, locator, maxRecords,
            (body, _) => Task.FromResult<IReadOnlyList<CrmRecord>>(
                SalesforceSchemaReader.Parse(() => SalesforceBulkCsv.Read(body, schema, objectName).ToList(), "the results of bulk job " + jobId)),
            cancellationToken);

    /// <summary>
    /// One chunk of results downloaded whole into <paramref name="buffer"/> (reused from chunk to chunk), to be parsed by
    /// <see cref="SalesforceBulkRows"/> while the next chunk downloads. Returns the next locator (null after the last).
    /// </summary>
    internal async Task<string?> DownloadResultsAsync(string jobId, string? locator, int maxRecords, SalesforceBulkChunk buffer,
        CancellationToken cancellationToken)
    {
        var (_, next) = await ReadChunkAsync(jobId, locator, maxRecords, async (body, ct) =>
        {
            await buffer.FillAsync(body, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return next;
    }

    /// <summary>
    /// GETs one chunk of results and hands its body, unbuffered, to <paramref name="read"/>; returns what it read and the next
    /// locator (null after the last). The resilience handler does not buffer the body (<see cref="CrmRequestOptions.StreamedResponse"/>),
    /// so a transport failure while reading it is retried here: the same GET of the same locator, at most three times.
    /// <paramref name="read"/> must start afresh each time (it is called once an attempt).
    /// </summary>
    private async Task<(T Value, string? NextLocator)> ReadChunkAsync<T>(string jobId, string? locator, int maxRecords,
        Func<Stream, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckRecordId(jobId, "job id");
        var query = new StringBuilder("jobs/query/").Append(jobId).Append("/results?maxRecords=").Append(maxRecords.ToString(CultureInfo.InvariantCulture));
        if (locator is not null) query.Append("&locator=").Append(Uri.EscapeDataString(locator));
        for (var attempt = 1; ; attempt++)
        {
            using var response = await _session.SendAsync(() =>
            {
                var r = new HttpRequestMessage(HttpMethod.Get, _session.DataUri(query.ToString())).MarkStreamedResponse();
                r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
                return r;
            }, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw SalesforceSession.ToException(response.StatusCode, error, "the results of bulk job " + jobId);
            }
            var next = response.Headers.TryGetValues("Sforce-Locator", out var values) ? values.FirstOrDefault() : null;
            if (string.IsNullOrEmpty(next) || next == "null") next = null;
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                try
                {
                    return (await read(body, cancellationToken).ConfigureAwait(false), next);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= 3)
                        throw SalesforceSession.ToReadException(response.RequestMessage?.RequestUri?.Host ?? "Salesforce", ex);
                }
            }
        }
    }

    /// <summary>Deletes a finished job. Returns false (and does not throw) when Salesforce refuses.</summary>
    public async Task<bool> DeleteJobAsync(string jobId, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckRecordId(jobId, "job id");
        using var response = await _session.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, _session.DataUri($"jobs/query/{jobId}")), cancellationToken)
            .ConfigureAwait(false);
        return response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound;
    }
}

/// <summary>
/// Reads Bulk API 2.0 CSV results (UTF-8, header row, quoted values, comma separated; an empty cell is null) from a
/// stream, record by record, without materialising the chunk. Same values as <see cref="SalesforceJson.ParseBulkCsv"/>.
/// </summary>
internal static class SalesforceBulkCsv
{
    public static IEnumerable<CrmRecord> Read(Stream utf8, CrmObjectSchema? schema, string objectName)
    {
        using var rows = new SalesforceBulkRows(utf8, schema, objectName);
        while (rows.Read())
            yield return rows.ToRecord();
    }
}
