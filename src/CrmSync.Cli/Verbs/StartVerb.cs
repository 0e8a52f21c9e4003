using System.Globalization;
using System.Runtime.InteropServices;
using CrmSync.Cli.Output;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync start [--yes] [--continuous [--interval 00:05:00]] [--json]</c>: Start-CrmSync for shells and cron.
/// The first start of a profile needs a confirmation (it locks the field mappings and begins the initial full copy):
/// <c>--yes</c>, or y at the terminal's prompt; without a terminal and without <c>--yes</c> it refuses before signing in and
/// exits 2. Later starts never need <c>--yes</c>. Exit codes: 0 every cycle succeeded, 1 a cycle failed (or another error),
/// 2 usage / first start not confirmed, 3 profile not found, 4 another run holds the lock, 130 interrupted (Ctrl+C, SIGTERM).
/// </summary>
public sealed class StartVerb : ICliVerb
{
    public string Name => "start";

    public string Summary => "Runs a sync cycle, or cycles continuously (Start-CrmSync).";

    public string Description =>
        "Runs one sync cycle for the profile (pull from the CRM, then push local changes) and prints its result: per object and\n" +
        "operation counts, API calls, duration. --continuous keeps cycling, pausing --interval (default 00:05:00; a bare number is\n" +
        "seconds, so --interval 300 is five minutes; at most one day) after the END of\n" +
        "each cycle, until Ctrl+C, SIGTERM or 'crmsync stop'; each cycle's result is printed as it completes (with --json, one JSON\n" +
        "document per cycle). Ctrl+C or SIGTERM stops after the page in flight commits; the next start resumes there.\n" +
        "The FIRST start of a profile locks the field mappings for good and begins the initial full copy (may take hours): it\n" +
        "asks y/N on a terminal, and without a terminal it needs --yes (otherwise it refuses, changes nothing and exits 2).\n" +
        "Later starts never ask, so cron jobs run 'crmsync start --profile prod' unattended.\n" +
        "A failed cycle prints its result, then the error on stderr, and exits 1. When another run holds the profile's sync lock\n" +
        "(a second cron job, another machine) it says who holds it and since when, and exits 4 without running.\n" +
        "The initial sync's completion is announced on stderr and in the result (initialSyncCompleted: true).";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("yes", TakesValue: false, "", "confirm the first start without a prompt (needed when standard input is not a terminal)"),
        new("continuous", TakesValue: false, "", "keep cycling until Ctrl+C, SIGTERM or 'crmsync stop'"),
        new("interval", TakesValue: true, "SECONDS|HH:MM:SS", "with --continuous: the pause after each cycle, in seconds (300) or as a time span (00:05:00); default 00:05:00, from 1 second to 1 day"),
        new("initial-strategy", TakesValue: true, "Auto|Bulk|Paged", "how the initial copy reads objects (default Auto: bulk API from the threshold; Paged also keeps incremental cycles off it)")
        {
            Completions = Enum.GetNames<CrmFullReadStrategy>(),
        },
        new("bulk-threshold", TakesValue: true, "N", "record count from which the initial copy uses the bulk API (default 50000; incremental: 10000 changes, or this if lower)"),
        new("retry-now", TakesValue: false, "", "retry at once the local changes waiting for a retry after a transient failure (crmsync status: retryWaiting, nextRetryAt)"),
        new("notify-email", TakesValue: true, "ADDRESS", "on the first start: who gets the notification mails (repeatable; see 'crmsync notification')") { Repeatable = true },
    ], verbose: "write verbose, debug and progress messages to stderr");

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        if (ParseOptions(options, console) is not { } startOptions)
            return ExitCodes.Usage;

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = RegisterSigterm(stopping);
        var format = options.Has("json") ? OutputFormat.Json : OutputFormat.Text;
        var output = new ConsoleCommandHost(console, format, options.Has("verbose"));
        var host = new StartHost(output, console, options.Has("yes"), startOptions.Continuous);
        StartSyncCommand? command = null;
        var handler = ProfileVerbOptions.Handler(console, handlers => command = handlers.Start(startOptions));
        try
        {
            CommandHostPump.Run(host, handler, stopping.Token);
            output.Flush();
        }
        catch (CrmSyncException error)
        {
            output.Flush();
            output.ReportError(error);
            return error.ErrorId == ErrorIds.SyncLockHeld ? ExitCodes.LockHeld : CommandRunner.ExitCodeFor(error.Kind);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            output.Flush();
            output.ReportError(new CrmSyncException(ErrorIds.SyncCancelled, ErrorKind.OperationStopped,
                "crmsync start was interrupted before a cycle began.", "Run crmsync start again."));
            return ExitCodes.Interrupted;
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            output.Flush();
            output.ReportError(new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
                $"crmsync failed unexpectedly: {unexpected.Message}",
                "Run the command again with --verbose; if it fails again, report it with this output.", inner: unexpected));
            return ExitCodes.Failure;
        }

        if (host.Refused is { } refused)
        {
            output.ReportError(new CrmSyncException(ErrorIds.ConfirmationRequired, ErrorKind.InvalidOperation,
                $"The first start of {refused.Target} would {char.ToLowerInvariant(refused.Action[0])}{refused.Action[1..]}; it needs a confirmation, " +
                "but no one can answer a prompt (standard input is not a terminal). Nothing was done.",
                "Review the field mappings (crmsync mapping), then run 'crmsync start --yes'. Later starts never need --yes.", refused.Target));
            return ExitCodes.Usage;
        }
        var results = command?.Results ?? [];
        if (results.Any(r => r.State == RunState.Failed))
            return ExitCodes.Failure;
        if (stopping.IsCancellationRequested || results.Any(r => r.State == RunState.Cancelled))
            return ExitCodes.Interrupted;
        return output.ErrorCount == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static StartSyncOptions? ParseOptions(ParsedOptions options, CliConsole console)
    {
        StartSyncOptions? Usage(string message)
        {
            console.Error.WriteLine($"crmsync: {message}");
            console.Error.WriteLine("Run 'crmsync help start' for usage.");
            return null;
        }

        TimeSpan? interval = null;
        if (options.Value("interval") is { } intervalText)
        {
            if (ParseInterval(intervalText) is not { } parsed)
                return Usage($"--interval '{intervalText}' is not an interval: give seconds (300) or a time span (00:05:00), from 1 second to 1 day");
            interval = parsed;
            if (interval < StartSyncOptions.MinimumInterval)
                return Usage($"--interval {intervalText} is shorter than 1 second (00:00:01)");
            if (interval > StartSyncOptions.MaximumInterval)
                return Usage($"--interval {intervalText} is longer than 1 day (86400 seconds, 1.00:00:00)");
        }
        var strategy = CrmFullReadStrategy.Auto;
        if (options.Value("initial-strategy") is { } strategyText &&
            (!Enum.TryParse(strategyText, ignoreCase: true, out strategy) || !Enum.IsDefined(strategy) || int.TryParse(strategyText, out _)))
            return Usage($"--initial-strategy '{strategyText}' is not Auto, Bulk or Paged");
        long? threshold = null;
        if (options.Value("bulk-threshold") is { } thresholdText)
        {
            if (!long.TryParse(thresholdText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                return Usage($"--bulk-threshold '{thresholdText}' is not a record count (0 or more)");
            threshold = parsed;
        }
        return new StartSyncOptions
        {
            Profile = ProfileVerbOptions.Profile(options),
            DatabasePath = ProfileVerbOptions.Database(options),
            Continuous = options.Has("continuous"),
            Interval = interval,
            InitialStrategy = strategy,
            BulkThreshold = threshold,
            RetryNow = options.Has("retry-now"),
            NotifyEmail = options.Values("notify-email") is { Count: > 0 } notify ? notify : null,
            TriggeredBy = "crmsync start",
        };
    }

    /// <summary>
    /// An interval as cron and systemd units write it: a bare number is SECONDS (<c>300</c> = five minutes), anything else a
    /// time span (<c>00:05:00</c>, <c>1.00:00:00</c>). Null when it is neither (or too large to be one).
    /// </summary>
    internal static TimeSpan? ParseInterval(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && trimmed.All(char.IsAsciiDigit))
            return long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 100L * 365 * 86400
                ? TimeSpan.FromSeconds(seconds)
                : null;
        return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span) ? span : null;
    }

    /// <summary>SIGTERM (service managers, container stops, cron timeouts) stops like Ctrl+C: after the page in flight.</summary>
    private static PosixSignalRegistration? RegisterSigterm(CancellationTokenSource stopping)
    {
        try
        {
            return PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                if (stopping.IsCancellationRequested)
                    return; // a second SIGTERM ends the process the default way
                context.Cancel = true;
                stopping.Cancel();
            });
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// The console host for start: ShouldProcess (asked only at a first start) is confirmed by --yes, asked y/N on a terminal,
    /// or refused unattended; each cycle's result is printed as it completes when continuous; the initial sync's completion
    /// is announced on stderr. Called on the CLI's main thread only (CommandHostPump).
    /// </summary>
    private sealed class StartHost(ConsoleCommandHost output, CliConsole console, bool yes, bool continuous) : ICommandHost
    {
        public (string Target, string Action)? Refused { get; private set; }

        public bool ShouldProcess(string target, string action)
        {
            if (yes)
                return true;
            if (!ConfirmationPolicy.CanPrompt(console))
            {
                Refused = (target, action);
                return false;
            }
            output.Flush();
            console.Error.Write($"{action} on {target}? [y/N] ");
            console.Error.Flush();
            var answer = console.Input.ReadLine()?.Trim();
            var confirmed = string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
            if (!confirmed)
                console.Error.WriteLine("Not confirmed; nothing was started.");
            return confirmed;
        }

        public void WriteProgress(ProgressInfo progress) => output.WriteProgress(progress);
        public void WriteVerbose(string message) => output.WriteVerbose(message);
        public void WriteWarning(string message) => output.WriteWarning(message);
        public void WriteDebug(string message) => output.WriteDebug(message);
        public void WriteError(CrmSyncException error) => output.WriteError(error);

        public void WriteObject(object value)
        {
            if (value is not SyncRunResult result)
            {
                output.WriteObject(value);
                return;
            }
            output.WriteObject(SyncCycleView.From(result));
            if (continuous)
                output.Flush();
            if (result.InitialSyncCompleted)
                console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"crmsync: the initial sync of profile '{result.Profile}' is complete (run {result.RunId}); from now on each cycle moves only what changed."));
        }
    }

    /// <summary>What <c>crmsync start</c> prints for one cycle (the run result without the exception object).</summary>
    private sealed record SyncCycleView
    {
        public string? Profile { get; init; }
        public long RunId { get; init; }
        public RunState State { get; init; }
        public RunKind Kind { get; init; }
        public DateTimeOffset StartedAt { get; init; }
        public TimeSpan Duration { get; init; }
        public long ApiCalls { get; init; }
        public long New { get; init; }
        public long Updated { get; init; }
        public long Deleted { get; init; }
        public long Failed { get; init; }
        public long Skipped { get; init; }
        public long Filtered { get; init; }
        public bool InitialSyncCompleted { get; init; }
        public bool StoppedAtApiReserve { get; init; }
        public string? ErrorId { get; init; }
        public string? ErrorMessage { get; init; }
        public string? DatabasePath { get; init; }
        public required IReadOnlyList<SyncOperationCount> Counts { get; init; }
        public required IReadOnlyList<string> InitialCopiesCompleted { get; init; }
        public required IReadOnlyList<string> Warnings { get; init; }

        public static SyncCycleView From(SyncRunResult result) => new()
        {
            Profile = result.Profile,
            RunId = result.RunId,
            State = result.State,
            Kind = result.Kind,
            StartedAt = result.StartedAt,
            Duration = result.Duration,
            ApiCalls = result.ApiCalls,
            New = result.Total(c => c.New),
            Updated = result.Total(c => c.Updated),
            Deleted = result.Total(c => c.Deleted),
            Failed = result.Total(c => c.Failed),
            Skipped = result.Total(c => c.Skipped),
            Filtered = result.Total(c => c.Filtered),
            InitialSyncCompleted = result.InitialSyncCompleted,
            StoppedAtApiReserve = result.StoppedAtApiReserve,
            ErrorId = result.Error?.ErrorId,
            ErrorMessage = result.Error is null ? null : ConsoleCommandHost.Render(result.Error.Message),
            DatabasePath = result.DatabasePath,
            Counts = result.Counts,
            InitialCopiesCompleted = result.InitialCopiesCompleted,
            Warnings = [.. result.Warnings.Select(ConsoleCommandHost.Render)],
        };
    }
}
