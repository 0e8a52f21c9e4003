using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CrmSync.Engine.Resilience;

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
    public async Task<(IReadOnlyList<CrmRecord> Records, string? NextLocator)> ReadResultsAsync(string jobId, string? locator, int maxRecords,
        CrmObjectSchema? schema, string objectName, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckRecordId(jobId, "job id");
        var query = new StringBuilder("jobs/query/").Append(jobId).Append("/results?maxRecords=").Append(maxRecords.ToString(CultureInfo.InvariantCulture));
        if (locator is not null) query.Append("&locator=").Append(Uri.EscapeDataString(locator));
        using var response = await _session.SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, _session.DataUri(query.ToString()));
            r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
            return r;
        }, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw SalesforceSession.ToException(response.StatusCode, Encoding.UTF8.GetString(bytes), "the results of bulk job " + jobId);
        var next = response.Headers.TryGetValues("Sforce-Locator", out var values) ? values.FirstOrDefault() : null;
        if (string.IsNullOrEmpty(next) || next == "null") next = null;
        var records = SalesforceSchemaReader.Parse(() => SalesforceJson.ParseBulkCsv(bytes, schema, objectName), "the results of bulk job " + jobId);
        return (records, next);
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
