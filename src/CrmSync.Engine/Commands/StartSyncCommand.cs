using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Push;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Start-CrmSync / <c>crmsync start</c>.</summary>
public sealed record StartSyncOptions
{
    /// <summary>The shortest <see cref="Interval"/> accepted.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest <see cref="Interval"/> accepted (one day: a longer pause is a schedule, not a continuous sync).</summary>
    public static readonly TimeSpan MaximumInterval = TimeSpan.FromDays(1);

    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = ProfileName.Default;
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>Keep cycling until cancelled or Stop-CrmSync (default: one cycle).</summary>
    public bool Continuous { get; init; }
    /// <summary>
    /// The pause between two cycles of a continuous sync, counted from the END of a cycle (1 s to 1 day); null (not given) for
    /// <see cref="SyncOrchestrator.DefaultInterval"/>. Given without <see cref="Continuous"/> it is refused (InvalidArgument).
    /// </summary>
    public TimeSpan? Interval { get; init; }
    /// <summary>The pause in effect: <see cref="Interval"/> or the default.</summary>
    public TimeSpan EffectiveInterval => Interval ?? SyncOrchestrator.DefaultInterval;
    /// <summary>How the initial copy reads an object (Auto: the bulk API from <see cref="BulkThreshold"/> records on).</summary>
    public CrmFullReadStrategy InitialStrategy { get; init; } = CrmFullReadStrategy.Auto;
    /// <summary>Record count from which the initial copy uses the bulk API; null for the engine default (50,000).</summary>
    public long? BulkThreshold { get; init; }
    /// <summary>
    /// Ask (ShouldProcess) on a later start too. The first start always asks; later starts never do, so scheduled tasks run
    /// unattended, except when the user explicitly asked for -WhatIf or -Confirm (the cmdlet sets this then).
    /// </summary>
    public bool AskEvenIfNotFirst { get; init; }
    /// <summary>
    /// Retry at once the local changes that wait for a retry after a transient failure (they back off 1 minute, doubling,
    /// up to an hour): <c>-RetryNow</c> / <c>--retry-now</c>.
    /// </summary>
    public bool RetryNow { get; init; }

    /// <summary>On the first start: the e-mail recipients of the notifications (Marketo asks for one at Enable Sync).</summary>
    public IReadOnlyList<string>? NotifyEmail { get; init; }
    /// <summary>Recorded in the run history as who started the run.</summary>
    public string TriggeredBy { get; init; } = "Start-CrmSync";
    /// <summary>Engine tuning for tests (page sizes, lease); null for the production defaults.</summary>
    internal SyncOptions? EngineOptions { get; init; }
}

/// <summary>
/// Start-CrmSync and <c>crmsync start</c>: runs sync cycles for one profile (<see cref="SyncOrchestrator"/> with the
/// <see cref="PushPhase"/>) and writes one <see cref="SyncRunResult"/> per cycle, carrying the profile and database path.
/// <list type="bullet">
/// <item>The FIRST start of a profile (<see cref="SyncOrchestrator.IsFirstStart"/>) asks ShouldProcess with
/// <see cref="FirstStartAction"/>, before signing in: it locks the field mappings for good and begins the initial full copy.
/// Declined or -WhatIf: nothing happens (no sign-in, no run row, the mappings stay editable). Later starts never ask unless
/// <see cref="StartSyncOptions.AskEvenIfNotFirst"/>.</item>
/// <item>Progress: one bar (<see cref="ProgressActivityId"/>) per cycle: object, phase, done/total, rate and time left;
/// completed at the end of each cycle. Engine events go to Verbose/Warning; CRM retries, throttling and re-logins to Verbose;
/// every request with its request id to Debug.</item>
/// <item>A cycle that Failed is written AND reported with WriteError (the run's ErrorId), so <c>$?</c> is false and
/// <c>-ErrorAction Stop</c> turns it into an exception; the command itself does not throw for it (the status says Failed and
/// the next cycle resumes). A Cancelled cycle (Ctrl+C) is written without an error: everything committed is kept.</item>
/// <item>Continuous: cycles every <see cref="StartSyncOptions.Interval"/> (from the end of a cycle) until the token is
/// cancelled or Stop-CrmSync disables the sync; each cycle's result is written as it completes.</item>
/// </list>
/// Errors (thrown, nothing is run): InvalidArgument (interval below 1 s or above the maximum, negative bulk threshold),
/// ProfileNotFound, SyncLockHeld (another run holds the lock: its host, process and since when; checked BEFORE signing in),
/// FieldsNotSynced, CredentialsNotSaved and the sign-in errors. Every one of them after the profile was opened is recorded as
/// a Failed run with a job-level error (the status shows it); a continuous sync that fails after cycles ran is recorded by
/// its cycles.
/// </summary>
public sealed class StartSyncCommand : ICommandHandler
{
    /// <summary>The activity id of the sync progress bar.</summary>
    public const int ProgressActivityId = 51;

