using System.Collections.Concurrent;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Querying;

namespace CrmSync.Emulator.Salesforce.Bulk;

/// <summary>Bulk API 2.0 job states.</summary>
public enum BulkJobState
{
    /// <summary>Created; waiting to run.</summary>
    UploadComplete,
    /// <summary>Running.</summary>
    InProgress,
    /// <summary>Results are available.</summary>
    JobComplete,
    /// <summary>Aborted by the client.</summary>
    Aborted,
    /// <summary>Failed.</summary>
    Failed,
}

/// <summary>One Bulk API 2.0 query job. The query runs (as a snapshot) when the job is created.</summary>
public sealed class BulkQueryJob
{
    internal BulkQueryJob(string id, string operation, string objectName, string createdById, DateTime createdDate, string apiVersion,
        string columnDelimiter, string lineEnding, QueryExecution execution)
    {
        Id = id;
        Operation = operation;
        Object = objectName;
        CreatedById = createdById;
        CreatedDate = createdDate;
        SystemModstamp = createdDate;
        ApiVersion = apiVersion;
        ColumnDelimiter = columnDelimiter;
        LineEnding = lineEnding;
        Execution = execution;
    }

    /// <summary>Job id (750…).</summary>
    public string Id { get; }
    /// <summary>query or queryAll.</summary>
    public string Operation { get; }
    /// <summary>The queried sObject.</summary>
    public string Object { get; }
    /// <summary>Creator.</summary>
    public string CreatedById { get; }
    /// <summary>Creation time.</summary>
    public DateTime CreatedDate { get; }
    /// <summary>Last state change.</summary>
    public DateTime SystemModstamp { get; internal set; }
    /// <summary>API version of the creating call.</summary>
    public string ApiVersion { get; }
    /// <summary>COMMA, TAB, SEMICOLON, PIPE, CARET or BACKQUOTE.</summary>
    public string ColumnDelimiter { get; }
    /// <summary>LF or CRLF.</summary>
    public string LineEnding { get; }
    /// <summary>Current state.</summary>
    public BulkJobState State { get; internal set; } = BulkJobState.UploadComplete;
    /// <summary>Status polls so far.</summary>
    public int Polls { get; internal set; }
    /// <summary>The query snapshot.</summary>
    public QueryExecution Execution { get; }
    /// <summary>The user who may see it.</summary>
    internal string OwnerUserId => CreatedById;
}

/// <summary>
/// Holds Bulk API 2.0 query jobs and moves them UploadComplete → InProgress → JobComplete deterministically:
/// each status poll advances the job, and completion also waits for <see cref="CompletionDelay"/> on the clock.
/// </summary>
public sealed class BulkQueryJobs
{
    private readonly SalesforceStore _store;
    private readonly QueryService _queries;
    private readonly ConcurrentDictionary<string, BulkQueryJob> _jobs = new(StringComparer.Ordinal);
    private long _sequence;
    private int _createdToday;

    /// <summary>Creates the registry.</summary>
    public BulkQueryJobs(SalesforceStore store, QueryService queries)
    {
        _store = store;
        _queries = queries;
    }

    /// <summary>Status polls after which a job is complete (the first poll shows InProgress). 0: complete at the first status or results request.</summary>
    public int PollsToComplete { get; set; } = 2;

    /// <summary>Minimum clock time between creation and completion.</summary>
    public TimeSpan CompletionDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Jobs created (for /limits).</summary>
    public int JobsCreatedToday => _createdToday;

    /// <summary>All jobs.</summary>
    public IReadOnlyCollection<BulkQueryJob> All => _jobs.Values.OrderBy(j => j.CreatedDate).ToList();

    /// <summary>Creates a job (the query is compiled and run now).</summary>
    /// <exception cref="Soql.SoqlException">The query is invalid.</exception>
    public BulkQueryJob Create(string operation, string soql, string userId, bool restricted, string apiVersion, string columnDelimiter, string lineEnding)
    {
        var plan = _queries.Compile(soql, restricted);
        var execution = _queries.Execute(plan, includeDeleted: operation == "queryAll", apiVersion);
        var job = new BulkQueryJob(SalesforceId.Create("750", Interlocked.Increment(ref _sequence)), operation, plan.ObjectName, userId,
            _store.NextStamp(), apiVersion, columnDelimiter, lineEnding, execution);
        Interlocked.Increment(ref _createdToday);
        _jobs[job.Id] = job;
        return job;
    }

    /// <summary>Finds a job.</summary>
    public BulkQueryJob? Find(string id) =>
        SalesforceId.TryNormalize(id, out var normalized) && _jobs.TryGetValue(normalized, out var job) ? job : null;

    /// <summary>Records a status poll and advances the state.</summary>
    public void Poll(BulkQueryJob job)
    {
        lock (job)
        {
            job.Polls++;
            Advance(job);
        }
    }

    /// <summary>Advances a job by the clock only (results requests do not count as polls).</summary>
    public void Advance(BulkQueryJob job)
    {
        lock (job)
        {
            if (job.State is BulkJobState.Aborted or BulkJobState.Failed or BulkJobState.JobComplete)
            {
                return;
            }
            var now = _store.Clock.GetUtcNow().UtcDateTime;
            bool delayPassed = now - job.CreatedDate >= CompletionDelay;
            var next = job.Polls >= PollsToComplete && delayPassed ? BulkJobState.JobComplete
                : job.Polls >= 1 ? BulkJobState.InProgress
                : job.State;
            if (next != job.State)
            {
                job.State = next;
                job.SystemModstamp = _store.NextStamp();
            }
        }
    }

    /// <summary>Aborts a job.</summary>
    public void Abort(BulkQueryJob job)
    {
        lock (job)
        {
            if (job.State is BulkJobState.UploadComplete or BulkJobState.InProgress)
            {
                job.State = BulkJobState.Aborted;
                job.SystemModstamp = _store.NextStamp();
            }
        }
    }

    /// <summary>Deletes a job.</summary>
    public bool Delete(BulkQueryJob job) => _jobs.TryRemove(job.Id, out _);
}
