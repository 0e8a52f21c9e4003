using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Computes a profile's <see cref="SyncStatus"/> from its store: no runs → NotStarted; a Running run whose lease is
/// alive and whose holder still runs → InProgress; the latest run failed (also a start that failed before its cycle:
/// sign-in, secrets, lock), or it is marked Running but its process is gone or its lease expired (killed, full disk) →
/// Failed, with the error, when, and what to do; otherwise LastSynced.
/// </summary>
public sealed class SyncStatusReader
{
    private readonly ProfileStore _profiles;

    /// <summary>A reader over <paramref name="profiles"/>.</summary>
    public SyncStatusReader(ProfileStore profiles) => _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));

    /// <summary>
    /// Reads the status of <paramref name="profile"/> (at <paramref name="databasePath"/> when given). Throws
    /// <see cref="ErrorIds.ProfileNotFound"/> for an unknown profile.
    /// </summary>
    public SyncStatus Read(string profile, string? databasePath = null)
    {
        using var store = _profiles.Open(profile, databasePath);
        return Read(store);
    }

    /// <summary>What to do about a failed run, by its error id (the status shows it under the error).</summary>
    public static string RecommendedActionFor(string errorId) => RecommendedActionFor(errorId, CrmKind.Salesforce, CrmAuthMethod.Password);

    /// <summary>What to do about a failed run of a <paramref name="crm"/> profile signing in with <paramref name="authMethod"/>
    /// (the credentials advice names that CRM's secrets and environment variables).</summary>
    public static string RecommendedActionFor(string errorId, CrmKind crm, CrmAuthMethod authMethod) => errorId switch
    {
        ErrorIds.InvalidCredentials =>
            $"Run {ShellAction.Connect} again with the current " +
            (crm == CrmKind.Dynamics ? (authMethod == CrmAuthMethod.ClientCredentials ? "client secret" : "password") : "password and security token") +
            $", then {ShellAction.Start}.",
        ErrorIds.CredentialsNotSaved or ErrorIds.SecretNotFound or ErrorIds.SecretStoreUnreadable or ErrorIds.SecretStoreInsecure =>
            $"Run {ShellAction.Connect} to save the credentials, or set {ProfileConnector.SecretVariablesFor(crm, authMethod)} for a process-scope profile, then {ShellAction.Start}.",
        ErrorIds.CrmUnreachable or ErrorIds.CrmTimeout or ErrorIds.CrmCircuitOpen or ErrorIds.CrmRequestFailed =>
            "Check the network and the CRM's status page; the next scheduled start retries (nothing is lost: it resumes from the last committed page).",
        ErrorIds.NotACrmEndpoint or ErrorIds.InsecureTransport =>
            $"Check the profile's login URL ({ShellAction.Connect.With(ActionParameter.LoginUrl)}), then {ShellAction.Start}.",
        ErrorIds.CrmApiLimitExceeded =>
            "Wait for the CRM's API allowance to renew (or raise it); the next start continues where this one stopped.",
        ErrorIds.SyncLockHeld =>
            $"Another run held the sync lock: wait for it to finish ({ShellAction.Status}), or stop it; do not schedule overlapping starts.",
        ErrorIds.FieldsNotSynced =>
            $"Run {ShellAction.SyncFields} to create the fields, review the mappings, then {ShellAction.Start}.",
        ErrorIds.ExternalIdFieldMissing =>
            $"Add the External ID field named in the error to the CRM objects named there, then {ShellAction.Start}.",
        ErrorIds.DatabaseLocked =>
            $"Close the other program writing to the database, then {ShellAction.Start}; it resumes from the last committed page.",
        _ => $"See {ShellAction.Errors} for the details, fix the cause, then run {ShellAction.Start}: it resumes from the last committed page.",
    };

    private static CrmAuthMethod AuthMethodOf(string settingsJson) => ProfileConnectorSettings.Read(settingsJson).AuthMethod;

    /// <summary>Reads the status from an open store.</summary>
    public static SyncStatus Read(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var connection = store.OpenConnection();
        // one read transaction: every figure comes from the same snapshot (WAL readers never block the sync)
        using var snapshot = connection.BeginTransaction(deferred: true);

        var info = store.Profile.Read(snapshot) ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.",
            store.DatabasePath);
        var now = store.Time.GetUtcNow();
        var latest = store.Runs.Latest(snapshot);
        var lease = store.RunLock.ReadCurrent(snapshot);
        var lastSuccess = store.Runs.LatestIn(RunState.Succeeded, snapshot);
        var latestFinished = store.Runs.LatestFinished(snapshot);
        var running = store.Runs.LatestIn(RunState.Running, snapshot);

        SyncState state;
        SyncStatusError? error = null;
        RunRecord? countsRun;
        if (latest is null)
        {
            state = SyncState.NotStarted;
            countsRun = null;
        }
        else if (running is not null && lease is not null && RunLock.IsHeldAt(lease, now))
        {
            // A live run holds the lock (a start refused meanwhile by the lock is in the history, not the state).
            state = SyncState.InProgress;
            countsRun = running;
        }
        else if (latest.State == RunState.Running)
        {
            // Killed, or stopped by a full disk before it could record its end: its process is gone (this host) or its lease expired.
            state = SyncState.Failed;
            error = new SyncStatusError(
                string.Create(CultureInfo.InvariantCulture,
                    $"Run {latest.Id}, started {latest.StartedAt:O} on {latest.Host} (process {latest.ProcessId}), was interrupted: it stopped without finishing (its process was killed or ended, the disk was full, or it lost the sync lock). Everything up to its last committed page is kept."),
                ErrorIds.SyncFailed, latest.StartedAt)
            {
                RecommendedAction = $"Check the free disk space and the log of the scheduled task or service, then run {ShellAction.Start}: it resumes from the last committed page.",
            };
            countsRun = latest;
        }
        else if (latest.State == RunState.Failed)
        {
            state = SyncState.Failed;
            var errorId = latest.ErrorId ?? ErrorIds.SyncFailed;
            error = new SyncStatusError(latest.ErrorMessage ?? "The run failed.", errorId, latest.EndedAt ?? latest.StartedAt)
            {
                RecommendedAction = RecommendedActionFor(errorId, info.Crm, AuthMethodOf(info.SettingsJson)),
            };
            countsRun = latest;
        }
        else
        {
            // Succeeded, or Cancelled by the user (not a failure): the data is as of the last committed page.
            state = lastSuccess is null && latestFinished?.State == RunState.Cancelled ? SyncState.NotStarted : SyncState.LastSynced;
            countsRun = latestFinished;
        }

        var counts = countsRun is null
            ? []
            : store.Runs.Counts(countsRun.Id, snapshot)
                .Select(c => new SyncOperationCount(c.ObjectName, c.Operation, c.New, c.Updated, c.Deleted, c.Failed, c.Skipped, c.Filtered))
                .ToList();

        var checkpoints = store.Checkpoints.List(snapshot).Where(c => c.RowsTotal is not null).ToList();
        long? pullBacklog = checkpoints.Count == 0 ? null : checkpoints.Sum(c => Math.Max(0, c.RowsTotal!.Value - c.RowsDone));
        var usage = store.ApiUsage.Latest(snapshot);
        var (retryWaiting, nextRetry) = store.Outbox.CountWaitingForRetry(snapshot);

        return new SyncStatus
        {
            Profile = info.Name,
            Crm = info.Crm,
            State = state,
            Enabled = info.SyncEnabled,
            LastSuccess = lastSuccess?.EndedAt,
            LastRunStarted = latest?.StartedAt,
            LastError = error,
            Counts = counts,
            PushBacklog = store.Outbox.CountBacklog(snapshot),
            RetryWaiting = retryWaiting,
            NextRetryAt = nextRetry,
            PullBacklog = pullBacklog,
            ApiUsed = usage?.Used,
            ApiMax = usage?.Max,
            NextRun = info.NextRunAt is { } next && next > now ? next : null,
            DatabasePath = store.DatabasePath,
            Notification = Notifications.NotificationSetup.ReadStatus(store, snapshot),
        };
    }
}
