using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Faults;
using CrmSync.Engine;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Integration.Tests.Dynamics;

/// <summary>
/// Issue 13 items 3-6 end to end against the emulator's Dataverse org: field selection, the initial copy and incremental
/// pulls by change tracking, deletes, qualify, merge, the sync filter, and the push. Data is kept small.
/// </summary>
public sealed class DynamicsSyncTests
{
    private static readonly DynamicsSeedPlan Small = new() { Leads = 6, Contacts = 4, Accounts = 2, Lists = 1, ListMembers = 2, SyncFilterYes = 1, SyncFilterEmpty = 0, SyncFilterNo = 0 };

    private static string Id(Guid id) => DynamicsSyncBed.Id(id);

    [Fact]
    public async Task Initial_copy_fills_the_person_table_with_leads_and_contacts_and_an_idle_cycle_costs_one_request()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(Small);
        var first = await bed.SucceededCycleAsync();
        Assert.Equal(RunKind.Initial, first.Kind);
        Assert.Equal(6L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_type = 'Lead'"));
        Assert.Equal(4L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_type = 'Contact'"));
        Assert.Equal(2L, bed.Scalar("SELECT count(*) FROM account"));

        await bed.SucceededCycleAsync(); // catches up once
        var before = bed.Wire.Count("/api/data/");
        var idle = await bed.SucceededCycleAsync();
        Assert.Equal(RunKind.Incremental, idle.Kind);
        Assert.True(bed.Wire.Count("/api/data/") - before <= 1, string.Join("\n", bed.Wire.Requests.Skip(before).Select(r => r.ToString())));
    }

    private static SyncOperationCount Count(SyncRunResult result, string objectName, RunOperation operation) =>
        result.Counts.SingleOrDefault(c => c.ObjectName == objectName && c.Operation == operation)
        ?? new SyncOperationCount(objectName, operation, 0, 0, 0, 0, 0);

    private static async Task<DynamicsSyncBed> CopiedAsync(DynamicsSeedPlan? seed = null)
    {
        var bed = await DynamicsSyncBed.StartAsync(seed ?? Small);
        await bed.SucceededCycleAsync();
        return bed;
    }

    [Fact]
    public async Task Option_sets_keep_their_value_with_labels_in_the_option_table_and_lookups_keep_the_id()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(Small);
        var account = bed.Create("account", new() { ["name"] = "Lookup Co" });
        var contact = bed.Create("contact", new() { ["lastname"] = "Looked", ["parentcustomerid"] = new CrmSync.Emulator.Dynamics.Data.EntityRef(account, "account"), ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();
        Assert.True((long)bed.Scalar("SELECT count(*) FROM crmsync_option_label WHERE object_name = 'lead' AND label IS NOT NULL")! > 0);
        Assert.Equal(Id(account), bed.Scalar($"SELECT parentcustomerid FROM person WHERE _crm_id = '{Id(contact)}'"));
        var source = bed.Create("lead", new() { ["lastname"] = "Sourced", ["companyname"] = "S Co", ["leadsourcecode"] = 1, ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();
        Assert.Equal("1", bed.Scalar($"SELECT leadsourcecode FROM person WHERE _crm_id = '{Id(source)}'"));
        Assert.NotNull(bed.Scalar("SELECT o.label FROM person p JOIN crmsync_option_label o ON o.object_name = 'lead' AND o.field_name = 'leadsourcecode' AND o.value = p.leadsourcecode " +
                                  $"WHERE p._crm_id = '{Id(source)}'"));
    }

    [Fact]
    public async Task Incremental_cycles_bring_creates_updates_and_deletes_and_a_deleted_person_is_flagged_not_removed()
    {
        await using var bed = await CopiedAsync();
        var lead = bed.Org.Store.Snapshot("lead")[0].Id;
        var gone = bed.Org.Store.Snapshot("contact")[0].Id;
        bed.Update("lead", lead, new() { ["jobtitle"] = "Changed in Dynamics" });
        var added = bed.Create("lead", new() { ["lastname"] = "Newcomer", ["companyname"] = "New Co", ["new_synctomkto"] = true });
        bed.Org.Writer.Delete(bed.Org.Store.Entity("contact")!, gone, bed.CrmUser);

        var result = await bed.SucceededCycleAsync();

        Assert.Equal("Changed in Dynamics", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(lead)}'"));
        Assert.Equal("Newcomer", bed.Scalar($"SELECT lastname FROM person WHERE _crm_id = '{Id(added)}'"));
        Assert.Equal(1L, bed.Scalar($"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{Id(gone)}'"));
        Assert.Equal(1, Count(result, "contact", RunOperation.PullDeletes).Deleted);
    }

    [Fact]
    public async Task A_qualified_lead_leaves_one_contact_person_and_a_merge_keeps_the_winner_filled_from_the_loser()
    {
        await using var bed = await CopiedAsync();
        var qualified = bed.Create("lead", new() { ["firstname"] = "Quinn", ["lastname"] = "Qualify", ["companyname"] = "Q Co", ["jobtitle"] = "Lead title", ["new_synctomkto"] = true });
        var winner = bed.Create("lead", new() { ["lastname"] = "Winner", ["companyname"] = "W Co", ["new_synctomkto"] = true });
        var loser = bed.Create("lead", new() { ["lastname"] = "Loser", ["companyname"] = "L Co", ["telephone1"] = "+1 555 0100", ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();

        var created = bed.Org.Writer.QualifyLead(qualified, createAccount: false, createContact: true, createOpportunity: false, status: 3, bed.CrmUser);
        var contact = Assert.Single(created).Record.Id;
        bed.Org.Writer.Merge(bed.Org.Store.Entity("lead")!, winner, loser, [], bed.CrmUser);
        var result = await bed.SucceededCycleAsync();

        Assert.Equal(1L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(contact)}' AND _crm_type = 'Contact' AND _crm_is_deleted = 0"));
        Assert.Equal(0L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(qualified)}'"));
        Assert.Equal(Id(qualified), bed.Scalar($"SELECT _converted_from_lead_id FROM person WHERE _crm_id = '{Id(contact)}'"));
        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM person WHERE lastname = 'Qualify' AND _crm_is_deleted = 0"));
        Assert.Equal(1, Count(result, "lead", RunOperation.PullConversions).Updated);

        Assert.Equal(Id(winner), bed.Scalar($"SELECT _merged_into FROM person WHERE _crm_id = '{Id(loser)}'"));
        Assert.Equal(1L, bed.Scalar($"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{Id(loser)}'"));
        Assert.Equal("+1 555 0100", bed.Scalar($"SELECT telephone1 FROM person WHERE _crm_id = '{Id(winner)}'"));
    }

    [Fact]
    public async Task A_qualified_lead_keeps_its_values_where_the_new_contact_is_blank()
    {
        await using var bed = await CopiedAsync();
        var qualified = bed.Create("lead", new() { ["lastname"] = "Early", ["companyname"] = "E Co", ["jobtitle"] = "From the lead", ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();
        var contact = Assert.Single(bed.Org.Writer.QualifyLead(qualified, false, true, false, 3, bed.CrmUser)).Record.Id;
        bed.Update("contact", contact, new() { ["jobtitle"] = null });
        await bed.SucceededCycleAsync();

        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM person WHERE lastname = 'Early' AND _crm_is_deleted = 0"));
        Assert.Equal("Contact", bed.Scalar($"SELECT _crm_type FROM person WHERE _crm_id = '{Id(contact)}'"));
        Assert.Equal("From the lead", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(contact)}'"));

        bed.Update("contact", contact, new() { ["jobtitle"] = "Contact title" }); // later contact changes apply as they come
        await bed.SucceededCycleAsync();
        Assert.Equal("Contact title", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(contact)}'"));
    }

    [Fact]
    public async Task The_sync_filter_skips_an_explicit_no_creates_on_no_to_yes_and_leaves_yes_to_no_stale()
    {
        await using var bed = await CopiedAsync();
        var no = bed.Create("lead", new() { ["lastname"] = "Hidden", ["companyname"] = "H Co", ["new_synctomkto"] = false });
        var empty = bed.Create("lead", new() { ["lastname"] = "Empty", ["companyname"] = "E Co", ["new_synctomkto"] = null });
        var yes = bed.Create("lead", new() { ["lastname"] = "Shown", ["companyname"] = "S Co", ["new_synctomkto"] = true });
        var first = await bed.SucceededCycleAsync();
        Assert.Equal(0L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(no)}'"));
        Assert.Equal(1L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(empty)}'"));
        Assert.Equal(1, Count(first, "lead", RunOperation.PullUpdates).Filtered);

        bed.Update("lead", no, new() { ["new_synctomkto"] = true });
        bed.Update("lead", yes, new() { ["new_synctomkto"] = false, ["jobtitle"] = "Not seen" });
        var second = await bed.SucceededCycleAsync();

        Assert.Equal("Hidden", bed.Scalar($"SELECT lastname FROM person WHERE _crm_id = '{Id(no)}'"));
        Assert.Equal(0L, bed.Scalar($"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{Id(yes)}'"));
        Assert.Null(bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(yes)}'"));
        Assert.Equal(1, Count(second, "lead", RunOperation.PullUpdates).Filtered);
        Assert.Equal(1L, bed.Store.Runs.Counts(second.RunId).Single(c => c.ObjectName == "lead" && c.Operation == RunOperation.PullUpdates).Filtered);
    }

    /// <summary>Expires every delta token of the org: its change tracking keeps one day, and two pass.</summary>
    private static void ExpireDeltaTokens(DynamicsSyncBed bed)
    {
        bed.Org.Settings.ExpireChangeTrackingInDays = 1;
        bed.Host.Clock.Advance(TimeSpan.FromDays(2));
    }

    private static long Deleted(DynamicsSyncBed bed, Guid id) => (long)bed.Scalar($"SELECT _crm_is_deleted FROM person WHERE _crm_id = '{Id(id)}'")!;

    [Fact]
    public async Task An_expired_delta_token_reads_the_entity_in_full_again_with_a_warning_flags_what_the_crm_deleted_and_loses_nothing()
    {
        await using var bed = await CopiedAsync();
        var leads = bed.Org.Store.Snapshot("lead");
        var (lead, gone, hidden) = (leads[0].Id, leads[1].Id, leads[2].Id);
        var goneContact = bed.Org.Store.Snapshot("contact")[0].Id;
        Assert.Equal(0L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1"));
        Assert.Equal(0L, Deleted(bed, gone) + Deleted(bed, hidden) + Deleted(bed, goneContact));

        ExpireDeltaTokens(bed);
        bed.Update("lead", lead, new() { ["jobtitle"] = "After the expiry" });
        var added = bed.Create("lead", new() { ["lastname"] = "Late", ["companyname"] = "L Co", ["new_synctomkto"] = true });
        bed.Org.Writer.Delete(bed.Org.Store.Entity("lead")!, gone, bed.CrmUser);
        bed.Org.Writer.Delete(bed.Org.Store.Entity("contact")!, goneContact, bed.CrmUser);
        bed.Update("lead", hidden, new() { ["new_synctomkto"] = false }); // the re-read skips it (No), but it still exists
        bed.Sql("INSERT INTO person (firstname, lastname, emailaddress1, companyname) VALUES ('Una', 'Pushed', 'una@example.com', 'Una Co');");

        var result = await bed.SucceededCycleAsync();

        Assert.Contains(result.Warnings, w => w.Contains("expired", StringComparison.Ordinal) && w.Contains("lead", StringComparison.Ordinal)
                                              && w.Contains("flagged deleted", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("stay live", StringComparison.Ordinal));
        Assert.Equal("After the expiry", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(lead)}'"));
        Assert.Equal(1L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(added)}'"));
        // Deleted in Dataverse while the token was expired: flagged, as a delete in the delta would be (the rows are kept).
        Assert.Equal(1L, Deleted(bed, gone));
        Assert.Equal(1L, Deleted(bed, goneContact));
        Assert.Equal(1, Count(result, "lead", RunOperation.PullDeletes).Deleted);
        Assert.Equal(1, Count(result, "contact", RunOperation.PullDeletes).Deleted);
        // Still in Dataverse: live, the one set to No included (filtered out of the read, not deleted).
        Assert.Equal(0L, Deleted(bed, lead));
        Assert.Equal(0L, Deleted(bed, hidden));
        Assert.Equal(2L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1"));
        Assert.Equal(0L, bed.Scalar("SELECT count(*) FROM account WHERE _crm_is_deleted = 1"));
        // Created locally and not pushed when the re-read ended: untouched by it, then pushed by the same cycle.
        Assert.Equal(0L, bed.Scalar("SELECT _crm_is_deleted FROM person WHERE emailaddress1 = 'una@example.com'"));
        Assert.Equal(1, Count(result, "lead", RunOperation.PushNew).New);
        Assert.Equal(0L, bed.Store.RereadMarks.Count("lead"));
        Assert.Equal(0L, bed.Store.RereadMarks.Count("contact"));
        Assert.Empty(result.InitialCopiesCompleted);

        var next = await bed.SucceededCycleAsync(); // back on delta links
        Assert.DoesNotContain(next.Warnings, w => w.Contains("expired", StringComparison.Ordinal));
        Assert.Equal(1L, Deleted(bed, gone));
        Assert.Equal(0L, Deleted(bed, hidden));
        Assert.Equal(0L, bed.Scalar("SELECT _crm_is_deleted FROM person WHERE emailaddress1 = 'una@example.com'"));
    }

    [Fact]
    public async Task A_qualify_and_a_merge_made_while_the_token_was_expired_are_seen_by_the_reread_and_only_the_loser_and_the_deleted_lead_are_flagged()
    {
        await using var bed = await CopiedAsync();
        var qualified = bed.Create("lead", new() { ["lastname"] = "Qualify", ["companyname"] = "Q Co", ["new_synctomkto"] = true });
        var winner = bed.Create("lead", new() { ["lastname"] = "Winner", ["companyname"] = "W Co", ["new_synctomkto"] = true });
        var loser = bed.Create("lead", new() { ["lastname"] = "Loser", ["companyname"] = "L Co", ["telephone1"] = "+1 555 0100", ["new_synctomkto"] = true });
        var dropped = bed.Create("lead", new() { ["lastname"] = "Dropped", ["companyname"] = "D Co", ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();

        ExpireDeltaTokens(bed);
        bed.Org.Writer.Delete(bed.Org.Store.Entity("lead")!, dropped, bed.CrmUser);
        var contact = Assert.Single(bed.Org.Writer.QualifyLead(qualified, false, true, false, 3, bed.CrmUser)).Record.Id;
        bed.Org.Writer.Merge(bed.Org.Store.Entity("lead")!, winner, loser, [], bed.CrmUser); // the loser stays in Dataverse, deactivated
        var result = await bed.SucceededCycleAsync();

        Assert.Contains(result.Warnings, w => w.Contains("expired", StringComparison.Ordinal));
        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM person WHERE lastname = 'Qualify' AND _crm_is_deleted = 0"));
        Assert.Equal("Contact", bed.Scalar($"SELECT _crm_type FROM person WHERE _crm_id = '{Id(contact)}' AND _crm_is_deleted = 0"));
        Assert.Equal(0L, Deleted(bed, winner));
        Assert.Equal(Id(winner), bed.Scalar($"SELECT _merged_into FROM person WHERE _crm_id = '{Id(loser)}'"));
        Assert.Equal(1L, Deleted(bed, loser));
        Assert.Equal(1L, Deleted(bed, dropped));
        // Nothing else that has a CRM id is flagged: every record the re-read returned, the qualified lead included, was seen.
        Assert.Equal(2L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1 AND _crm_id IS NOT NULL"));
        Assert.Equal(0, Count(result, "contact", RunOperation.PullDeletes).Deleted);
    }

    [Fact]
    public async Task An_expired_token_reread_stopped_after_a_page_resumes_with_its_marks_and_flags_exactly_the_unseen_rows()
    {
        await using var bed = await CopiedAsync(Small with { Leads = 7 });
        var leads = bed.Org.Store.Snapshot("lead");
        var (gone, hidden) = (leads[3].Id, leads[5].Id);
        ExpireDeltaTokens(bed);
        bed.Org.Writer.Delete(bed.Org.Store.Entity("lead")!, gone, bed.CrmUser);
        bed.Update("lead", hidden, new() { ["new_synctomkto"] = false });
        var options = new SyncOptions { SchemaRefreshInterval = null, PageSize = 2 };

        using var stop = new CancellationTokenSource();
        var stopped = await bed.CycleAsync(options, new OnPage(p =>
        {
            if (p.ObjectName == "lead" && p.Phase == SyncPhase.InitialCopy && p.Done == 2)
                stop.Cancel(); // as a kill after the re-read's first committed page
        }), stop.Token);

        Assert.Equal(RunState.Cancelled, stopped.State);
        Assert.Contains("\"reread\":true", bed.Store.Checkpoints.Read("lead", CheckpointTable.Initial)!.CursorJson, StringComparison.Ordinal);
        Assert.Equal(2L, bed.Store.RereadMarks.Count("lead")); // the first page's two ids, committed with it
        Assert.Equal(0L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1")); // nothing is flagged before the read ends

        var resumed = await bed.SucceededCycleAsync(options);

        Assert.Null(bed.Store.Checkpoints.Read("lead", CheckpointTable.Initial));
        Assert.Equal(1L, Deleted(bed, gone));
        Assert.Equal(0L, Deleted(bed, hidden));
        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_is_deleted = 1")); // the first page's rows too stay live
        Assert.Equal(7L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_type = 'Lead'"));
        Assert.Equal(1, Count(resumed, "lead", RunOperation.PullDeletes).Deleted);
        Assert.Empty(resumed.InitialCopiesCompleted); // a resumed re-read is still no initial copy
        Assert.Equal(0L, bed.Store.RereadMarks.Count("lead"));
    }

    [Fact]
    public async Task The_push_updates_and_upserts_in_batches_without_echo_and_the_collision_rule_holds()
    {
        await using var bed = await CopiedAsync();
        var lead = bed.Org.Store.Snapshot("lead")[0].Id;
        var contact = bed.Org.Store.Snapshot("contact")[0].Id;
        var account = bed.Org.Store.Snapshot("account")[0].Id;
        bed.Sql($"UPDATE person SET jobtitle = 'Pushed title', parentaccountid = '{Id(account)}' WHERE _crm_id = '{Id(lead)}';");
        bed.Sql("INSERT INTO person (firstname, lastname, emailaddress1, companyname) VALUES ('Nova', 'Local', 'nova@example.com', 'Nova Co');");
        var pushed = await bed.SucceededCycleAsync();

        Assert.Equal("Pushed title", bed.Find("lead", lead)!.Get("jobtitle"));
        Assert.Equal(account, Assert.IsType<CrmSync.Emulator.Dynamics.Data.EntityRef>(bed.Find("lead", lead)!.Get("parentaccountid")).Id); // @odata.bind
        var crmId = (string)bed.Scalar("SELECT _crm_id FROM person WHERE emailaddress1 = 'nova@example.com'")!;
        var created = bed.Find("lead", Guid.Parse(crmId))!;
        Assert.Equal("Nova", created.Get("firstname"));
        Assert.NotNull(created.Get("new_crmsynckey"));
        Assert.Equal(true, created.Get("new_synctomkto")); // created as Yes: the column's default No would filter its CRM edits out
        Assert.Equal(1, Count(pushed, "lead", RunOperation.PushNew).New);

        var echo = await bed.SucceededCycleAsync(); // the pushed writes come back modified by the sync user: not CRM changes
        // One update only: the created lead's first read, which brings what the CRM filled in itself (status, owner, created
        // on); the updated lead is not applied again.
        Assert.Equal(1, Count(echo, "lead", RunOperation.PullUpdates).Updated);
        Assert.NotNull(bed.Scalar($"SELECT statecode FROM person WHERE _crm_id = '{crmId}'"));
        Assert.Equal(1L, bed.Scalar($"SELECT new_synctomkto FROM person WHERE _crm_id = '{crmId}'"));
        Assert.Equal(0, Count(echo, "lead", RunOperation.PullUpdates).New);

        bed.Update("lead", Guid.Parse(crmId), new() { ["jobtitle"] = "CRM edit of a pushed lead" }); // not filtered out
        await bed.SucceededCycleAsync();
        Assert.Equal("CRM edit of a pushed lead", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{crmId}'"));

        bed.Sql($"UPDATE person SET jobtitle = 'Local lead title' WHERE _crm_id = '{Id(lead)}';");
        bed.Sql($"UPDATE person SET jobtitle = 'Local contact title' WHERE _crm_id = '{Id(contact)}';");
        bed.Host.Clock.Advance(TimeSpan.FromMinutes(1));
        bed.Update("lead", lead, new() { ["jobtitle"] = "CRM lead title" });
        bed.Update("contact", contact, new() { ["jobtitle"] = "CRM contact title" });
        var collided = await bed.SucceededCycleAsync();

        Assert.Equal("Local lead title", bed.Find("lead", lead)!.Get("jobtitle")); // lead: local wins
        Assert.Equal("CRM contact title", bed.Find("contact", contact)!.Get("jobtitle")); // contact: the CRM wins
        Assert.Equal("CRM contact title", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(contact)}'"));
        Assert.Equal(2, bed.Store.Conflicts.List(collided.RunId).Count);
        Assert.True(bed.Wire.Count("/$batch") > 0);
    }

    [Fact]
    public async Task A_rejected_record_is_listed_with_the_dataverse_code_and_a_throttled_one_is_retried_once_after_the_wait()
    {
        await using var bed = await CopiedAsync();
        var leads = bed.Org.Store.Snapshot("lead").Select(r => r.Id).Take(3).ToList();
        bed.Org.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, RecordIds = [Id(leads[0])], StatusCode = 400, ErrorCode = "0x80040203", Message = "Invalid value for jobtitle.", Count = 1 });
        bed.Org.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, RecordIds = [Id(leads[1])], StatusCode = 429, ErrorCode = "0x80072322", RetryAfterSeconds = 120, Count = 3 });
        foreach (var lead in leads)
            bed.Sql($"UPDATE person SET jobtitle = 'Batch' WHERE _crm_id = '{Id(lead)}';");

        var first = await bed.SucceededCycleAsync();

        Assert.Equal("Batch", bed.Find("lead", leads[2])!.Get("jobtitle"));
        Assert.NotEqual("Batch", bed.Find("lead", leads[0])!.Get("jobtitle"));
        Assert.NotEqual("Batch", bed.Find("lead", leads[1])!.Get("jobtitle"));
        var rejected = Assert.Single(bed.Store.Errors.List(), e => e.CrmId == Id(leads[0]) && e.ErrorId == ErrorIds.RecordPushFailed);
        Assert.Equal("0x80040203", rejected.CrmErrorCode);
        Assert.Contains("Invalid value for jobtitle.", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(2, Count(first, "lead", RunOperation.PushUpdates).Failed);

        await bed.SucceededCycleAsync(); // within the wait: not sent again
        Assert.NotEqual("Batch", bed.Find("lead", leads[1])!.Get("jobtitle"));
        // A storm: the record is throttled twice more, then goes through, without ever being rejected.
        for (var i = 0; i < 3; i++)
        {
            bed.Host.Clock.Advance(TimeSpan.FromMinutes(30));
            await bed.SucceededCycleAsync();
        }
        Assert.Equal("Batch", bed.Find("lead", leads[1])!.Get("jobtitle"));
        Assert.DoesNotContain(bed.Store.Errors.List(), e => e.CrmId == Id(leads[1]) && e.Message.Contains("rejected", StringComparison.Ordinal));
    }

    /// <summary>Runs an action on the engine's thread after each committed page.</summary>
    private sealed class OnPage(Action<SyncProgress> action) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => action(value);
    }

    [Fact]
    public async Task An_initial_copy_stopped_after_a_page_resumes_from_its_cursor_without_reading_or_writing_twice()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(Small with { Leads = 7 });
        var options = new SyncOptions { SchemaRefreshInterval = null, PageSize = 3 };
        using var stop = new CancellationTokenSource();
        var stopped = await bed.CycleAsync(options, new OnPage(p =>
        {
            if (p.ObjectName == "lead" && p.Phase == SyncPhase.InitialCopy && p.Done == 3)
                stop.Cancel(); // as a kill after the first committed page
        }), stop.Token);
        Assert.Equal(RunState.Cancelled, stopped.State);
        Assert.Equal(3L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_type = 'Lead'"));
        Assert.NotNull(bed.Store.Checkpoints.Read("lead", CheckpointTable.Initial));

        var leadReads = bed.Wire.Count("/leads");
        var resumed = await bed.SucceededCycleAsync(options);

        Assert.Equal(7L, bed.Scalar("SELECT count(*) FROM person WHERE _crm_type = 'Lead'"));
        Assert.Equal(7L, bed.Scalar("SELECT count(DISTINCT _crm_id) FROM person WHERE _crm_type = 'Lead'"));
        Assert.Equal(4, Count(resumed, "lead", RunOperation.PullUpdates).New);
        Assert.Equal(2, bed.Wire.Count("/leads") - leadReads); // the two remaining pages, from the stored next link
        Assert.Null(bed.Store.Checkpoints.Read("lead", CheckpointTable.Initial));
    }

    [Fact]
    public async Task A_list_membership_made_locally_is_added_in_dynamics()
    {
        await using var bed = await CopiedAsync();
        var list = bed.Org.Store.Snapshot("list")[0];
        var members = bed.Org.Store.Snapshot("listmember").Count;
        var memberType = list.Get("createdfromcode") is int code && code == 4 ? "lead" : "contact";
        var person = bed.Org.Store.Snapshot(memberType).Select(r => r.Id)
            .First(id => !bed.Org.Store.Snapshot("listmember").Any(m => m.Get("entityid") is CrmSync.Emulator.Dynamics.Data.EntityRef e && e.Id == id && m.Get("listid") is CrmSync.Emulator.Dynamics.Data.EntityRef l && l.Id == list.Id));
        bed.Sql($"INSERT INTO list_member (listid, entityid) VALUES ('{Id(list.Id)}', '{Id(person)}');");

        var result = await bed.SucceededCycleAsync();

        Assert.Equal(members + 1, bed.Org.Store.Snapshot("listmember").Count);
        Assert.NotNull(bed.Scalar($"SELECT _crm_id FROM list_member WHERE entityid = '{Id(person)}' AND listid = '{Id(list.Id)}'"));
        Assert.Equal(1, Count(result, "listmember", RunOperation.PushNew).New);
    }

    [Fact]
    public async Task A_storm_of_429_answers_is_waited_out_on_the_retry_after_and_the_cycle_loses_nothing()
    {
        await using var bed = await CopiedAsync();
        var lead = bed.Org.Store.Snapshot("lead")[0].Id;
        bed.Update("lead", lead, new() { ["jobtitle"] = "Through the storm" });
        bed.Sql($"UPDATE person SET telephone1 = '+1 555 0199' WHERE _crm_id = '{Id(bed.Org.Store.Snapshot("contact")[0].Id)}';");
        // Service protection answers the next three $batch requests (the delta read, then the push) with 429 + Retry-After.
        bed.Org.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 429, RetryAfterSeconds = 5, Count = 3, PathContains = "$batch" });

        var cycle = bed.CycleAsync();
        for (var i = 0; i < 500 && !cycle.IsCompleted; i++)
        {
            await Task.Delay(10);
            bed.Time.Advance(TimeSpan.FromSeconds(5));
        }
        var result = await cycle;

        Assert.True(result.State == RunState.Succeeded, result.Error?.ToString());
        Assert.Equal("Through the storm", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{Id(lead)}'"));
        Assert.Equal("+1 555 0199", bed.Find("contact", bed.Org.Store.Snapshot("contact")[0].Id)!.Get("telephone1"));
        Assert.Equal(3, bed.Wire.Requests.Count(r => r.Path.Contains("$batch", StringComparison.Ordinal) && (int?)r.Status == 429));
    }

    [Fact]
    public async Task Qualify_and_merge_follow_marketos_filter_tables()
    {
        await using var bed = await CopiedAsync();
        var synced = bed.Create("lead", new() { ["lastname"] = "LeadYes", ["companyname"] = "Y Co", ["new_synctomkto"] = true });
        var hidden = bed.Create("lead", new() { ["lastname"] = "LeadNo", ["companyname"] = "N Co", ["new_synctomkto"] = false });
        var winner = bed.Create("lead", new() { ["lastname"] = "Winner", ["companyname"] = "W Co", ["new_synctomkto"] = true });
        var loser = bed.Create("lead", new() { ["lastname"] = "Loser", ["companyname"] = "L Co", ["telephone1"] = "+1 555 0100", ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();

        // Lead Yes, contact No: the lead's info is updated, the contact is not synced.
        var notSynced = Assert.Single(bed.Org.Writer.QualifyLead(synced, false, true, false, 3, bed.CrmUser)).Record.Id;
        bed.Update("contact", notSynced, new() { ["new_synctomkto"] = false });
        // Lead No, contact Yes: a new contact person.
        var shown = Assert.Single(bed.Org.Writer.QualifyLead(hidden, false, true, false, 3, bed.CrmUser)).Record.Id;
        bed.Update("contact", shown, new() { ["new_synctomkto"] = true });
        // Merge with a winner set to No: the winner does not sync (and takes nothing from the loser).
        bed.Update("lead", winner, new() { ["new_synctomkto"] = false });
        bed.Org.Writer.Merge(bed.Org.Store.Entity("lead")!, winner, loser, [], bed.CrmUser);
        await bed.SucceededCycleAsync();

        Assert.Equal("Lead", bed.Scalar($"SELECT _crm_type FROM person WHERE _crm_id = '{Id(synced)}'"));
        Assert.Equal(0L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(notSynced)}'"));
        Assert.Equal("Contact", bed.Scalar($"SELECT _crm_type FROM person WHERE _crm_id = '{Id(shown)}'"));
        Assert.Equal(Id(hidden), bed.Scalar($"SELECT _converted_from_lead_id FROM person WHERE _crm_id = '{Id(shown)}'"));
        Assert.Equal(0L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(hidden)}'"));
        Assert.Null(bed.Scalar($"SELECT telephone1 FROM person WHERE _crm_id = '{Id(winner)}'"));
        Assert.Equal(Id(winner), bed.Scalar($"SELECT _merged_into FROM person WHERE _crm_id = '{Id(loser)}'"));
    }

    [Fact]
    public async Task A_lead_qualified_into_a_contact_set_to_no_before_the_contact_is_read_stays_a_lead()
    {
        // The contact's filter is unknown when the lead is applied (the initial copy reads leads before contacts, one object
        // at a time): the lead must not become the contact. Its own record then decides: No, so the lead stays a lead.
        await using var bed = await DynamicsSyncBed.StartAsync(Small);
        var lead = bed.Create("lead", new() { ["lastname"] = "LeadSyncs", ["companyname"] = "E Co", ["jobtitle"] = "Lead title", ["new_synctomkto"] = true });
        var contact = Assert.Single(bed.Org.Writer.QualifyLead(lead, false, true, false, 3, bed.CrmUser)).Record.Id;
        bed.Update("contact", contact, new() { ["new_synctomkto"] = false });

        await bed.SucceededCycleAsync();
        await bed.SucceededCycleAsync();

        Assert.Equal("Lead", bed.Scalar($"SELECT _crm_type FROM person WHERE _crm_id = '{Id(lead)}' AND _crm_is_deleted = 0"));
        Assert.Equal(0L, bed.Scalar($"SELECT count(*) FROM person WHERE _crm_id = '{Id(contact)}'"));
    }

    [Fact]
    public async Task A_lead_qualified_into_a_contact_set_to_yes_before_the_contact_is_read_becomes_one_contact()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(Small);
        var lead = bed.Create("lead", new() { ["lastname"] = "YesFilter", ["companyname"] = "Y Co", ["jobtitle"] = "Lead title", ["new_synctomkto"] = true });
        var contact = Assert.Single(bed.Org.Writer.QualifyLead(lead, false, true, false, 3, bed.CrmUser)).Record.Id;
        bed.Update("contact", contact, new() { ["new_synctomkto"] = true });

        await bed.SucceededCycleAsync();
        await bed.SucceededCycleAsync();

        Assert.Equal(1L, bed.Scalar("SELECT count(*) FROM person WHERE lastname = 'YesFilter' AND _crm_is_deleted = 0"));
        Assert.Equal("Contact", bed.Scalar($"SELECT _crm_type FROM person WHERE _crm_id = '{Id(contact)}' AND _crm_is_deleted = 0"));
        Assert.Equal(Id(lead), bed.Scalar($"SELECT _converted_from_lead_id FROM person WHERE _crm_id = '{Id(contact)}'"));
    }

    [Fact]
    public async Task Find_duplicate_groups_dynamics_persons_by_email_and_by_name_and_company()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(Small);
        var account = bed.Create("account", new() { ["name"] = "Twin Corp", ["new_synctomkto"] = true });
        bed.Create("lead", new() { ["firstname"] = "Tess", ["lastname"] = "Twin", ["companyname"] = "Twin Corp", ["emailaddress1"] = "tess@twin.example", ["new_synctomkto"] = true });
        bed.Create("lead", new() { ["firstname"] = "Other", ["lastname"] = "Person", ["companyname"] = "Elsewhere", ["emailaddress1"] = "TESS@twin.example", ["new_synctomkto"] = true });
        bed.Create("contact", new() { ["firstname"] = "Tess", ["lastname"] = "Twin", ["parentcustomerid"] = new CrmSync.Emulator.Dynamics.Data.EntityRef(account, "account"), ["new_synctomkto"] = true });
        await bed.SucceededCycleAsync();

        var profile = bed.Store.Profile.Read()!.Name;
        var groups = new CrmSync.Engine.Reports.PersonDuplicateFinder(bed.Store, profile)
            .Find(new CrmSync.Engine.Reports.DuplicateSearch(), null, null, CancellationToken.None).ToList();

        var byEmail = Assert.Single(groups, g => g.Rule == CrmSync.Engine.Reports.CrmDuplicateRule.Email && g.Key == "tess@twin.example");
        Assert.Equal(2, byEmail.Count);
        var byName = Assert.Single(groups, g => g.Rule == CrmSync.Engine.Reports.CrmDuplicateRule.NameAndCompany && g.Key == "tess twin|twin corp");
        Assert.Equal(["Contact", "Lead"], byName.Members.Select(m => m.CrmType!).Order(StringComparer.Ordinal)); // the contact's company from its account
    }

    [Fact]
    public async Task A_field_selection_creates_only_selected_columns_and_the_schema_refresh_keeps_to_it()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(fieldSelection: ["lead.*", "*.emailaddress1"]);
        var plan = bed.InitialPlan!;
        var person = PersonColumns(bed);
        Assert.Contains("subject", person);        // lead.*
        Assert.Contains("emailaddress1", person);  // *.emailaddress1 (lead and contact share it)
        Assert.Contains("new_crmsynckey", person);   // the sync needs it
        var excluded = plan.Entries.Where(e => e.Action == FieldPlanAction.Excluded).ToList();
        Assert.Contains(excluded, e => e.ObjectName == "contact");
        Assert.All(excluded, e => Assert.NotEqual("lead", e.ObjectName));
        foreach (var contactOnly in excluded.Where(e => e.ObjectName == "contact" && !plan.Entries.Any(l => l.ObjectName == "lead" && l.FieldName == e.FieldName)))
            Assert.DoesNotContain(contactOnly.FieldName, person);

        await bed.SucceededCycleAsync(); // the first start counts as a schema refresh
        bed.Org.Store.AddAttribute("lead", "new_region", "String", null, 100);
        bed.Org.Store.AddAttribute("contact", "new_hobby", "String", null, 100);
        await bed.SucceededCycleAsync(new SyncOptions { SchemaRefreshInterval = TimeSpan.FromTicks(1) });

        person = PersonColumns(bed);
        Assert.Contains("new_region", person);
        Assert.DoesNotContain("new_hobby", person);
        Assert.Null(bed.Store.FieldCatalog.Find("contact", "new_hobby"));
    }

    [Fact]
    public async Task A_profiles_own_sync_filter_field_is_kept_from_an_exclusion_and_set_to_yes_on_a_local_create()
    {
        await using var bed = await DynamicsSyncBed.StartAsync(Small, syncFilterField: "new_syncme");
        bed.Org.Store.AddAttribute("lead", "new_syncme", "Boolean", "Sync me", null); // a Two Options field, default No
        bed.Org.Store.AddAttribute("contact", "new_syncme", "Boolean", "Sync me", null);

        var plan = await bed.SyncFieldsAsync(exclusions: FieldExclusionSet.Parse(["*.new_sync*"]));

        var kept = Assert.Single(plan.Entries, e => e.ObjectName == "lead" && e.FieldName == "new_syncme");
        Assert.Equal(FieldPlanAction.Create, kept.Action);
        Assert.Contains("the sync needs it", kept.Note, StringComparison.Ordinal);
        Assert.Contains("new_syncme", PersonColumns(bed));
        await bed.SucceededCycleAsync();

        bed.Sql("INSERT INTO person (firstname, lastname, emailaddress1, companyname) VALUES ('Ada', 'Local', 'ada@example.com', 'Ada Co');");
        await bed.SucceededCycleAsync();
        var crmId = (string)bed.Scalar("SELECT _crm_id FROM person WHERE emailaddress1 = 'ada@example.com'")!;
        Assert.Equal(true, bed.Find("lead", Guid.Parse(crmId))!.Get("new_syncme")); // created as Yes, not the column's default No
        Assert.Equal(1L, bed.Scalar($"SELECT new_syncme FROM person WHERE _crm_id = '{crmId}'"));

        await bed.SucceededCycleAsync();
        bed.Update("lead", Guid.Parse(crmId), new() { ["jobtitle"] = "CRM edit of a pushed lead" }); // not filtered out
        await bed.SucceededCycleAsync();
        Assert.Equal("CRM edit of a pushed lead", bed.Scalar($"SELECT jobtitle FROM person WHERE _crm_id = '{crmId}'"));
    }

    private static HashSet<string> PersonColumns(DynamicsSyncBed bed)
    {
        using var connection = bed.Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info('person')";
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var reader = command.ExecuteReader();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }
}
