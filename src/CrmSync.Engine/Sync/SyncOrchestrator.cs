using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Sync;

/// <summary>
/// Runs sync cycles for one profile: takes the run lock (a second start gets <see cref="ErrorIds.SyncLockHeld"/> naming
/// the holder; a dead holder's lease expires), starts a run (Initial while any object still needs its first copy,
/// Incremental otherwise), locks the field mappings at the first start, pulls every synced object (<see cref="PullPhase"/>),
/// then runs the push phase (issue 6) if one is given, records per object × operation counts and API calls, and finishes
/// the run as Succeeded, Failed (with the error recorded) or Cancelled; a successful cycle then deletes the sync errors older
/// than <see cref="SyncOptions.ErrorRetention"/> (5 days by default). A failed or cancelled cycle leaves everything as of
/// its last committed page; the next cycle resumes from there.
/// </summary>
public sealed class SyncOrchestrator
{
    private readonly CrmSyncStore _store;
    private readonly ICrmClient _client;
    private readonly SyncOptions _options;
    private readonly IPushPhase? _push;
    private readonly ISyncEventSink? _events;
    private readonly CrmCallCounter? _callCounter;
    private readonly SyncedObjectCatalog? _objects;
    private readonly TimeProvider _time;

    /// <summary>An orchestrator for the profile whose database is <paramref name="store"/>.</summary>
    /// <param name="store">The profile's database; its <see cref="CrmSyncStore.Time"/> is the clock of the cycle and of the continuous loop.</param>
    /// <param name="client">The CRM client (signed in lazily).</param>
    /// <param name="options">Read sizes and schedules; null for the defaults.</param>
    /// <param name="push">The push phase run after the pull (issue 6); null pushes nothing.</param>
    /// <param name="events">Receives verbose messages and warnings; may be null.</param>
    /// <param name="callCounter">The counter wired as the client's <see cref="CrmClientOptions.Events"/>: the run's API calls are then the
    /// real HTTP requests. Null counts the calls the cycle itself made (pages, batches).</param>
    /// <param name="objects">The synced objects of the CRM; null uses the list of the profile's CRM.</param>
    public SyncOrchestrator(CrmSyncStore store, ICrmClient client, SyncOptions? options = null, IPushPhase? push = null,
        ISyncEventSink? events = null, CrmCallCounter? callCounter = null, SyncedObjectCatalog? objects = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? new SyncOptions();
        _options.Validate();
        _push = push;
        _events = events;
        _callCounter = callCounter;
        _objects = objects;
        _time = store.Time;
    }

    /// <summary>The default interval of a continuous sync (Marketo: a cycle, a 5-minute pause, again).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(5);

    /// <summary>True until the first Start-CrmSync of the profile (which asks for confirmation: it locks the mappings).</summary>
    public static bool IsFirstStart(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return ReadProfile(store).FirstStartedAt is null;
    }

    /// <summary>Stop-CrmSync: disables the persistent sync; a continuous loop ends after its current cycle. Start-CrmSync enables it again.</summary>
    public static void DisableSync(CrmSyncStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        ReadProfile(store);
        store.Profile.SetSyncEnabled(false);
        store.Profile.SetNextRun(null);
    }

    /// <summary>Runs one cycle and returns its result (also for a failed or cancelled cycle).</summary>
    /// <param name="progress">Progress after every committed page; the caller rate-limits it.</param>
    /// <param name="cancellationToken">Ctrl+C: the cycle stops after the page in flight and is recorded as Cancelled.</param>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.SyncLockHeld"/> when another run holds the lock;
    /// <see cref="ErrorIds.SyncDisabled"/> when sync is disabled and <see cref="SyncOptions.EnableSync"/> is false;
    /// <see cref="ErrorIds.ProfileNotFound"/>; <see cref="ErrorIds.FieldsNotSynced"/> before Sync-CrmField created any field.
    /// No run is recorded for these.</exception>
    public Task<SyncRunResult> RunCycleAsync(IProgress<SyncProgress>? progress, CancellationToken cancellationToken) =>
        RunCycleCoreAsync(_options.EnableSync, progress, cancellationToken);

