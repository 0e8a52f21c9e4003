using System.Diagnostics;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Dynamics.Data;
using Xunit.Abstractions;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// Issue 13 item 9, the crash part: the built <c>crmsync start</c> of a Dynamics 365 profile runs as a process against the
/// emulator's Dataverse org and is killed with SIGKILL at random points (seeded, the seed is printed) of the initial copy (by
/// change tracking, pages of 5000), of an incremental cycle (delta links, with updates over more than one page, deletes,
/// qualifies, a merge and sync-filter transitions) and of a push (local inserts upserted on <c>new_crmsynckey</c> with
/// If-None-Match, local updates with If-Match, in $batch) and of the full re-read that replaces expired delta tokens (after
/// its first committed page; the records deleted meanwhile must end flagged deleted), then started again. In the end: every CRM record that syncs
/// (DYNAMICS.md §2.3: only an explicit No that was never synced stays out) is local with the CRM's values, every local edit
/// is in Dataverse, no two Dataverse rows share a <c>new_crmsynckey</c> and the lead and contact counts are the expected
/// ones, no local row is there twice, <c>PRAGMA integrity_check</c> is ok and no run is left Running.
/// Rerun a failure with CRMSYNC_CRASH_SEED (and CRMSYNC_CRASH_TRIALS / CRMSYNC_CRASH_PERSONS, as printed).
/// </summary>
public sealed class DynamicsKillNineTrialsTests(ITestOutputHelper output)
{
    /// <summary>12,000 persons: the leads take two 5000-row pages, the contacts a third.</summary>
    private const int DefaultPersons = 12_000;

    /// <summary>The CrmSync alternate-key column creates are upserted on.</summary>
    private const string KeyField = "new_crmsynckey";