    private readonly ProfileStore _profiles;
    private readonly Func<CrmSyncStore, CrmClientOptions, CancellationToken, Task<ICrmClient>> _openClient;
    private readonly List<SyncRunResult> _results = [];
    private bool _cycleRecorded; // a cycle ran and recorded its own run: a later failure is not a failed start
    private readonly SyncNotifier? _notifier;

    /// <summary>The command over <paramref name="profiles"/>; <paramref name="openClient"/> opens the signed-in CRM client of
    /// the profile (production: <see cref="ProfileConnector.OpenClientAsync(CrmSyncStore, CrmClientOptions, CancellationToken)"/>).
    /// The command disposes the client it gets.</summary>
    /// <param name="notifier">The e-mail notifications after each cycle (and after a start that failed to sign in); null sends none.</param>
    public StartSyncCommand(ProfileStore profiles, StartSyncOptions options,
        Func<CrmSyncStore, CrmClientOptions, CancellationToken, Task<ICrmClient>> openClient, SyncNotifier? notifier = null)
    {
        _notifier = notifier;
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _openClient = openClient ?? throw new ArgumentNullException(nameof(openClient));
    }

    /// <summary>The ShouldProcess action of the first start.</summary>
    public static string FirstStartAction(CrmKind crm) =>
        $"Lock the field mappings and start the initial full copy from {crm} (may take hours)";

    /// <summary>The options.</summary>
    public StartSyncOptions Options { get; }

    /// <summary>True when the last run was the profile's first start.</summary>
    public bool WasFirstStart { get; private set; }

    /// <summary>True when the last run asked ShouldProcess and got no (declined or -WhatIf): nothing was done.</summary>
    public bool Declined { get; private set; }

