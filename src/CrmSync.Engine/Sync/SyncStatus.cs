using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>The state of a profile's sync, as Marketo shows it: not started, in progress, last synced, failed.</summary>
public enum SyncState
{
    /// <summary>No sync run has been started for the profile.</summary>
    NotStarted,
    /// <summary>A run is going on now (it holds a live run lease).</summary>
    InProgress,
    /// <summary>The last run succeeded.</summary>
    LastSynced,
    /// <summary>The last run failed, or died without finishing.</summary>
    Failed,
}

/// <summary>What one cycle did to one object in one operation.</summary>
public sealed record SyncOperationCount(
    string ObjectName,
    RunOperation Operation,
    long New,
    long Updated,
    long Deleted,
    long Failed,
    long Skipped,
    long Filtered = 0)
{
    // Filtered: records the sync filter kept out (an explicit No on the profile's sync-filter field: not written, or left stale).
}

/// <summary>The error that made the state <see cref="SyncState.Failed"/>.</summary>
/// <param name="Message">What went wrong (never contains secrets).</param>
/// <param name="ErrorId">The catalogued error id (see <see cref="ErrorIds"/>).</param>
/// <param name="OccurredAt">When the failed run ended, or when the dead run started.</param>
public sealed record SyncStatusError(string Message, string ErrorId, DateTimeOffset OccurredAt)
{
    /// <summary>What to do about it.</summary>
    public string? RecommendedAction { get; init; }
}

/// <summary>A profile's sync status (Get-CrmSyncStatus).</summary>
public sealed record SyncStatus
{
    /// <summary>The profile name.</summary>
    public required string Profile { get; init; }
    /// <summary>Salesforce or Dynamics.</summary>
    public required CrmKind Crm { get; init; }
    /// <summary>NotStarted, InProgress, LastSynced or Failed.</summary>
    public required SyncState State { get; init; }
    /// <summary>False when sync is disabled for the profile.</summary>
    public required bool Enabled { get; init; }
    /// <summary>When the last successful run ended.</summary>
    public DateTimeOffset? LastSuccess { get; init; }
    /// <summary>When the most recent run started.</summary>
    public DateTimeOffset? LastRunStarted { get; init; }
    /// <summary>The error behind a Failed state; null otherwise.</summary>
    public SyncStatusError? LastError { get; init; }
    /// <summary>Per object and operation counts of the last finished cycle (of the running one while InProgress).</summary>
    public required IReadOnlyList<SyncOperationCount> Counts { get; init; }
    /// <summary>Local changes waiting to be pushed.</summary>
    public required long PushBacklog { get; init; }
    /// <summary>Of those, the changes waiting for a retry after a transient failure (e.g. UNABLE_TO_LOCK_ROW), backing off.</summary>
    public long RetryWaiting { get; init; }
    /// <summary>When the first change waiting for a retry is due (the next cycle after it retries it); null when none waits.
    /// Start-CrmSync -RetryNow (crmsync start --retry-now) retries them at once.</summary>
    public DateTimeOffset? NextRetryAt { get; init; }
    /// <summary>Rows the open checkpoints still have to pull, when the CRM reported totals; null when unknown.</summary>
    public long? PullBacklog { get; init; }
    /// <summary>API calls used in the CRM's window, as last reported.</summary>
    public long? ApiUsed { get; init; }
    /// <summary>The CRM's API allowance, as last reported.</summary>
    public long? ApiMax { get; init; }
    /// <summary>When a continuous sync plans its next cycle; null when none is planned.</summary>
    public DateTimeOffset? NextRun { get; init; }
    /// <summary>The profile's database file.</summary>
    public required string DatabasePath { get; init; }
    /// <summary>E-mail notifications: mails waiting, last sent, last sending error; null when none are set up.</summary>
    public Notifications.NotificationStatus? Notification { get; init; }
}