    [Fact]
    public async Task Sigkill_during_a_dynamics_initial_copy_an_incremental_cycle_and_a_push_never_loses_or_duplicates_a_record()
    {
        // two kill points per phase by default keep the set under about a minute; CRMSYNC_CRASH_TRIALS asks for more
        var settings = CrashSettings.FromEnvironment(DefaultPersons, defaultTrials: 2);
        var random = new Random(settings.Seed);
        var clock = Stopwatch.StartNew();
        var log = new List<string>();
        void Say(string line)
        {
            log.Add(line);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {line}");
        }
        Say($"Dynamics kill -9 trials: seed {settings.Seed}, {settings.Trials} trials per phase, {settings.Persons} persons " +
            $"(rerun: CRMSYNC_CRASH_SEED={settings.Seed} CRMSYNC_CRASH_TRIALS={settings.Trials} CRMSYNC_CRASH_PERSONS={settings.Persons})");
        var killed = new Dictionary<string, int> { ["initial"] = 0, ["incremental"] = 0, ["push"] = 0, ["reread"] = 0 };
        var context = $"seed {settings.Seed}";
        try
        {
            var leads = settings.Persons * 3 / 4;
            await using var bed = await CrashBed.StartDynamicsAsync(new DynamicsSeedPlan
            {
                Leads = leads,
                Contacts = settings.Persons - leads,
                Accounts = 40,
                Opportunities = 20,
                SystemUsers = 3,
                Lists = 3,
                ListMembers = 60,
                Custom = 10,
            });
            var org = bed.Emulator.Dynamics!;
            var crm = (DynamicsCrashCrm)bed.Crm;
            var user = org.SecondUser.Id;
            var leadDef = org.Store.Entity("lead")!;
            var contactDef = org.Store.Entity("contact")!;
            int Persons() => crm.Expected("lead").Count + crm.Expected("contact").Count;
            var jobtitle = bed.Column("lead", "jobtitle");
            Say($"Dataverse org seeded ({org.Store.Count("lead")} leads, {org.Store.Count("contact")} contacts, {Persons()} of them sync), " +
                $"profile connected (CurrentUser, password grant) and its fields synced in {bed.Home}");

            // 1. The initial copy, killed at increasing random person counts (and a random moment after), restarted each time.
            var persons = Persons();
            // below three quarters of the persons: the kill lands inside the copy (the last page may finish first otherwise)
            var thresholds = Enumerable.Range(0, settings.Trials).Select(_ => random.Next(1, persons * 3 / 4)).Order().ToList();
            for (var trial = 0; trial < thresholds.Count; trial++)
            {
                var (threshold, delay) = (thresholds[trial], random.Next(0, 400));
                using var run = bed.StartCrmSync();
                using var read = bed.OpenRead();
                var wasKilled = await run.KillWhenAsync(Delayed(() => CrashBed.Long(read, "SELECT count(*) FROM person;") >= threshold, delay));
                var rows = CrashBed.Long(read, "SELECT count(*) FROM person;");
                Say($"initial trial {trial + 1}: kill {delay} ms after >= {threshold} persons: {(wasKilled ? $"killed with {rows} persons copied" : "finished before the kill point")}");
                if (!wasKilled)
                {
                    Assert.True(await run.WaitAsync() == 0, $"{context}: crmsync start failed: {run.StandardError}");
                    break;
                }
                killed["initial"]++;
                bed.AssertDeadLeaseLeft($"{context}, initial trial {trial + 1}");
            }
            await bed.FinishAsync(settings, "initial copy");
            var compared = bed.AssertLocalEqualsCrm(random, $"{context}, after the initial copy");
            bed.AssertStoreSound($"{context}, after the initial copy");
            Say($"initial copy complete: {compared} records equal the CRM's");

            // 2. Incremental cycles with Dataverse-side changes over more than one delta page, each killed mid-way and rerun.
            for (var trial = 0; trial < settings.Trials; trial++)
            {
                var marker = $"crash-dv-incremental-{settings.Seed}-{trial}";
                var live = LivePersons(crm);
                var leadIds = live.Where(p => p.Entity == "lead").Select(p => p.Id).OrderBy(_ => random.Next()).ToList();
                var contactIds = live.Where(p => p.Entity == "contact").Select(p => p.Id).OrderBy(_ => random.Next()).ToList();
                var changed = Math.Min(leadIds.Count - 100, 5500); // with the other changes: more than one 5000-row delta page
                foreach (var id in leadIds.Take(changed))
                    org.Writer.Update(leadDef, id, new() { ["jobtitle"] = marker }, user);
                foreach (var id in contactIds.Take(200))
                    org.Writer.Update(contactDef, id, new() { ["jobtitle"] = marker }, user);
                var rest = leadIds.Skip(changed).ToList();
                foreach (var id in rest.Take(10))
                    org.Writer.Delete(leadDef, id, user);
                // Not a contact made by qualifying a lead: a full re-read (phase 4) would bring that qualified lead back as a new
                // person once its contact is deleted (a known gap, see README Known limits).
                var deletedContacts = contactIds.Skip(200).Where(id => !crm.MadeFromLead(id)).Take(5).ToList();
                foreach (var id in deletedContacts)
                    org.Writer.Delete(contactDef, id, user);
                // Any lead may be qualified: a lead whose filter is empty or Yes gets a contact with the lead's filter, and an empty
                // one becomes the column's default, No (lead syncs, contact No: DYNAMICS.md says the lead stays a lead). That case
                // once failed without any kill (replay: CRMSYNC_CRASH_SEED=1804319652 CRMSYNC_CRASH_TRIALS=3): the lead's row became
                // the contact when the contact's filter was not known yet; fixed in RecordApplier.ApplyConversion.
                foreach (var id in rest.Skip(10).Take(10))
                    org.Writer.QualifyLead(id, createAccount: false, createContact: true, createOpportunity: false, status: 3, user);
                var pair = contactIds.Skip(200).Except(deletedContacts).Take(2).ToList();
                org.Writer.Merge(contactDef, pair[0], pair[1], [], user);
                // the filter: Yes → No leaves the row stale (never deleted); an explicit No never synced → Yes creates the person
                foreach (var id in rest.Skip(20).Take(10))
                {
                    org.Writer.Update(leadDef, id, new() { ["new_synctomkto"] = false, ["jobtitle"] = "not seen " + marker }, user);
                    crm.StaleIds.Add(DynamicsCrashCrm.Id(id));
                }
                var hidden = org.Store.Snapshot("lead").Where(r => r.Get("new_synctomkto") is false && !crm.StaleIds.Contains(DynamicsCrashCrm.Id(r.Id)))
                    .Select(r => r.Id).OrderBy(_ => random.Next()).Take(10).ToList();
                foreach (var id in hidden)
                    org.Writer.Update(leadDef, id, new() { ["new_synctomkto"] = true }, user);
                for (var i = 0; i < 200; i++)
                    org.Writer.Create(leadDef, new()
                    {
                        ["firstname"] = "Added",
                        ["lastname"] = $"Lead {trial}-{i}",
                        ["companyname"] = "Crash Test Ltd",
                        ["emailaddress1"] = $"added-{settings.Seed}-{trial}-{i}@example.com",
                        ["new_synctomkto"] = (i % 10) switch { 0 => false, 1 => null, _ => true },
                    }, user);
                for (var i = 0; i < 50; i++)
                    org.Writer.Create(contactDef, new() { ["firstname"] = "Added", ["lastname"] = $"Contact {trial}-{i}", ["new_synctomkto"] = true }, user);

                var threshold = random.Next(1, changed);
                var delay = random.Next(0, 400);
                using (var run = bed.StartCrmSync())
                {
                    using var read = bed.OpenRead();
                    var query = $"SELECT count(*) FROM person WHERE \"{jobtitle}\" = '{marker}';";
                    var wasKilled = await run.KillWhenAsync(Delayed(() => CrashBed.Long(read, query) >= threshold, delay));
                    var rows = CrashBed.Long(read, query);
                    Say($"incremental trial {trial + 1}: {changed} lead and 200 contact updates, 15 deletes, 10 qualifies, 1 merge, 10 Yes→No, {hidden.Count} No→Yes, " +
                        $"250 new; kill {delay} ms after >= {threshold} updated: " + (wasKilled ? $"killed with {rows} applied" : "finished before the kill point"));
                    if (wasKilled)
                    {
                        killed["incremental"]++;
                        bed.AssertDeadLeaseLeft($"{context}, incremental trial {trial + 1}");
                    }
                }
                await bed.FinishAsync(settings, $"incremental trial {trial + 1}");
                var where = $"{context}, incremental trial {trial + 1}";
                bed.AssertLocalEqualsCrm(random, where);
                crm.RememberConversions();
                bed.AssertStoreSound(where);
                // every record the CRM changed is local with the change (not only a sample)
                var marked = crm.Expected("lead").Concat(crm.Expected("contact")).Count(r => !r.Stale && Equals(r["jobtitle"], marker));
                Assert.True(marked > changed / 2, $"{where}: only {marked} CRM persons carry the change");
                Assert.Equal(marked, bed.Long($"SELECT count(*) FROM person WHERE \"{jobtitle}\" = '{marker}' AND _crm_is_deleted = 0;"));
                foreach (var id in hidden)
                    Assert.Equal(1, bed.Long($"SELECT count(*) FROM person WHERE _crm_id = '{DynamicsCrashCrm.Id(id)}' AND _crm_is_deleted = 0;"));
            }

            // 3. Pushes: persons inserted and updated with plain SQL, the push killed with a $batch in flight, rerun until drained.
            var inserted = 0;
            var updatedTotal = 0;
            for (var trial = 0; trial < settings.Trials; trial++)
            {
                var where = $"{context}, push trial {trial + 1}";
                var leadsBefore = org.Store.Count("lead");
                var contactsBefore = org.Store.Count("contact");
                var count = 300 + random.Next(0, 300);
                var prefix = $"crash-dv-push-{settings.Seed}-{trial}-";
                var marker = $"crash-dv-pushed-{settings.Seed}-{trial}";
                var targets = LivePersons(crm).OrderBy(_ => random.Next()).Take(200 + random.Next(0, 200)).ToList();
                var baseline = bed.Long("SELECT coalesce(max(id), 0) FROM crmsync_outbox;");
                var insert = $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) " +
                             $"INSERT INTO person (\"{bed.Column("lead", "firstname")}\", \"{bed.Column("lead", "lastname")}\", \"{bed.Column("lead", "emailaddress1")}\", " +
                             $"\"{bed.Column("lead", "companyname")}\") SELECT 'Pushed', 'Person ' || i, '{prefix}' || i || '@example.com', 'Crash Push Ltd' FROM n;";
                var update = $"UPDATE person SET \"{jobtitle}\" = '{marker}' WHERE _crm_id IN ({string.Join(", ", targets.Select(t => $"'{DynamicsCrashCrm.Id(t.Id)}'"))});";
                bed.Sql(random.Next(2) == 0 ? insert + " " + update : update + " " + insert);
                inserted += count;
                updatedTotal += targets.Count;
                var changes = bed.Long($"SELECT count(*) FROM crmsync_outbox WHERE id > {baseline};");
                Assert.Equal(count + targets.Count, changes);

                var threshold = random.Next(0, (int)changes - 100);
                var done = $"SELECT count(*) FROM crmsync_outbox WHERE id > {baseline} AND state = 'Done';";
                using (var run = bed.StartCrmSync())
                {
                    using var read = bed.OpenRead();
                    // Killed while a $batch is in flight: Dataverse may have written its rows, the local commit did not happen.
                    var wasKilled = await run.KillWhenAsync(() =>
                        CrashBed.Long(read, "SELECT count(*) FROM crmsync_outbox WHERE state = 'InFlight';") > 0 && CrashBed.Long(read, done) >= threshold);
                    Say($"push trial {trial + 1}: {count} local inserts, {targets.Count} local updates; kill with a $batch in flight after >= {threshold} done: " +
                        (wasKilled ? $"killed with {CrashBed.Long(read, done)} done, {CreatedIn(org, prefix).Count} inserts in Dataverse" : "finished before the kill point"));
                    if (wasKilled)
                    {
                        killed["push"]++;
                        bed.AssertDeadLeaseLeft(where);
                    }
                }
                await bed.DrainOutboxAsync(settings, where); // its last cycle: the pushed rows come back (as the sync user's: no echo)

                AssertNoDuplicateCreates(bed, org, where, prefix, count);
                crm.PushedIds.UnionWith(CreatedIn(org, prefix).Select(r => DynamicsCrashCrm.Id(r.Id)));
                Assert.Equal(leadsBefore + count, org.Store.Count("lead"));
                Assert.Equal(contactsBefore, org.Store.Count("contact"));
                var missed = targets.Where(t => org.Store.Find(t.Entity, t.Id)?.Get("jobtitle") as string != marker).Take(5).ToList();
                Assert.True(missed.Count == 0, $"{where}: local updates not in Dataverse: {string.Join(", ", missed.Select(m => $"{m.Entity} {m.Id}"))}");
                bed.AssertLocalEqualsCrm(random, where);
                crm.RememberConversions();
                bed.AssertStoreSound(where);
            }

            // 4. Expired delta tokens: Dataverse keeps changes for 0 days, so every delta token a cycle sends is refused and each
            // entity is read in full again (the deletions made meanwhile come in no delta). The re-read is killed after its first
            // committed page of leads (its ids marked in crmsync_reread_seen with the page) and restarted; in the end exactly the
            // records deleted in Dataverse are flagged deleted, the stale (Yes → No) and every other record stay live.
            org.Settings.ExpireChangeTrackingInDays = 0;
            for (var trial = 0; trial < settings.Trials; trial++)
            {
                var where = $"{context}, re-read trial {trial + 1}";
                var marker = $"crash-dv-reread-{settings.Seed}-{trial}";
                var live = LivePersons(crm);
                var leadIds = live.Where(p => p.Entity == "lead").Select(p => p.Id).OrderBy(_ => random.Next()).ToList();
                var contactIds = live.Where(p => p.Entity == "contact").Select(p => p.Id).OrderBy(_ => random.Next()).ToList();
                var gone = leadIds.Take(20).Select(id => (leadDef, id)).Concat(contactIds.Where(id => !crm.MadeFromLead(id)).Take(5).Select(id => (contactDef, id))).ToList();
                foreach (var (def, id) in gone)
                    org.Writer.Delete(def, id, user);
                foreach (var id in leadIds.Skip(20).Take(50))
                    org.Writer.Update(leadDef, id, new() { ["jobtitle"] = marker }, user);
                // The org keeps changes 0 days: once its clock has moved on, every delta token the last run kept is refused.
                bed.Emulator.Clock.Advance(TimeSpan.FromSeconds(2));
                var delay = random.Next(0, 400);
                const string marks = "SELECT count(*) FROM crmsync_reread_seen WHERE object_name = 'lead';";
                using (var run = bed.StartCrmSync())
                {
                    using var read = bed.OpenRead();
                    var wasKilled = await run.KillWhenAsync(Delayed(() => CrashBed.Long(read, marks) > 0, delay));
                    Say($"re-read trial {trial + 1}: every delta token expired, 20 leads and 5 contacts deleted, 50 leads updated; kill {delay} ms after " +
                        "the first re-read page of leads: " + (wasKilled ? $"killed with {CrashBed.Long(read, marks)} lead ids marked" : "finished before the kill point"));
                    if (wasKilled)
                    {
                        killed["reread"]++;
                        bed.AssertDeadLeaseLeft(where);
                    }
                }
                await bed.FinishAsync(settings, where);
                bed.AssertLocalEqualsCrm(random, where); // the live local rows are exactly the CRM's (deleted ones flagged, stale ones live)
                crm.RememberConversions();
                bed.AssertStoreSound(where);
                foreach (var (_, id) in gone)
                    Assert.True(bed.Long($"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{DynamicsCrashCrm.Id(id)}';") == 1, $"{where}: {id} deleted in Dataverse is live locally");
                Assert.Equal(50, bed.Long($"SELECT count(*) FROM person WHERE \"{jobtitle}\" = '{marker}' AND _crm_is_deleted = 0;"));
                Assert.Equal(0, bed.Long("SELECT count(*) FROM crmsync_reread_seen;"));
                Assert.Equal(0, bed.Long("SELECT count(*) FROM crmsync_checkpoint WHERE phase = 'initial';"));
            }
            org.Settings.ExpireChangeTrackingInDays = 7;

            Say($"result: PASS seed {settings.Seed}: {killed["initial"]} kills in the initial copy, {killed["incremental"]} in incremental cycles, " +
                $"{killed["push"]} in pushes, {killed["reread"]} in re-reads after an expired delta token; {inserted} local inserts and {updatedTotal} local updates in Dataverse once, 0 duplicate CRM or local records; " +
                $"{clock.Elapsed.TotalSeconds:0} s");
            settings.Report("dynamics " + log[^1]);
        }
        catch (Exception e)
        {
            settings.ReportFailure("dynamics ", e);
            throw;
        }
    }

    /// <summary>True from <paramref name="delayMs"/> after <paramref name="condition"/> first held: kills land inside reads and writes, not only at commits.</summary>
    private static Func<bool> Delayed(Func<bool> condition, int delayMs)
    {
        Stopwatch? since = null;
        return () =>
        {
            if (since is null)
            {
                if (!condition())
                    return false;
                since = Stopwatch.StartNew();
            }
            return since.ElapsedMilliseconds >= delayMs;
        };
    }

    /// <summary>Persons that sync and are expected up to date (not stale), with their entity.</summary>
    private static List<(string Entity, Guid Id)> LivePersons(DynamicsCrashCrm crm) =>
        crm.Expected("lead").Where(r => !r.Stale).Select(r => ("lead", Guid.Parse(r.Id)))
            .Concat(crm.Expected("contact").Where(r => !r.Stale).Select(r => ("contact", Guid.Parse(r.Id))))
            .ToList();

    private static List<DvRecord> CreatedIn(DynamicsOrg org, string prefix) =>
        org.Store.Snapshot("lead").Where(r => (r.Get("emailaddress1") as string)?.StartsWith(prefix, StringComparison.Ordinal) == true).ToList();

    /// <summary>
    /// No two Dataverse leads or contacts share a new_crmsynckey, every local insert has exactly one Dataverse lead (its own,
    /// by the key, whose id the row holds), and no kill left a second local copy of an insert.
    /// </summary>
    private static void AssertNoDuplicateCreates(CrashBed bed, DynamicsOrg org, string where, string prefix, int count)
    {
        var keys = org.Store.Snapshot("lead").Concat(org.Store.Snapshot("contact"))
            .Where(r => r.Get(KeyField) is string { Length: > 0 })
            .Select(r => ((string)r.Get(KeyField)!, DynamicsCrashCrm.Id(r.Id)));
        bed.AssertEachLocalInsertCreatedOnce(where, keys, bed.Column("lead", "emailaddress1"), prefix, count, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(count, CreatedIn(org, prefix).Count);
    }
}
