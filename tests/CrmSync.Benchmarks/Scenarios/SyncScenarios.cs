using System.Diagnostics;
using System.Globalization;
using CrmSync.Benchmarks.Infrastructure;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Benchmarks.Scenarios;

/// <summary>
/// The console scenarios: the emulator runs as a child process seeded with the persons, the sync side runs here, so this
/// process's peak working set is the sync side's. Timings are wall-clock over the measured cycle only (seeding,
/// login and Sync-CrmField excluded).
/// </summary>
internal sealed class SyncScenarios(BenchmarkArguments arguments)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        switch (arguments.Scenario)
        {
            case "initial": await InitialAsync(cancellationToken); break;
            case "incremental": await IncrementalAsync(cancellationToken); break;
            case "idle": await IdleAsync(cancellationToken); break;
            case "push": await PushAsync(cancellationToken); break;
        }
        return 0;
    }

    private static (int Leads, int Contacts, int Accounts) Split(int persons)
    {
        var leads = (int)(persons * 0.7);
        return (leads, persons - leads, Math.Max(10, persons / 1000));
    }

    private async Task<(EmulatorProcess Emulator, SyncSide Sync, int Persons)> StartAsync(int persons, CancellationToken cancellationToken)
    {
        var (leads, contacts, accounts) = Split(persons);
        var seed = string.Create(CultureInfo.InvariantCulture, $"lead={leads},contact={contacts},account={accounts}");
        // Dynamics: every seeded lead and contact has new_synctomkto = Yes (the profile's default sync filter field), so every
        // CRM person should sync and the check "local person rows = CRM persons" is exact.
        if (arguments.Dynamics)
            seed += ",filteryes=1,filterempty=0,filterno=0";
        Console.WriteLine($"machine: {ScenarioReport.Machine()}");
        Console.WriteLine($"runtime: {ScenarioReport.Runtime()}");
        Console.WriteLine($"starting the emulator (child process) with --seed {seed} ...");
        var watch = Stopwatch.StartNew();
        var emulator = await EmulatorProcess.StartAsync(seed, arguments.BulkPolls, cancellationToken, arguments.Dynamics);
        Console.WriteLine($"emulator pid {emulator.ProcessId} listening on {emulator.BaseUrl} after {watch.Elapsed.TotalSeconds:N1} s (seeding)");
        watch.Restart();
        var sync = await SyncSide.CreateAsync(emulator.BaseUrl, arguments.Keep, cancellationToken, arguments.Dynamics);
        Console.WriteLine($"profile at {sync.Home}; login + Sync-CrmField in {watch.Elapsed.TotalSeconds:N1} s ({sync.Requests.Take().All} requests)");
        return (emulator, sync, leads + contacts);
    }

    private static async Task<(SyncRunResult Result, RequestTally.Snapshot Calls, long PeakDuring, long Allocated)> MeasuredCycleAsync(SyncSide sync,
        string label, CancellationToken cancellationToken)
    {
        using var self = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        self.Refresh();
        var cpuBefore = self.TotalProcessorTime;
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var jitMethodsBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        using var sampler = new MemorySampler();
        SQLitePCL.raw.sqlite3_memory_highwater(1); // SQLite's own high-water mark (page caches, sorter lists) from here
        var progress = new ConsoleProgress(label);
        sync.Requests.ResetBreakdown();
        var (result, calls) = await sync.CycleAsync(progress, cancellationToken);
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        self.Refresh();
        LastCycleCpu = self.TotalProcessorTime - cpuBefore;
        LastCycleJit = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore, System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethodsBefore);
        Console.WriteLine($"  JIT during the cycle: {ScenarioReport.Seconds(LastCycleJit.Time)} compiling {LastCycleJit.Methods:N0} methods");
        Console.WriteLine($"  {label}: {ScenarioReport.Seconds(result.Duration)} wall, {ScenarioReport.Seconds(LastCycleCpu)} CPU of this process, load average " +
                          $"{LoadAverage()}, managed heap peak {ScenarioReport.Megabytes(sampler.PeakManaged)}, " +
                          $"SQLite's memory high-water {ScenarioReport.Megabytes(SQLitePCL.raw.sqlite3_memory_highwater(0))}");
        return (result, calls, sampler.Peak, allocated);
    }

    private string CrmSuffix => arguments.Dynamics ? " --crm dynamics" : "";

    /// <summary>CPU time (user + kernel, all threads) this process spent in the last measured cycle: less sensitive than wall time to other load on the box.</summary>
    private static TimeSpan LastCycleCpu { get; set; }

    /// <summary>Time the JIT spent compiling during the last measured cycle (all threads) and the methods it compiled.</summary>
    private static (TimeSpan Time, long Methods) LastCycleJit { get; set; }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    private async Task InitialAsync(CancellationToken cancellationToken)
    {
        var (emulator, sync, persons) = await StartAsync(arguments.Persons ?? 1_000_000, cancellationToken);
        await using (emulator)
        using (sync)
        {
            var emulatorCpuBefore = emulator.CpuTime();
            var (result, calls, peakDuring, allocated) = await MeasuredCycleAsync(sync, "initial copy", cancellationToken);
            var emulatorCpu = emulator.CpuTime() - emulatorCpuBefore;
            var local = sync.Scalar("SELECT count(*) FROM person WHERE _crm_id IS NOT NULL;");
            var pulled = result.Counts.Where(c => c.Operation == RunOperation.PullUpdates).Sum(c => c.New + c.Updated + c.Skipped);
            var seconds = result.Duration.TotalSeconds;
            // Read before the storage-limit measurement, whose own 64 MB page cache would otherwise count as the sync side's.
            var peakWholeLife = ScenarioReport.ProcessPeakWorkingSet();
            Console.WriteLine("  measuring the storage limit: the person table copied into an empty one of the same shape (INSERT ... SELECT) ...");
            var limit = StorageLimit.Measure(sync.Store.DatabasePath, "person");
            new ScenarioReport($"initial --persons {persons}{CrmSuffix}")
                .Add("persons in the CRM", persons)
                .Add("persons copied (person rows)", local)
                .Add("check", local == persons ? "OK (local person rows = CRM persons)" : "MISMATCH")
                .Add("records pulled, all objects", pulled)
                .Add("duration (the cycle)", ScenarioReport.Seconds(result.Duration))
                .Add("CPU time of the sync side during the cycle", ScenarioReport.Seconds(LastCycleCpu))
                .Add("persons per second", persons / seconds)
                .Add("records per second, all objects", pulled / seconds)
                .Add("API calls (excluding login)", calls.Api)
                .AddIf(arguments.Dynamics, "  of which $batch (Dynamics)", calls.Batches)
                .Add("login calls", calls.Logins)
                .Add("peak working set, benchmark process (sync side), whole life before the storage-limit measurement", ScenarioReport.Megabytes(peakWholeLife))
                .Add("peak working set, benchmark process, during the cycle (sampled 25 ms)", ScenarioReport.Megabytes(peakDuring))
                .Add("managed bytes allocated during the cycle", ScenarioReport.Megabytes(allocated))
                .Add("sync-side CPU per person", (LastCycleCpu.TotalMilliseconds * 1000 / persons).ToString("N1", CultureInfo.InvariantCulture) + " µs")
                .Add("managed bytes allocated per person", (allocated / (double)persons).ToString("N0", CultureInfo.InvariantCulture) + " B")
                .Add($"storage limit: INSERT ... SELECT of {limit.Rows:N0} person rows ({limit.Indexes} indexes, {StorageLimit.CacheKilobytes / 1024} MB cache)", ScenarioReport.Seconds(limit.Duration))
                .Add("storage limit, rows per second", limit.RowsPerSecond)
                .Add("ratio: sync duration / storage limit", (seconds / limit.Duration.TotalSeconds).ToString("N2", CultureInfo.InvariantCulture) + "x")
                .Add("peak working set, emulator process (not the sync side)", emulator.PeakWorkingSet() is { } e ? ScenarioReport.Megabytes(e) : "?")
                .Add("CPU time of the emulator during the cycle (serving the CRM side)", ScenarioReport.Seconds(emulatorCpu))
                .Add("emulator CPU per person / sync-side CPU per person",
                    (emulatorCpu.TotalMilliseconds * 1000 / persons).ToString("N1", CultureInfo.InvariantCulture) + " µs / " +
                    (LastCycleCpu.TotalMilliseconds * 1000 / persons).ToString("N1", CultureInfo.InvariantCulture) + " µs")
                .Add("database size", ScenarioReport.Megabytes(sync.DatabaseBytes()))
                .Print();
            if (arguments.Dynamics)
                PrintBreakdown(sync);
        }
    }

    private async Task IncrementalAsync(CancellationToken cancellationToken)
    {
        var changed = arguments.Changed ?? 1000;
        var (emulator, sync, persons) = await StartAsync(arguments.Persons ?? 100_000, cancellationToken);
        await using (emulator)
        using (sync)
        {
            await PrepareAsync(sync, cancellationToken);
            var ids = sync.Strings($"SELECT _crm_id FROM person WHERE _crm_type = 'Lead' ORDER BY _row_id LIMIT {changed};");
            var contacts = changed - ids.Count;
            if (contacts > 0)
                ids.AddRange(sync.Strings($"SELECT _crm_id FROM person WHERE _crm_type = 'Contact' ORDER BY _row_id LIMIT {contacts};"));
            Console.WriteLine($"updating {ids.Count} persons in the CRM (admin API) ...");
            var stamp = DateTimeOffset.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
            await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
                async (x, ct) => await emulator.UpdateAsync(x.id.StartsWith("00Q", StringComparison.Ordinal) ? "Lead" : "Contact", x.id,
                    new Dictionary<string, object?> { ["Title"] = $"Changed {stamp} #{x.i}" }, ct));

            var (result, calls, peakDuring, allocated) = await MeasuredCycleAsync(sync, "incremental", cancellationToken);
            var pulled = result.Counts.Where(c => c.Operation == RunOperation.PullUpdates).Sum(c => c.Updated);
            var applied = sync.Scalar($"SELECT count(*) FROM person WHERE Title LIKE 'Changed {stamp} #%';");
            new ScenarioReport($"incremental --changed {changed} (over {persons} persons)")
                .Add("records changed in the CRM", ids.Count)
                .Add("records updated locally by the cycle", pulled)
                .Add("check", applied == ids.Count ? "OK (every change is in the local database)" : $"MISMATCH ({applied} found)")
                .Add("duration (the cycle)", ScenarioReport.Seconds(result.Duration))
                .Add("CPU time of the sync side during the cycle", ScenarioReport.Seconds(LastCycleCpu))
                .Add("changed records per second", ids.Count / result.Duration.TotalSeconds)
                .Add("API calls (excluding login)", calls.Api)
                .Add("login calls", calls.Logins)
                .Add("peak working set, benchmark process, whole life (includes the initial copy)", ScenarioReport.Megabytes(ScenarioReport.ProcessPeakWorkingSet()))
                .Add("peak working set, benchmark process, during the cycle (sampled 25 ms)", ScenarioReport.Megabytes(peakDuring))
                .Add("managed bytes allocated during the cycle", ScenarioReport.Megabytes(allocated))
                .Print();
        }
    }

    private async Task IdleAsync(CancellationToken cancellationToken)
    {
        var (emulator, sync, persons) = await StartAsync(arguments.Persons ?? 100_000, cancellationToken);
        await using (emulator)
        using (sync)
        {
            await PrepareAsync(sync, cancellationToken);
            var (settle, settleCalls) = await sync.CycleAsync(null, cancellationToken);
            Console.WriteLine($"first incremental cycle: {ScenarioReport.Seconds(settle.Duration)}, {settleCalls.Api} API calls");
            var (result, calls, peakDuring, allocated) = await MeasuredCycleAsync(sync, "idle", cancellationToken);
            var apiBefore = arguments.Dynamics ? null : await emulator.ApiUsedAsync(cancellationToken);
            new ScenarioReport($"idle{CrmSuffix} (over {persons} persons, {sync.Scalar("SELECT count(DISTINCT object_name) FROM crmsync_watermark;")} synced objects)")
                .Add("duration (the cycle)", ScenarioReport.Seconds(result.Duration))
                .Add("CPU time of the sync side during the cycle", ScenarioReport.Seconds(LastCycleCpu))
                .Add("API calls (excluding login)", calls.Api)
                .AddIf(!arguments.Dynamics, "  of which sObject Collections", calls.Collections)
                .AddIf(arguments.Dynamics, "  of which $batch (Dynamics)", calls.Batches)
                .AddIf(arguments.Dynamics, "check", calls.Api <= 1 ? "OK (at most one request)" : $"MISMATCH ({calls.Api} requests, target 1)")
                .Add("login calls", calls.Logins)
                .Add("emulator's API usage counter after the run", apiBefore?.ToString(CultureInfo.InvariantCulture) ?? "?")
                .Add("records re-read (overlap window) and skipped", result.Counts.Sum(c => c.Skipped))
                .Add("peak working set, benchmark process, whole life (includes the initial copy)", ScenarioReport.Megabytes(ScenarioReport.ProcessPeakWorkingSet()))
                .Add("peak working set, benchmark process, during the cycle (sampled 25 ms)", ScenarioReport.Megabytes(peakDuring))
                .Add("managed bytes allocated during the cycle", ScenarioReport.Megabytes(allocated))
                .Print();
            if (arguments.Dynamics)
                PrintBreakdown(sync);
        }
    }

    /// <summary>The measured cycle's requests by method and path (Dynamics: which entity sets were paged, which $batch).</summary>
    private static void PrintBreakdown(SyncSide sync) => PrintBreakdown(sync.Requests.Breakdown());

    private static void PrintBreakdown(IReadOnlyList<KeyValuePair<string, int>> breakdown)
    {
        Console.WriteLine("  requests of the measured cycle by method, path and status:");
        foreach (var (key, count) in breakdown)
            Console.WriteLine($"    {count,5}  {key}");
        Console.WriteLine();
    }

    private async Task PushAsync(CancellationToken cancellationToken)
    {
        var changed = arguments.Changed ?? 10_000;
        var (emulator, sync, persons) = await StartAsync(Math.Max(arguments.Persons ?? 50_000, changed), cancellationToken);
        await using (emulator)
        using (sync)
        {
            await PrepareAsync(sync, cancellationToken);
            var stamp = DateTimeOffset.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
            Console.WriteLine($"updating {changed} persons locally with plain SQL (a separate connection, like the sqlite3 command line) ...");
            sync.ExternalSql($"""
                UPDATE person SET {(arguments.Dynamics ? "jobtitle" : "Title")} = 'Pushed {stamp} #' || _row_id
                WHERE _row_id IN (SELECT _row_id FROM person WHERE _crm_id IS NOT NULL AND _crm_is_deleted = 0 ORDER BY _row_id LIMIT {changed});
                """);
            var backlog = sync.Store.Outbox.CountBacklog();
            var (result, calls, peakDuring, allocated) = await MeasuredCycleAsync(sync, "push", cancellationToken);
            var pushed = result.Counts.Where(c => c.Operation is RunOperation.PushUpdates or RunOperation.PushNew).Sum(c => c.New + c.Updated);
            var breakdown = sync.Requests.Breakdown();
            var failed = result.Counts.Where(c => c.Operation is RunOperation.PushUpdates or RunOperation.PushNew).Sum(c => c.Failed);
            var (echo, echoCalls) = await sync.CycleAsync(null, cancellationToken);
            var echoed = echo.Counts.Where(c => c.Operation == RunOperation.PullUpdates).Sum(c => c.New + c.Updated + c.Skipped);
            var per1000 = (double)calls.Api * 1000 / Math.Max(1, pushed);
            var push1000 = (double)calls.Collections * 1000 / Math.Max(1, pushed);
            var backlogAfter = sync.Store.Outbox.CountBacklog();
            new ScenarioReport($"push --changed {changed}{CrmSuffix} (over {persons} persons)")
                .Add("outbox entries before the cycle", backlog)
                .Add("records pushed", pushed)
                .Add("records failed", failed)
                .Add("outbox backlog after the cycle", backlogAfter)
                .Add("check", pushed == changed && failed == 0 && backlogAfter == 0 ? "OK (every change pushed, outbox empty, none failed)" : "MISMATCH")
                .Add("duration (the cycle: pull + push)", ScenarioReport.Seconds(result.Duration))
                .Add("CPU time of the sync side during the cycle", ScenarioReport.Seconds(LastCycleCpu))
                .Add("pushed records per second", pushed / result.Duration.TotalSeconds)
                .Add("API calls of the cycle (excluding login)", calls.Api)
                .AddIf(!arguments.Dynamics, "  of which sObject Collections (the push)", calls.Collections)
                .AddIf(arguments.Dynamics, "  of which $batch (Dynamics: the push's writes, and the pull's delta reads)", calls.Batches)
                // Dynamics: the pull's delta reads and the push's writes are both POST $batch, so only the whole cycle is measured.
                .AddIf(!arguments.Dynamics, "API calls per 1,000 pushed records, push only", push1000.ToString("N2", CultureInfo.InvariantCulture))
                .Add("API calls per 1,000 pushed records, whole cycle", per1000, "N2")
                .Add("next cycle (pulls the pushed records back): API calls", echoCalls.Api)
                .Add("next cycle: records re-read", echoed)
                .Add("next cycle: duration", ScenarioReport.Seconds(echo.Duration))
                .Add("peak working set, benchmark process, whole life (includes the initial copy)", ScenarioReport.Megabytes(ScenarioReport.ProcessPeakWorkingSet()))
                .Add("peak working set, benchmark process, during the push cycle (sampled 25 ms)", ScenarioReport.Megabytes(peakDuring))
                .Add("managed bytes allocated during the push cycle", ScenarioReport.Megabytes(allocated))
                .Print();
            if (arguments.Dynamics)
                PrintBreakdown(breakdown);
        }
    }

    /// <summary>The initial copy that incremental, idle and push start from (reported, not the measured figure).</summary>
    private static async Task PrepareAsync(SyncSide sync, CancellationToken cancellationToken)
    {
        var (initial, calls) = await sync.CycleAsync(new ConsoleProgress("initial copy (preparation)"), cancellationToken);
        Console.WriteLine($"initial copy (preparation): {ScenarioReport.Seconds(initial.Duration)}, {calls.Api} API calls, " +
                          $"{sync.Scalar("SELECT count(*) FROM person;"):N0} persons");
    }

    /// <summary>
    /// Prints the engine's progress at most every 2 seconds, and always an object's first and last page, each with the time
    /// since the cycle started (so the start of the first chunk and the switch between objects show).
    /// </summary>
    private sealed class ConsoleProgress(string label) : IProgress<SyncProgress>
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private long _last = Stopwatch.GetTimestamp();
        private string? _object;

        public void Report(SyncProgress value)
        {
            var first = value.ObjectName != _object;
            var last = value.Total is { } total && value.Done >= total;
            _object = value.ObjectName;
            if (!first && !last && Stopwatch.GetElapsedTime(_last) < TimeSpan.FromSeconds(2))
                return;
            _last = Stopwatch.GetTimestamp();
            Console.WriteLine($"  {label} +{Stopwatch.GetElapsedTime(_start).TotalSeconds:F2} s: {value.ObjectName} {value.Phase} {value.Done:N0}/{value.Total?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"}" +
                              (value.RecordsPerSecond is { } r ? $" at {r:N0}/s" : ""));
        }
    }
}
