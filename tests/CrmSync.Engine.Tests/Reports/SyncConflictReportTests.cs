using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Reports;

public sealed class SyncConflictReportTests
{
    private static (long LeadEmail, long LeadPhone, long ContactEmail, long MemberStatus, long Run) Seed(ReportTestContext ctx)
    {
        using var store = ctx.Open();
        var run = store.Runs.Start(RunKind.Incremental, "test");
        var leadEmail = store.Conflicts.Record(new ConflictEntry(null, "Lead", "00Q000000000001AAA", "1", "Email", "local@x.example", "crm@x.example",
            ConflictWinner.Local, "Marketo: Lead, local wins")).Id;
        ctx.Time.Advance(TimeSpan.FromMinutes(5));
        var leadPhone = store.Conflicts.Record(new ConflictEntry(run, "Lead", "00Q000000000001AAA", "1", "Phone", "1", "2",
            ConflictWinner.Local, "Marketo: Lead, local wins")).Id;
        ctx.Time.Advance(TimeSpan.FromMinutes(5));
        var contactEmail = store.Conflicts.Record(new ConflictEntry(run, "Contact", "003000000000001AAA", "2", "Email", "a@x.example", null,
            ConflictWinner.Crm, "AlwaysCrm")).Id;
        ctx.Time.Advance(TimeSpan.FromMinutes(5));
        var memberStatus = store.Conflicts.Record(new ConflictEntry(run, "CampaignMember", "00v000000000001AAA", "3", "Status", "Sent", "Responded",
            ConflictWinner.Crm, "Marketo: CRM wins")).Id;
        return (leadEmail, leadPhone, contactEmail, memberStatus, run);
    }

    private static IReadOnlyList<CrmSyncConflictInfo> List(ReportTestContext ctx, GetSyncConflictOptions options) =>
        ctx.Run(new GetSyncConflictCommand(ctx.Profiles, options)).OutputOf<CrmSyncConflictInfo>();

    [Fact]
    public void Lists_the_journal_newest_first_with_both_values_winner_and_rule()
    {
        using var ctx = new ReportTestContext();
        var ids = Seed(ctx);

        var conflicts = List(ctx, new GetSyncConflictOptions());

        Assert.Equal([ids.MemberStatus, ids.ContactEmail, ids.LeadPhone, ids.LeadEmail], conflicts.Select(c => c.Id));
        var contact = conflicts[1];
        Assert.Equal(("default", "Contact", "003000000000001AAA", "2", "Email"), (contact.Profile, contact.Object, contact.CrmId, contact.LocalKey, contact.Field));
        Assert.Equal(("a@x.example", (string?)null, ConflictWinner.Crm, "AlwaysCrm"), (contact.LocalValue, contact.CrmValue, contact.Winner, contact.Rule));
        Assert.Equal(ids.Run, contact.RunId);
        Assert.Equal(ReportTestContext.Start + TimeSpan.FromMinutes(10), contact.OccurredAt);
        Assert.Null(conflicts[3].RunId);
    }

    [Fact]
    public void Filters_narrow_by_object_and_field_wildcards_run_since_and_last()
    {
        using var ctx = new ReportTestContext();
        var ids = Seed(ctx);

        Assert.Equal([ids.LeadPhone, ids.LeadEmail], List(ctx, new GetSyncConflictOptions { Object = ["lead"] }).Select(c => c.Id));
        Assert.Equal([ids.ContactEmail, ids.LeadEmail], List(ctx, new GetSyncConflictOptions { Field = ["E*"] }).Select(c => c.Id));
        Assert.Equal([ids.ContactEmail], List(ctx, new GetSyncConflictOptions { Object = ["C*t"], Field = ["Email"] }).Select(c => c.Id));
        Assert.Equal([ids.MemberStatus, ids.ContactEmail, ids.LeadPhone], List(ctx, new GetSyncConflictOptions { RunId = ids.Run }).Select(c => c.Id));
        Assert.Equal([ids.MemberStatus, ids.ContactEmail],
            List(ctx, new GetSyncConflictOptions { Since = ReportTestContext.Start + TimeSpan.FromMinutes(10) }).Select(c => c.Id));
        Assert.Equal([ids.MemberStatus], List(ctx, new GetSyncConflictOptions { Last = 1 }).Select(c => c.Id));
        Assert.Equal([ids.LeadEmail], List(ctx, new GetSyncConflictOptions { Field = ["Email"], Object = ["Lead"], Last = 1, Since = ReportTestContext.Start }).Select(c => c.Id));
        Assert.Empty(List(ctx, new GetSyncConflictOptions { Object = ["Account"] }));
    }

    [Fact]
    public void Reading_the_journal_writes_nothing()
    {
        using var ctx = new ReportTestContext();
        Seed(ctx);
        ctx.Settle();
        using var watcher = new DatabaseWriteWatcher(ctx);

        Assert.Equal(4, List(ctx, new GetSyncConflictOptions()).Count);
        watcher.AssertUnchanged();
    }

    [Fact]
    public void Unknown_profile_and_bad_last_fail_with_catalogued_errors()
    {
        using var ctx = new ReportTestContext();
        Assert.Equal(ErrorIds.ProfileNotFound, Assert.Throws<CrmSyncException>(() => List(ctx, new GetSyncConflictOptions { Profile = "other" })).ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CrmSyncException>(() => List(ctx, new GetSyncConflictOptions { Last = -3 })).ErrorId);
    }
}
