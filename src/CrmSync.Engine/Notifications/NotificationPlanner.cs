using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Notifications;

/// <summary>How one attempt to sync ended, as the planner sees it.</summary>
/// <param name="Key">Unique per outcome: <c>run-&lt;id&gt;</c>, or <c>start-&lt;time&gt;</c> for a start that failed before any run was recorded.</param>
internal sealed record CycleOutcome(string Key, DateTimeOffset At, RunState State, string? ErrorId, string? Message, bool StoppedAtApiReserve = false);

/// <summary>
/// Decides which notification mails are due and records them in the outbox, in ONE transaction together with the planner's
/// state, so that every event is recorded exactly once:
/// <list type="bullet">
/// <item>Run outcomes are read from the run history (<c>crmsync_run</c>) after a cursor kept in the same row as the state;
/// a crash after a run finished and before the planner ran is caught up by the next planning pass, never lost.</item>
/// <item>The initial sync completed: once, when no synced object needs its initial copy any more after an Initial run.</item>
/// <item>The failure digest: when at least 24 hours have passed since the previous digest (or since notifications were set
/// up) and record-level errors occurred since then; the period then restarts.</item>
/// <item>Trouble: credentials rejected and API limits at once; any other job-level error after
/// <see cref="NotificationSettings.TroubleThreshold"/> consecutive cycles with the same error; one mail per trouble, and one
/// "recovered" mail at the next successful cycle.</item>
/// </list>
/// Events that are not selected in <see cref="NotificationSettings.Events"/> still move the state (so switching an event on
/// later does not replay the past) but record no mail.
/// </summary>
internal sealed class NotificationPlanner
{
    /// <summary>The digest period.</summary>
    public static readonly TimeSpan DigestPeriod = TimeSpan.FromHours(24);

    /// <summary>How many failed records a digest lists (the rest are counted).</summary>
    public const int DigestListLimit = 100;

    private readonly CrmSyncStore _store;
    private readonly NotificationTable _table;
    private readonly ShellActionRenderer? _words;

    /// <param name="words">How the mails spell the action and parameter tokens in error messages; null leaves them.</param>
    public NotificationPlanner(CrmSyncStore store, ShellActionRenderer? words = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _table = new NotificationTable(store);
        _words = words;
    }

    private string? Words(string? text) => _words is null ? text : _words.RenderText(text);