    /// <summary>The results of the cycles the last run completed, in order.</summary>
    public IReadOnlyList<SyncRunResult> Results
    {
        get
        {
            lock (_results)
                return _results.ToList();
        }
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        WasFirstStart = false;
        Declined = false;
        lock (_results)
            _results.Clear();
        Validate();

        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        CrmProviders.EnsureSyncAvailable(profile.Crm, profile.Name);
        var target = $"CrmSync profile '{profile.Name}' ({store.DatabasePath})";
        WasFirstStart = SyncOrchestrator.IsFirstStart(store);
        if (WasFirstStart || Options.AskEvenIfNotFirst)
        {
            var action = WasFirstStart ? FirstStartAction(profile.Crm)
                : Options.Continuous ? string.Create(CultureInfo.InvariantCulture, $"Start the continuous sync (a cycle every {Options.EffectiveInterval})")
                : "Run one sync cycle";
            if (!host.ShouldProcess(target, action))
            {
                Declined = true;
                host.WriteVerbose(WasFirstStart
                    ? $"Nothing was started: the field mappings of profile '{profile.Name}' stay editable and no data was copied."
                    : "Nothing was started.");
                return;
            }
        }
        else if (!profile.SyncEnabled)
        {
            host.WriteVerbose($"Sync of profile '{profile.Name}' was disabled ({ShellAction.Stop}); {ShellAction.Start} enables it again.");
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (Options.NotifyEmail is { Count: > 0 } recipients)
            NotificationStart.SetRecipients(host, store, profile.Name, recipients, WasFirstStart);
        var runBefore = _notifier?.BeginStart(store) ?? 0;
        try
        {
            await RunAsync(host, store, profile, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmSyncException error)
        {
            RecordFailedStart(host, store, error);
            await NotifyFailedStartAsync(host, store, runBefore, error, cancellationToken).ConfigureAwait(false);
            throw;
        }
        catch (Exception unexpected) when (unexpected is not (OperationCanceledException or OutOfMemoryException))
        {
            var error = new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
                $"The sync of profile '{profile.Name}' failed unexpectedly: {unexpected.Message}",
                $"Run {ShellAction.Start.With(ActionParameter.Verbose)} again; if it fails again, report it with that output.", profile.Name, unexpected);
            RecordFailedStart(host, store, error);
            await NotifyFailedStartAsync(host, store, runBefore, error, cancellationToken).ConfigureAwait(false);
            throw error;
        }
    }

    /// <summary>
    /// The e-mail notifications after a start that failed outside a cycle (e.g. the CRM rejected the credentials): the failed
    /// run is recorded first (<see cref="RecordFailedStart"/>), so the planner reads it from the run history like any failed
    /// cycle. Bounded by the SMTP timeout and never throwing.
    /// </summary>
    private Task NotifyFailedStartAsync(ICommandHost host, CrmSyncStore store, long runBefore, CrmSyncException error, CancellationToken cancellationToken) =>
        _notifier is null || _cycleRecorded || cancellationToken.IsCancellationRequested
            ? Task.CompletedTask
            : _notifier.AfterStartFailureAsync(store, runBefore, error, NotificationStart.Reporter(host), cancellationToken);

    /// <summary>
    /// A start that failed before (or outside) a cycle, at any step (secrets, sign-in, the run lock, no synced fields, a
    /// failure the cycle could not record): a Failed run with a job-level error, so Get-CrmSyncStatus says Failed with the
    /// reason instead of the last success. A cycle that ran has recorded its own run. When even this cannot be written
    /// (the disk is full), the run that was left Running is reported as interrupted by the status.
    /// </summary>
    private void RecordFailedStart(ICommandHost host, CrmSyncStore store, CrmSyncException error)
    {
        if (_cycleRecorded)
            return;
        try
        {
            var kind = SyncOrchestrator.IsFirstStart(store) ? RunKind.Initial : RunKind.Incremental;
            var run = store.Runs.RecordFailedStart(kind, Options.TriggeredBy, error.ErrorId, error.Message);
            store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, error.ErrorId, error.Message, run.Id));
        }
        catch (Exception e) when (e is CrmSyncException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            host.WriteVerbose($"The failed start could not be recorded in {store.DatabasePath}: {e.Message}");
        }
    }

    private async Task RunAsync(ICommandHost host, CrmSyncStore store, ProfileInfo profile, CancellationToken cancellationToken)
    {
        _cycleRecorded = false;
        // The lock first: a start that cannot run (another run holds the lock) does not sign in at all.
        store.RunLock.ThrowIfHeld();
        if (Options.RetryNow)
        {
            var waiting = store.Outbox.RetryNow();
            host.WriteVerbose(waiting == 0
                ? "No local change was waiting for a retry."
                : string.Create(CultureInfo.InvariantCulture, $"{waiting} local change(s) waiting for a retry after a transient failure are retried in this cycle."));
        }
        var counter = new CrmCallCounter(new ClientEventForwarder(host));
        host.WriteVerbose($"Signing in to {profile.Crm} as {profile.UserName} for profile '{profile.Name}'.");
        var opened = await _openClient(store, new CrmClientOptions { Events = counter }, cancellationToken).ConfigureAwait(false);
        using var client = opened ?? throw new InvalidOperationException("The CRM client factory returned no client.");

        var engine = Options.EngineOptions ?? new SyncOptions();
        var syncOptions = engine with
        {
            TriggeredBy = Options.TriggeredBy,
            EnableSync = true,
            InitialStrategy = Options.InitialStrategy,
            BulkThreshold = Options.BulkThreshold ?? engine.BulkThreshold,
        };
        var orchestrator = new SyncOrchestrator(store, client, syncOptions, new PushPhase(store), new HostEventSink(host), counter);
        var progress = new HostSyncProgress(host, profile.Name);

        if (!Options.Continuous)
        {
            SyncRunResult result;
            try
            {
                result = await orchestrator.RunCycleAsync(progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                progress.Complete();
            }
            _cycleRecorded = true;
            Emit(host, store, profile.Name, result);
            if (_notifier is not null)
                await _notifier.AfterCycleAsync(store, result, NotificationStart.Reporter(host), cancellationToken).ConfigureAwait(false);
            return;
        }

        host.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Continuous sync of profile '{profile.Name}': a cycle, then a pause of {Options.EffectiveInterval} from its end, until Ctrl+C or {ShellAction.Stop}."));
        try
        {
            var cycles = await orchestrator.RunContinuousAsync(Options.EffectiveInterval, progress, result =>
            {
                _cycleRecorded = true;
                progress.Complete();
                Emit(host, store, profile.Name, result);
                // bounded (the SMTP timeout) and never throwing; runs before the pause, not inside a cycle
                _notifier?.AfterCycleAsync(store, result, NotificationStart.Reporter(host), cancellationToken).GetAwaiter().GetResult();
            }, cancellationToken).ConfigureAwait(false);
            var why = cancellationToken.IsCancellationRequested ? "stopped" : $"sync disabled by {ShellAction.Stop}";
            host.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"The continuous sync of profile '{profile.Name}' ended after {cycles} cycle(s) ({why})."));
        }
        finally
        {
            progress.Complete();
        }
    }

    private void Validate()
    {
        if (Options.Interval is { } given && !Options.Continuous)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"{ShellParameter.For(ActionParameter.Interval)} applies to {ShellParameter.For(ActionParameter.Continuous)} only.",
                $"Add {ShellParameter.For(ActionParameter.Continuous)} to keep cycling every {ShellParameter.For(ActionParameter.Interval)}, or leave {ShellParameter.For(ActionParameter.Interval)} out to run one cycle.", given);
        if (Options.EffectiveInterval < StartSyncOptions.MinimumInterval)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The interval {Options.Interval} is shorter than {StartSyncOptions.MinimumInterval}."),
                "Give an interval of at least one second, e.g. 00:05:00 (the default, five minutes).", Options.Interval);
        if (Options.EffectiveInterval > StartSyncOptions.MaximumInterval)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The interval {Options.Interval} is longer than {StartSyncOptions.MaximumInterval} (one day)."),
                "Give an interval of at most one day, e.g. 00:05:00 (the default); for a longer pause, schedule single starts instead.", Options.Interval);
        if (Options.BulkThreshold is < 0)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The bulk threshold cannot be negative ({Options.BulkThreshold})."),
                "Give a record count of 0 or more (0 always uses the bulk API).", Options.BulkThreshold);
        foreach (var address in Options.NotifyEmail ?? [])
            NotificationSetup.NormalizeAddress(address, ShellParameter.For(ActionParameter.NotifyEmail).ToString());
        if (!Enum.IsDefined(Options.InitialStrategy))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"Unknown initial copy strategy '{Options.InitialStrategy}'.", "Give Auto, Bulk or Paged.", Options.InitialStrategy);
    }

    private void Emit(ICommandHost host, CrmSyncStore store, string profile, SyncRunResult cycle)
    {
        var result = cycle with { Profile = profile, DatabasePath = store.DatabasePath };
        lock (_results)
            _results.Add(result);
        if (result.InitialSyncCompleted)
            host.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"Initial sync completed for profile '{profile}' in run {result.RunId}: every synced object has been copied. From now on each cycle moves only what changed."));
        host.WriteObject(result);
        switch (result.State)
        {
            case RunState.Failed:
                host.WriteError(result.Error ?? new CrmSyncException(ErrorIds.SyncFailed, ErrorKind.NotSpecified,
                    string.Create(CultureInfo.InvariantCulture, $"Sync run {result.RunId} of profile '{profile}' failed."),
                    $"See {ShellAction.Errors}; run {ShellAction.Start} again to resume.", profile));
                break;
            case RunState.Cancelled:
                host.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                    $"Sync run {result.RunId} was stopped; everything up to the last committed page is kept and the next start resumes there."));
                break;
        }
    }

    /// <summary>Engine events: Verbose → Write-Verbose, Warning → Write-Warning.</summary>
    private sealed class HostEventSink(ICommandHost host) : ISyncEventSink
    {
        public void Report(SyncEvent syncEvent)
        {
            ArgumentNullException.ThrowIfNull(syncEvent);
            if (syncEvent.Level == SyncEventLevel.Warning)
                host.WriteWarning(syncEvent.Message);
            else
                host.WriteVerbose(syncEvent.Message);
        }
    }

    /// <summary>CRM client events: requests (with their request ids) → Debug; retries, throttling, re-logins → Verbose; notices by level.</summary>
    private sealed class ClientEventForwarder(ICommandHost host) : IProgress<CrmClientEvent>
    {
        public void Report(CrmClientEvent value)
        {
            ArgumentNullException.ThrowIfNull(value);
            switch (value.Kind)
            {
                case CrmEventKind.Request:
                    host.WriteDebug(value.Message);
                    break;
                case CrmEventKind.Retry or CrmEventKind.Throttled or CrmEventKind.Relogin:
                    host.WriteVerbose(value.Message);
                    break;
                default:
                    if (value.Level == CrmEventLevel.Warning)
                        host.WriteWarning(value.Message);
                    else if (value.Level == CrmEventLevel.Verbose)
                        host.WriteVerbose(value.Message);
                    else
                        host.WriteDebug(value.Message);
                    break;
            }
        }
    }

    /// <summary>Turns engine progress into the sync progress bar; <see cref="Complete"/> closes it once it was shown.</summary>
    private sealed class HostSyncProgress(ICommandHost host, string profile) : IProgress<SyncProgress>
    {
        private readonly object _gate = new();
        private bool _open;

        private string Activity => $"Syncing profile '{profile}'";

        public void Report(SyncProgress value)
        {
            ArgumentNullException.ThrowIfNull(value);
            var phase = value.Phase switch
            {
                SyncPhase.InitialCopy => "Initial copy",
                SyncPhase.Incremental => "Changes",
                SyncPhase.Deletions => "Deletions",
                SyncPhase.Formulas => "Formula fields",
                SyncPhase.Push => "Push",
                _ => value.Phase.ToString(),
            };
            var status = value.Total is { } total
                ? string.Create(CultureInfo.InvariantCulture, $"{phase} of {value.ObjectName}: {value.Done:N0} of {total:N0} records")
                : string.Create(CultureInfo.InvariantCulture, $"{phase} of {value.ObjectName}: {value.Done:N0} records");
            if (value.RecordsPerSecond is { } rate and > 0)
                status += string.Create(CultureInfo.InvariantCulture, $", {rate:N0} records/s");
            var seconds = value.EstimatedRemaining is { } left ? (int)Math.Min(int.MaxValue, Math.Ceiling(Math.Max(0, left.TotalSeconds))) : -1;
            lock (_gate)
            {
                _open = true;
                host.WriteProgress(new ProgressInfo(ProgressActivityId, Activity, status, value.PercentComplete ?? -1, seconds,
                    value.ObjectName));
            }
        }

        public void Complete()
        {
            lock (_gate)
            {
                if (!_open)
                    return;
                _open = false;
                host.WriteProgress(new ProgressInfo(ProgressActivityId, Activity, "Done", 100, Completed: true));
            }
        }
    }
}