    /// <summary>
    /// <c>-Continuous</c>: runs cycles until <paramref name="cancellationToken"/> is cancelled or the profile's sync is disabled
    /// (Stop-CrmSync, seen after a cycle and at every wake-up), waiting <paramref name="interval"/> from the END of each cycle
    /// on the store's clock. A failed cycle does not end the loop (the next one resumes); a lock held by another run skips
    /// that turn with a warning (except on the first turn, which throws). Returns the number of cycles run.
    /// </summary>
    /// <param name="cycleCompleted">Called with each cycle's result, on the engine's thread.</param>
    public async Task<int> RunContinuousAsync(TimeSpan interval, IProgress<SyncProgress>? progress, Action<SyncRunResult>? cycleCompleted,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var cycles = 0;
        var first = true;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                SyncRunResult? result = null;
                try
                {
                    result = await RunCycleCoreAsync(first && _options.EnableSync, progress, cancellationToken).ConfigureAwait(false);
                }
                catch (CrmSyncException e) when (!first && e.ErrorId == ErrorIds.SyncLockHeld)
                {
                    _events?.Report(new SyncEvent(SyncEventLevel.Warning, e.Message + " This turn of the continuous sync is skipped."));
                }
                catch (CrmSyncException e) when (!first && e.ErrorId == ErrorIds.SyncDisabled)
                {
                    break;
                }
                first = false;
                if (result is not null)
                {
                    cycles++;
                    cycleCompleted?.Invoke(result);
                    if (result.State == RunState.Cancelled)
                        break;
                }
                if (cancellationToken.IsCancellationRequested || !ReadProfile(_store).SyncEnabled)
                    break;
                _store.Profile.SetNextRun(_time.GetUtcNow() + interval);
                try
                {
                    await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                if (!ReadProfile(_store).SyncEnabled)
                {
                    _events?.Report(new SyncEvent(SyncEventLevel.Verbose, $"Sync was disabled ({ShellAction.Stop}): the continuous sync ends."));
                    break;
                }
            }
        }
        finally
        {
            try
            {
                _store.Profile.SetNextRun(null);
            }
            catch (CrmSyncException)
            {
                // The database is unavailable: the stale next run time is harmless and replaced by the next loop.
            }
        }
        return cycles;
    }

    private async Task<SyncRunResult> RunCycleCoreAsync(bool enableSync, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var profile = ReadProfile(_store);
        if (!profile.SyncEnabled)
        {
            if (!enableSync)
                throw new CrmSyncException(ErrorIds.SyncDisabled, ErrorKind.InvalidOperation,
                    $"Sync is disabled for profile '{profile.Name}' ({ShellAction.Stop}).",
                    $"Run {ShellAction.Start} to enable it again.", profile.Name);
            _store.Profile.SetSyncEnabled(true);
        }
        var objects = _objects ?? SyncedObjectCatalog.For(profile.Crm);
        var lease = _store.RunLock.Acquire(_options.LeaseDuration);
        if (lease.TookOverFrom is { } crashed)
            _events?.Report(new SyncEvent(SyncEventLevel.Warning,
                $"Took over the lease of a crashed run (pid {crashed.ProcessId} on {crashed.Host}, since {StoreTime.Format(crashed.AcquiredAt)})."));
        try
        {
            SyncWriteMarker.ClearStaleMark(_store);
            if (_store.Runs.CloseInterrupted() is > 0 and var closed)
                _events?.Report(new SyncEvent(SyncEventLevel.Verbose,
                    $"{closed} earlier run(s) had stopped without finishing (killed, or a full disk); they are recorded as failed, and this run resumes from their last committed page."));
            _push?.PrepareCapture(_store, objects); // before the pull: an edit made while the initial copy runs is captured too
            var plans = SyncedObjectPlan.ReadAll(_store, objects, profile.SyncFilterField ?? objects.DefaultSyncFilterField);
            if (plans.Count == 0)
                throw new CrmSyncException(ErrorIds.FieldsNotSynced, ErrorKind.InvalidOperation,
                    $"Profile '{profile.Name}' has no synced fields yet, so there is nothing to sync.",
                    $"Run {ShellAction.SyncFields} to create the fields, review the mappings, then {ShellAction.Start}.", profile.Name);
            if (profile.FirstStartedAt is null || profile.MappingsLockedAt is null)
            {
                _store.Write(transaction =>
                {
                    _store.Profile.LockMappings(transaction);
                    _store.Profile.MarkFirstStarted(transaction);
                    SchemaRefreshPhase.MarkRefreshed(_store, transaction); // Sync-CrmField has just described the CRM
                });
            }
            var kind = plans.Any(p => PullPhase.NeedsInitialCopy(_store, p.ObjectName)) ? RunKind.Initial : RunKind.Incremental;
            return await RunAsync(plans, objects, profile.SyncFilterField ?? objects.DefaultSyncFilterField, kind, lease, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                _store.RunLock.Release(lease);
            }
            catch (CrmSyncException)
            {
                // The lease expires on its own.
            }
        }
    }

    private async Task<SyncRunResult> RunAsync(IReadOnlyList<SyncedObjectPlan> plans, SyncedObjectCatalog objects, string? syncFilterField, RunKind kind, RunLease lease,
        IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        var runId = _store.Runs.Start(kind, _options.TriggeredBy);
        var startedAt = _time.GetUtcNow();
        var startedTimestamp = _time.GetTimestamp();
        var callsBefore = _callCounter?.Count;
        var relay = new SyncEventRelay(_events);
        var counts = new SyncRunCounts(_store, runId);
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var heartbeat = new LeaseKeeper(_store, lease, _options.LeaseDuration, _time);
        var context = new SyncCycleContext(_store, _client, runId, kind, _options, counts, relay, progress, heartbeat.BeatIfDue);
        var warnings = new RecordWarningLog(_store, runId, _options.MaxRecordWarningsPerField, relay);
        var schema = new SchemaRefreshPhase(context, objects);
        PullPhase? pull = null;
        relay.Verbose($"Sync run {runId} ({kind}) started for {plans.Count} objects.");

        var keeper = heartbeat.KeepAliveAsync(lost, lost.Token);
        var state = RunState.Succeeded;
        CrmSyncException? error = null;
        try
        {
            if (SchemaRefreshPhase.IsDue(_store, _options.SchemaRefreshInterval) && await schema.RunAsync(lost.Token).ConfigureAwait(false))
            {
                plans = SyncedObjectPlan.ReadAll(_store, objects, syncFilterField);
                _push?.PrepareCapture(_store, objects); // new columns and tables are watched at once
            }
            pull = new PullPhase(context, plans, warnings, _push as IPullConflictGuard, objects.Persons.EmailField);
            await pull.RunAsync(lost.Token).ConfigureAwait(false);
            if (_push is not null && !pull.StoppedAtApiReserve)
                await _push.RunAsync(context, lost.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (heartbeat.Lost is not null)
        {
            state = RunState.Failed;
            error = heartbeat.Lost;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            state = RunState.Cancelled;
            error = new CrmSyncException(ErrorIds.SyncCancelled, ErrorKind.OperationStopped,
                "The sync was stopped; everything up to the last committed page is kept.",
                $"Run {ShellAction.Start} again to continue where it stopped.", _store.DatabasePath);
        }
        catch (CrmSyncException e)
        {
            state = RunState.Failed;
            error = e;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            state = RunState.Failed;
            error = new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
                $"The sync failed unexpectedly: {e.Message}",
                $"Run {ShellAction.Start} again (it resumes); if it keeps failing, report the error.", _store.DatabasePath, e);
        }
        finally
        {
            await lost.CancelAsync().ConfigureAwait(false);
            await keeper.ConfigureAwait(false);
        }

        var calls = callsBefore is { } before ? _callCounter!.Count - before : schema.LogicalCalls + (pull?.LogicalCalls ?? 0);
        _store.Runs.AddApiCalls(runId, calls);
        if (state == RunState.Failed)
        {
            var failure = error!;
            if (pull is null || !pull.RecordedErrors.Contains(failure))
                _store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, failure.ErrorId, failure.Message, runId));
            relay.Warning($"Sync run {runId} failed: {failure.Message}");
        }
        var record = _store.Runs.Finish(runId, state, state == RunState.Succeeded ? null : error!.ErrorId, error?.Message);
        if (state == RunState.Succeeded)
            PurgeOldErrors(relay);
        var initialSyncCompleted = pull is { InitialCopiesCompleted.Count: > 0 } && !plans.Any(p => PullPhase.NeedsInitialCopy(_store, p.ObjectName));
        if (initialSyncCompleted)
            relay.Verbose($"The initial sync completed: every synced object has been copied ({string.Join(", ", plans.Select(p => p.ObjectName))}).");
        return new SyncRunResult
        {
            RunId = runId,
            State = state,
            Kind = kind,
            Counts = counts.Snapshot(),
            ApiCalls = calls,
            StartedAt = startedAt,
            Duration = record.Duration ?? _time.GetElapsedTime(startedTimestamp),
            Warnings = relay.Warnings,
            Error = state == RunState.Succeeded ? null : error,
            StoppedAtApiReserve = pull?.StoppedAtApiReserve ?? false,
            InitialCopiesCompleted = pull?.InitialCopiesCompleted.ToList() ?? [],
            InitialSyncCompleted = initialSyncCompleted,
        };
    }

    /// <summary>Deletes the errors older than <see cref="SyncOptions.ErrorRetention"/>; a busy database only delays it to the next cycle.</summary>
    private void PurgeOldErrors(SyncEventRelay relay)
    {
        if (_options.ErrorRetention is not { } retention)
            return;
        try
        {
            var purged = _store.Errors.Purge(retention);
            if (purged > 0)
                relay.Verbose($"Removed {purged} sync errors older than the retention of {retention}.");
        }
        catch (CrmSyncException e)
        {
            relay.Warning($"Old sync errors could not be removed this cycle (the next one tries again): {e.Message}");
        }
    }

    private static ProfileInfo ReadProfile(CrmSyncStore store) =>
        store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);

    /// <summary>Extends the run lease after pages and in the background (bulk jobs can run for minutes without a page).</summary>
    private sealed class LeaseKeeper(CrmSyncStore store, RunLease lease, TimeSpan duration, TimeProvider time)
    {
        private readonly object _gate = new();
        private RunLease _lease = lease;

        /// <summary>The error when another run took the lease over (this run must stop).</summary>
        public CrmSyncException? Lost { get; private set; }

        private TimeSpan Every => duration / 3;

        public void BeatIfDue()
        {
            lock (_gate)
            {
                if (Lost is not null)
                    throw Lost;
                if (time.GetUtcNow() - _lease.HeartbeatAt < Every)
                    return;
                try
                {
                    _lease = store.RunLock.Heartbeat(_lease, duration);
                }
                catch (CrmSyncException e) when (e.ErrorId == ErrorIds.SyncLockHeld)
                {
                    Lost = e;
                    throw;
                }
            }
        }

        public async Task KeepAliveAsync(CancellationTokenSource stopRun, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Every, time, cancellationToken).ConfigureAwait(false);
                    BeatIfDue();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (CrmSyncException e) when (e.ErrorId == ErrorIds.SyncLockHeld)
                {
                    await stopRun.CancelAsync().ConfigureAwait(false);
                    return;
                }
                catch (CrmSyncException)
                {
                    // The database is busy right now; the next beat (or the next page) tries again.
                }
            }
        }
    }
}
