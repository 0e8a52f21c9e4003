using System.Diagnostics;
using System.Globalization;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// Issue 5 item 8 and issue 6 item 8: the built <c>crmsync start</c> runs as a process against the emulator and is killed with
/// SIGKILL at random points (seeded, the seed is printed) of the initial copy, of an incremental cycle with CRM-side changes,
/// and of the push of locally inserted persons; it is started again each time, and in the end the local tables equal the
/// CRM's records for every synced object (ids as sets, no duplicate _crm_id, sampled values), no CRM lead was created twice,
/// and no kill during a push left a residue row (a second local copy of a local insert, issue 10).
/// Every restart comes right after the kill, with the killed run's lease still unexpired: the new run takes over the lease of
/// the crashed run (same host, process gone) at once, while a lease held by a live process still refuses a start.
/// </summary>
public sealed class KillNineTrialsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigkill_during_the_initial_copy_an_incremental_cycle_and_a_push_never_loses_or_duplicates_a_record()
    {
        var settings = CrashSettings.FromEnvironment();
        var random = new Random(settings.Seed);
        var log = new List<string>();
        var clock = Stopwatch.StartNew();
        void Say(string line)
        {
            log.Add(line);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {line}");
        }
        Say($"kill -9 trials: seed {settings.Seed}, {settings.Trials} trials per phase, {settings.Persons} persons " +
            $"(rerun: CRMSYNC_CRASH_SEED={settings.Seed} CRMSYNC_CRASH_TRIALS={settings.Trials} CRMSYNC_CRASH_PERSONS={settings.Persons})");
        var killed = new Dictionary<string, int> { ["initial"] = 0, ["incremental"] = 0, ["push"] = 0 };
        try
        {
            await using var bed = await CrashBed.StartAsync(settings.Persons);
            var persons = bed.CrmRecords("Lead").Count + bed.CrmRecords("Contact").Count;
            Say($"emulator seeded ({persons} persons), profile connected (CurrentUser) and its fields synced in {bed.Home}");

            // 0. A lease held by a live process on this host (this test process) still refuses a start and names the holder.
            // The lease outlasts any start-up delay of a loaded machine (the default two minutes would expire on its own if the
            // child took that long to start: a start beside an expired lease is allowed). The live holder is recognised by the
            // kernel's start ticks and boot id (ProcessIdentity), not by a wall-clock start time a clock step could move.
            using (var holder = CrmSyncStore.Open(bed.DatabasePath))
            {
                var held = holder.RunLock.Acquire(TimeSpan.FromMinutes(30));
                // as if the wall clock had stepped 5 s since this process recorded its start time (.NET derives it from the
                // wall clock): the child's reading then differs by 5 s, and the live holder must still be recognised
                bed.Sql("UPDATE crmsync_run_lock SET process_started_at = strftime('%Y-%m-%dT%H:%M:%fZ', process_started_at, '-5 seconds') WHERE id = 1;");
                using var refused = bed.StartCrmSync();
                var exit = await refused.WaitAsync();
                Assert.True(exit != 0, $"seed {settings.Seed}: a start beside the live holder (pid {Environment.ProcessId}, lease {held.HolderId}) ran and exited 0; " +
                                       $"lease now: {holder.RunLock.ReadCurrent()}; stderr: {refused.StandardError}; stdout: {refused.StandardOutput}");
                Assert.Contains("SyncLockHeld", refused.StandardError, StringComparison.Ordinal);
                Assert.Contains($"process {Environment.ProcessId}", refused.StandardError, StringComparison.Ordinal);
                Assert.True(holder.RunLock.Release(held));
            }
            SqliteConnection.ClearAllPools();
            Say("a start is refused with SyncLockHeld while a live process holds the lease");

            // 1. The initial copy, killed at increasing random row counts, restarted each time.
            var thresholds = Enumerable.Range(0, settings.Trials).Select(_ => random.Next(1, persons)).Order().ToList();
            for (var trial = 0; trial < thresholds.Count; trial++)
            {
                var threshold = thresholds[trial];
                using var run = bed.StartCrmSync();
                using var read = bed.OpenRead();
                var wasKilled = await run.KillWhenAsync(() => CrashBed.Long(read, "SELECT count(*) FROM person;") >= threshold);
                var rows = CrashBed.Long(read, "SELECT count(*) FROM person;");
                Say($"initial trial {trial + 1}: kill at >= {threshold} persons: {(wasKilled ? $"killed with {rows} persons copied" : "finished before the kill point")}");
                if (!wasKilled)
                {
                    Assert.True(CrashBed.WithoutTakeoverWarnings(run.StandardError).Length == 0, $"seed {settings.Seed}: crmsync start failed: {run.StandardError}");
                    break;
                }
                killed["initial"]++;
                var dead = bed.AssertDeadLeaseLeft($"seed {settings.Seed}, initial trial {trial + 1}");
                if (trial == 0 && dead is { } deadPid)
                {
                    // The dead holder's lease has not expired, yet a start right now takes it over (no wait, no manual expiry):
                    // it is killed in turn as soon as it holds the lease, which the next trial then takes over the same way.
                    using var restarted = bed.StartCrmSync();
                    var tookOver = await restarted.KillWhenAsync(() => bed.ReadLease() is { } l && l.Pid != deadPid);
                    if (!tookOver)
                        Assert.True(await restarted.WaitAsync() == 0 && restarted.StandardError.Contains($"crashed run (pid {deadPid} ", StringComparison.Ordinal),
                            $"seed {settings.Seed}: the restart after the kill did not take over the lease: {restarted.StandardError}");
                    Say($"initial trial 1: a start right after the kill took over the unexpired lease of pid {deadPid}");
                    bed.AssertDeadLeaseLeft($"seed {settings.Seed}, the restart after initial trial 1");
                }
            }
            await bed.FinishAsync(settings, "initial copy");
            var compared = bed.AssertLocalEqualsCrm(random, $"seed {settings.Seed}, after the initial copy");
            bed.AssertStoreSound($"seed {settings.Seed}, after the initial copy");
            Say($"initial copy complete: {compared} records equal the CRM's");

            // 2. Incremental cycles with CRM-side changes, each killed mid-way and rerun.
            var leadIds = bed.CrmRecords("Lead").Select(r => (string)r["Id"]!).ToList();
            var contactIds = bed.CrmRecords("Contact").Select(r => (string)r["Id"]!).ToList();
            for (var trial = 0; trial < settings.Trials; trial++)
            {
                var marker = $"crash-incremental-{settings.Seed}-{trial}";
                var changed = Math.Min(leadIds.Count / 2, 5000);
                var toChange = leadIds.OrderBy(_ => random.Next()).Take(changed + 30).ToList();
                foreach (var id in toChange.Take(changed))
                    bed.Emulator.Data.Update("Lead", id, new Dictionary<string, object?> { ["Title"] = marker });
                foreach (var id in toChange.Skip(changed).Take(10))
                    bed.Emulator.Data.Delete("Lead", id);
                foreach (var id in toChange.Skip(changed + 10).Take(10))
                    bed.Emulator.Data.ConvertLead(new LeadConvertRequest { LeadId = id, DoNotCreateOpportunity = true });
                var pair = contactIds.OrderBy(_ => random.Next()).Take(2).ToList();
                bed.Emulator.Data.Merge("Contact", pair[0], pair[1]);
                for (var i = 0; i < 200; i++)
                    bed.Emulator.Data.Insert("Lead", new Dictionary<string, object?>
                    {
                        ["LastName"] = $"Added {trial}-{i}",
                        ["Company"] = "Crash Test Ltd",
                        ["Email"] = $"added-{settings.Seed}-{trial}-{i}@example.com",
                    });
                leadIds.RemoveAll(id => toChange.Skip(changed).Contains(id));
                contactIds.Remove(pair[1]);

                var threshold = random.Next(1, changed);
                using (var run = bed.StartCrmSync())
                {
                    using var read = bed.OpenRead();
                    var query = $"SELECT count(*) FROM person WHERE Title = '{marker}';";
                    var wasKilled = await run.KillWhenAsync(() => CrashBed.Long(read, query) >= threshold);
                    var rows = CrashBed.Long(read, query);
                    Say($"incremental trial {trial + 1}: {changed} updates, 10 deletes, 10 conversions, 1 merge, 200 new leads; kill at >= {threshold} updated: " +
                        (wasKilled ? $"killed with {rows} applied" : "finished before the kill point"));
                    if (wasKilled)
                    {
                        killed["incremental"]++;
                        bed.AssertDeadLeaseLeft($"seed {settings.Seed}, incremental trial {trial + 1}");
                    }
                }
                await bed.FinishAsync(settings, $"incremental trial {trial + 1}");
                bed.AssertLocalEqualsCrm(random, $"seed {settings.Seed}, incremental trial {trial + 1}");
                leadIds = bed.CrmRecords("Lead").Select(r => (string)r["Id"]!).ToList();
                contactIds = bed.CrmRecords("Contact").Select(r => (string)r["Id"]!).ToList();
            }

            // 3. Pushes: persons inserted with plain SQL, the push killed at random points, rerun until the outbox is drained.
            var inserted = 0;
            for (var trial = 0; trial < settings.Trials; trial++)
            {
                var count = 600 + random.Next(0, 600);
                var prefix = $"crash-push-{settings.Seed}-{trial}-";
                bed.Sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count) " +
                        "INSERT INTO person (FirstName, LastName, Email, Company) SELECT 'Pushed', 'Person ' || i, $prefix || i || '@example.com', 'Crash Push Ltd' FROM n;",
                    ("$count", count), ("$prefix", prefix));
                inserted += count;
                var threshold = random.Next(0, count - 200);
                var pushedQuery = $"SELECT count(*) FROM person WHERE Email LIKE '{prefix}%' AND _crm_id IS NOT NULL;";
                using (var run = bed.StartCrmSync())
                {
                    using var read = bed.OpenRead();
                    // Killed while a batch is in flight: the CRM may have created the leads, the local commit did not happen.
                    var wasKilled = await run.KillWhenAsync(() =>
                        CrashBed.Long(read, "SELECT count(*) FROM crmsync_outbox WHERE state = 'InFlight';") > 0 && CrashBed.Long(read, pushedQuery) >= threshold);
                    Say($"push trial {trial + 1}: {count} local inserts; kill with a batch in flight after >= {threshold} written back: " +
                        (wasKilled ? $"killed with {CrashBed.Long(read, pushedQuery)} written back, " +
                                     $"{bed.Emulator.Data.List("Lead").Count(r => ((string?)r.GetValueOrDefault("Email"))?.StartsWith(prefix, StringComparison.Ordinal) == true)} in the CRM"
                            : "finished before the kill point"));
                    if (wasKilled)
                    {
                        killed["push"]++;
                        bed.AssertDeadLeaseLeft($"seed {settings.Seed}, push trial {trial + 1}");
                    }
                }
                // its last cycle: the pull brings the created leads back with what the CRM computed (Name), so both sides compare whole
                await bed.DrainOutboxAsync(settings, $"push trial {trial + 1}");
                AssertNoDuplicateCreates(bed, settings, prefix, count);
                bed.AssertLocalEqualsCrm(random, $"seed {settings.Seed}, push trial {trial + 1}");
            }

            Say($"result: PASS seed {settings.Seed}: {killed["initial"]} kills in the initial copy, {killed["incremental"]} in incremental cycles, " +
                $"{killed["push"]} in pushes; {inserted} local inserts, 0 duplicate CRM records, 0 residue local rows; {clock.Elapsed.TotalSeconds:0} s");
            settings.Report(log[^1]);
        }
        catch (Exception e)
        {
            settings.ReportFailure("", e);
            throw;
        }
    }

    /// <summary>Every CrmSync_Key__c is on exactly one CRM lead, and every local insert has exactly one CRM lead, its own.</summary>
    private static void AssertNoDuplicateCreates(CrashBed bed, CrashSettings settings, string prefix, int count)
    {
        var keys = bed.Emulator.Data.List("Lead", includeDeleted: true)
            .Where(r => r.GetValueOrDefault("CrmSync_Key__c") is string { Length: > 0 })
            .Select(r => ((string)r["CrmSync_Key__c"]!, (string)r["Id"]!));
        bed.AssertEachLocalInsertCreatedOnce($"seed {settings.Seed}", keys, "Email", prefix, count, StringComparer.Ordinal);
        using var read = bed.OpenRead();
        var residue = CrashBed.Long(read, "SELECT count(*) FROM person WHERE _crm_id IS NULL AND _client_key IS NOT NULL AND _merged_into IS NOT NULL;");
        Assert.True(residue == 0, $"seed {settings.Seed}: {residue} residue row(s) (no CRM id, merged into another) in person");
        Assert.Equal(count, bed.Emulator.Data.List("Lead").Count(r => ((string?)r.GetValueOrDefault("Email"))?.StartsWith(prefix, StringComparison.Ordinal) == true));
    }
}