    /// <summary>
    /// Evaluates every finished run not yet evaluated, then <paramref name="startFailure"/> (a start that failed before a run
    /// was recorded), the initial sync and the digest; records the mails due. Returns how many mails were recorded (0 when
    /// the profile has no notification settings).
    /// </summary>
    /// <param name="stoppedAtApiReserve">Runs that stopped early because the API allowance reached its reserve (known
    /// only to the process that ran them; the run history does not record it).</param>
    public int Plan(CycleOutcome? startFailure = null, IReadOnlyCollection<long>? stoppedAtApiReserve = null)
    {
        var settings = _table.ReadSettings();
        if (settings is null)
            return 0;
        var profile = _store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {_store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", _store.DatabasePath);
        var initialDone = IsInitialSyncDone(_store, profile);
        var now = _store.Time.GetUtcNow();

        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE: one planner at a time
        var state = _table.ReadState(transaction)!;
        var recorded = 0;
        void Record(NotificationEvent selectedBy, NewNotificationMail mail)
        {
            if ((settings.Events & selectedBy) != 0 && _table.Enqueue(mail, transaction))
                recorded++;
        }

        var context = new NotificationMessages.Context(profile.Name, profile.Crm.ToString(), _store.DatabasePath);
        foreach (var run in _store.Runs.FinishedAfter(state.RunCursor, transaction))
        {
            var outcome = new CycleOutcome($"run-{run.Id}", run.EndedAt ?? run.StartedAt, run.State, run.ErrorId, Words(run.ErrorMessage),
                stoppedAtApiReserve?.Contains(run.Id) == true);
            state = Apply(state, outcome, settings, context, Record) with { RunCursor = run.Id };
        }
        if (startFailure is not null)
            state = Apply(state, startFailure with { Message = Words(startFailure.Message) }, settings, context, Record);

        if (!state.InitialSyncNoted && initialDone && _store.Runs.HasFinished(RunKind.Initial, transaction))
        {
            Record(NotificationEvent.InitialSyncCompleted, NotificationMessages.InitialSyncCompleted(context, ReadInitialSummary(transaction)));
            state = state with { InitialSyncNoted = true };
        }

        if (now - state.DigestPeriodStart >= DigestPeriod)
        {
            var digest = ReadFailedRecords(transaction, state.DigestPeriodStart, now);
            if (digest.Total > 0)
            {
                Record(NotificationEvent.FailureDigest, NotificationMessages.FailureDigest(context, digest,
                    "digest-" + StoreTime.Format(state.DigestPeriodStart)));
                state = state with { DigestPeriodStart = now };
            }
        }

        _table.SaveState(state, transaction);
        transaction.Commit();
        return recorded;
    }

    /// <summary>True when the profile has started and no synced object still needs (or is in) its initial copy.</summary>
    internal static bool IsInitialSyncDone(CrmSyncStore store, ProfileInfo profile)
    {
        if (profile.FirstStartedAt is null)
            return false;
        var plans = SyncedObjectPlan.ReadAll(store, SyncedObjectCatalog.For(profile.Crm));
        return plans.Count > 0 && !plans.Any(p => PullPhase.NeedsInitialCopy(store, p.ObjectName));
    }

    private static NotificationPlannerState Apply(NotificationPlannerState state, CycleOutcome outcome, NotificationSettings settings,
        NotificationMessages.Context context, Action<NotificationEvent, NewNotificationMail> record)
    {
        switch (outcome.State)
        {
            case RunState.Succeeded when outcome.StoppedAtApiReserve:
                return EnterTrouble(state with { StreakErrorId = null, StreakCount = 0 }, SyncTroubleKind.ApiLimitReached,
                    ErrorIds.CrmApiLimitExceeded, outcome with
                    {
                        Message = "The cycle stopped early because the CRM's API allowance reached the reserve CrmSync keeps; " +
                                  "the remaining work waits for the allowance to recover.",
                    }, 1, context, record);
            case RunState.Succeeded:
                if (state.Trouble is { } trouble)
                    record(NotificationEvent.SyncTrouble, NotificationMessages.Recovered(context, trouble, state.TroubleSince, outcome,
                        "recovered-" + outcome.Key));
                return state with { StreakErrorId = null, StreakCount = 0, Trouble = null, TroubleErrorId = null, TroubleSince = null };
            case RunState.Failed:
                var errorId = outcome.ErrorId ?? ErrorIds.SyncFailed;
                var streak = string.Equals(state.StreakErrorId, errorId, StringComparison.Ordinal) ? state.StreakCount + 1 : 1;
                state = state with { StreakErrorId = errorId, StreakCount = streak };
                SyncTroubleKind? kind = errorId switch
                {
                    ErrorIds.InvalidCredentials => SyncTroubleKind.CredentialsRejected,
                    ErrorIds.CrmApiLimitExceeded => SyncTroubleKind.ApiLimitReached,
                    _ when streak >= settings.TroubleThreshold => SyncTroubleKind.RepeatedError,
                    _ => null,
                };
                return kind is { } k ? EnterTrouble(state, k, errorId, outcome, streak, context, record) : state;
            default:
                // Cancelled (Ctrl+C, Stop-CrmSync) is neither trouble nor recovery.
                return state;
        }
    }

    private static NotificationPlannerState EnterTrouble(NotificationPlannerState state, SyncTroubleKind kind, string errorId, CycleOutcome outcome,
        int consecutive, NotificationMessages.Context context, Action<NotificationEvent, NewNotificationMail> record)
    {
        if (state.Trouble == kind && string.Equals(state.TroubleErrorId, errorId, StringComparison.Ordinal))
            return state; // already notified; one mail per trouble
        record(NotificationEvent.SyncTrouble, NotificationMessages.Trouble(context, kind, errorId, outcome, consecutive, "trouble-" + outcome.Key));
        return state with { Trouble = kind, TroubleErrorId = errorId, TroubleSince = state.Trouble is null ? outcome.At : state.TroubleSince };
    }

    private InitialSyncSummary ReadInitialSummary(SqliteTransaction transaction)
    {
        var totals = _store.Runs.Totals(RunKind.Initial, RunOperation.PullUpdates, transaction);
        var started = totals.FirstStartedAt ?? _store.Time.GetUtcNow();
        return new InitialSyncSummary([.. totals.Objects.Select(o => new InitialSyncObjectCount(o.ObjectName, o.New, o.Updated, o.Failed))],
            started, totals.LastEndedAt ?? started, totals.Runs);
    }

    private FailedRecordDigest ReadFailedRecords(SqliteTransaction transaction, DateTimeOffset from, DateTimeOffset to)
    {
        var (total, first) = _store.Errors.RecordErrorsBetween(from, to, DigestListLimit, transaction);
        return new FailedRecordDigest(from, to, total, [.. first.Select(e =>
            new FailedRecord(e.ObjectName, e.LocalKey, e.CrmId, e.ErrorId, e.CrmErrorCode, Words(e.Message)!, e.LastAt, e.Times))]);
    }
}

/// <summary>What the initial copy moved per object.</summary>
internal sealed record InitialSyncObjectCount(string ObjectName, long New, long Updated, long Failed);

/// <summary>The "initial sync completed" mail's figures.</summary>
internal sealed record InitialSyncSummary(IReadOnlyList<InitialSyncObjectCount> Objects, DateTimeOffset StartedAt, DateTimeOffset EndedAt, long Runs)
{
    public TimeSpan Duration => EndedAt - StartedAt;
}

/// <summary>One record that failed to sync in a digest period (ids and the CRM's message only, never field values).</summary>
internal sealed record FailedRecord(string? ObjectName, string? LocalKey, string? CrmId, string ErrorId, string? CrmErrorCode, string Message,
    DateTimeOffset LastAt, long Times);

/// <summary>The records that failed to sync in a period: the first <see cref="NotificationPlanner.DigestListLimit"/> and the total.</summary>
internal sealed record FailedRecordDigest(DateTimeOffset From, DateTimeOffset To, long Total, IReadOnlyList<FailedRecord> Records);
