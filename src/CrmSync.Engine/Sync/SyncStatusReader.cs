using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Computes a profile's <see cref="SyncStatus"/> from its store: no runs → NotStarted; a Running run whose lease is
/// alive → InProgress; the latest run failed, or it is marked Running but its lease is gone (the process died) →
/// Failed; otherwise LastSynced.
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

    /// <summary>Reads the status from an open store.</summary>
    public static SyncStatus Read(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var connection = store.OpenConnection();
        // one read transaction: every figure comes from the same snapshot (WAL readers never block the sync)
        using var snapshot = connection.BeginTransaction(deferred: true);

        var info = store.Profile.Read(snapshot) ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", "Run Connect-CrmSync to create the profile.",
            store.DatabasePath);
        var now = store.Time.GetUtcNow();
        var latest = store.Runs.Latest(snapshot);
        var lease = store.RunLock.ReadCurrent(snapshot);
        var lastSuccess = store.Runs.LatestIn(RunState.Succeeded, snapshot);
        var latestFinished = store.Runs.LatestFinished(snapshot);

        SyncState state;
        SyncStatusError? error = null;
        RunRecord? countsRun;
        if (latest is null)
        {
            state = SyncState.NotStarted;
            countsRun = null;
        }
        else if (latest.State == RunState.Running && lease is not null && lease.IsAliveAt(now))
        {
            state = SyncState.InProgress;
            countsRun = latest;
        }
        else if (latest.State == RunState.Running)
        {
            state = SyncState.Failed;
            error = new SyncStatusError(
                string.Create(CultureInfo.InvariantCulture,
                    $"Run {latest.Id}, started {latest.StartedAt:O} on {latest.Host} (process {latest.ProcessId}), stopped without finishing: its process ended or lost the sync lock. The next run resumes from the last committed checkpoint."),
                ErrorIds.SyncFailed, latest.StartedAt);
            countsRun = latest;
        }
        else if (latest.State == RunState.Failed)
        {
            state = SyncState.Failed;
            error = new SyncStatusError(latest.ErrorMessage ?? "The run failed.", latest.ErrorId ?? ErrorIds.SyncFailed,
                latest.EndedAt ?? latest.StartedAt);
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
                .Select(c => new SyncOperationCount(c.ObjectName, c.Operation, c.New, c.Updated, c.Deleted, c.Failed, c.Skipped))
                .ToList();

        var checkpoints = store.Checkpoints.List(snapshot).Where(c => c.RowsTotal is not null).ToList();
        long? pullBacklog = checkpoints.Count == 0 ? null : checkpoints.Sum(c => Math.Max(0, c.RowsTotal!.Value - c.RowsDone));
        var usage = store.ApiUsage.Latest(snapshot);

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
            PullBacklog = pullBacklog,
            ApiUsed = usage?.Used,
            ApiMax = usage?.Max,
            NextRun = info.NextRunAt is { } next && next > now ? next : null,
            DatabasePath = store.DatabasePath,
            Notification = Notifications.NotificationSetup.ReadStatus(store, snapshot),
        };
    }
}
