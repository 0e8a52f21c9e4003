using System.Collections.Concurrent;
using CrmSync.Engine.Crm;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>
/// Counts the HTTP requests the CRM client really sends (its <see cref="CrmEventKind.Request"/> events, retries included),
/// split into logins (SOAP/OAuth, Entra's token endpoint for Dynamics: not counted by Salesforce's API allowance), sObject Collections writes (the push) and
/// everything else (queries, composite, bulk, describes).
/// </summary>
internal sealed class RequestTally : IProgress<CrmClientEvent>
{
    private long _logins;
    private long _collections;
    private long _other;
    private long _batches;
    private readonly ConcurrentDictionary<string, int> _byPath = new(StringComparer.Ordinal);

    /// <summary>Requests by "METHOD path -> status" since the last <see cref="ResetBreakdown"/> (the request event's text without the host and request id).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Breakdown() => [.. _byPath.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)];

    public void ResetBreakdown()
    {
        _byPath.Clear();
        _since = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>CRMSYNC_BENCH_TRACE=1: every request of the measured cycle is printed with its time since the cycle started.</summary>
    private static readonly bool Trace = Environment.GetEnvironmentVariable("CRMSYNC_BENCH_TRACE") == "1";
    private long _since = System.Diagnostics.Stopwatch.GetTimestamp();

    public readonly record struct Snapshot(long Logins, long Collections, long Other, long Batches = 0)
    {
        /// <summary>Requests that count against the CRM's API allowance (everything but logins).</summary>
        public long Api => Collections + Other;
        public long All => Logins + Collections + Other;

        public static Snapshot operator -(Snapshot a, Snapshot b) => new(a.Logins - b.Logins, a.Collections - b.Collections, a.Other - b.Other, a.Batches - b.Batches);
    }

    public Snapshot Take() => new(Interlocked.Read(ref _logins), Interlocked.Read(ref _collections), Interlocked.Read(ref _other), Interlocked.Read(ref _batches));

    public void Report(CrmClientEvent value)
    {
        if (value.Kind != CrmEventKind.Request)
            return;
        // "METHOD host/path -> status"
        var message = value.Message;
        if (Trace)
            Console.WriteLine($"  request +{System.Diagnostics.Stopwatch.GetElapsedTime(_since).TotalSeconds:F3} s ({Environment.TickCount64 % 100_000 / 1000.0:F3}): {message}");
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        var slash = space < 0 ? -1 : message.IndexOf('/', space);
        var id = message.IndexOf(" (request id", StringComparison.Ordinal);
        var key = slash < 0 ? message : message[..space] + " " + message[slash..(id < 0 ? message.Length : id)];
        _byPath.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (message.Contains("/services/Soap/", StringComparison.Ordinal) || message.Contains("/services/oauth2/", StringComparison.Ordinal) ||
            message.Contains("/oauth2/v2.0/token", StringComparison.Ordinal) || message.Contains("/oauth2/token", StringComparison.Ordinal))
            Interlocked.Increment(ref _logins);
        else if (message.Contains("/composite/sobjects", StringComparison.Ordinal))
            Interlocked.Increment(ref _collections);
        else
        {
            // Dataverse $batch requests (the delta reads of an idle cycle, the push's writes): counted in Other, and apart here.
            if (message.Contains("/$batch", StringComparison.Ordinal))
                Interlocked.Increment(ref _batches);
            Interlocked.Increment(ref _other);
        }
    }
}
