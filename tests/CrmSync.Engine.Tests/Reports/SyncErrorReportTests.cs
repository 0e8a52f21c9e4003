using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Reports;

public sealed class SyncErrorReportTests
{
    /// <summary>Four errors one hour apart: a Lead push failure (resolved later), a job error, a Contact error in run 1, a Lead error.</summary>
    private static (long LeadResolved, long Job, long Contact, long Lead, long Run) Seed(ReportTestContext ctx)
    {
        using var store = ctx.Open();
        var run = store.Runs.Start(RunKind.Incremental, "test");
        var leadResolved = store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, "Validation rule failed",
            ObjectName: "Lead", LocalKey: "17", CrmId: "00Q000000000001AAA", Operation: "PushUpdates", CrmErrorCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Attempts: 3));
        ctx.Time.Advance(TimeSpan.FromHours(1));
        var job = store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, ErrorIds.SyncFailed, "The run failed."));
        ctx.Time.Advance(TimeSpan.FromHours(1));
        var contact = store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPullFailed, "Value too long", RunId: run,
            ObjectName: "Contact", CrmId: "003000000000001AAA", Operation: "PullUpdates"));
        ctx.Time.Advance(TimeSpan.FromHours(1));
        var lead = store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, "Row locked", ObjectName: "Lead", CrmId: "00Q000000000002AAA"));
        Assert.True(store.Errors.Resolve(leadResolved));
        return (leadResolved, job, contact, lead, run);
    }

    private static IReadOnlyList<CrmSyncErrorInfo> List(ReportTestContext ctx, GetSyncErrorOptions options, FakeCommandHost? host = null) =>
        ctx.Run(new GetSyncErrorCommand(ctx.Profiles, options), host).OutputOf<CrmSyncErrorInfo>();

    [Fact]
    public void Lists_unresolved_errors_newest_first_with_every_field()
    {
        using var ctx = new ReportTestContext();
        var ids = Seed(ctx);

        var errors = List(ctx, new GetSyncErrorOptions());

        Assert.Equal([ids.Lead, ids.Contact, ids.Job], errors.Select(e => e.Id));
        var contact = errors[1];
        Assert.Equal("default", contact.Profile);
        Assert.Equal(SyncErrorLevel.Record, contact.Level);
        Assert.Equal("Contact", contact.Object);
        Assert.Equal("003000000000001AAA", contact.CrmId);
        Assert.Equal("PullUpdates", contact.Operation);
        Assert.Equal(ErrorIds.RecordPullFailed, contact.ErrorId);
        Assert.Equal("Value too long", contact.Message);
        Assert.Equal(ids.Run, contact.RunId);
        Assert.Equal(ReportTestContext.Start + TimeSpan.FromHours(2), contact.OccurredAt);
        Assert.False(contact.Resolved);
        Assert.Null(errors[2].Object);
        Assert.Equal(SyncErrorLevel.Job, errors[2].Level);
    }

    [Fact]
    public void Include_resolved_adds_the_resolved_error_with_its_details()
    {
        using var ctx = new ReportTestContext();
        var ids = Seed(ctx);

        var errors = List(ctx, new GetSyncErrorOptions { IncludeResolved = true });

        Assert.Equal([ids.Lead, ids.Contact, ids.Job, ids.LeadResolved], errors.Select(e => e.Id));
        var resolved = errors[3];
        Assert.True(resolved.Resolved);
        Assert.NotNull(resolved.ResolvedAt);
        Assert.Equal(("17", "FIELD_CUSTOM_VALIDATION_EXCEPTION", 3), (resolved.LocalKey, resolved.CrmErrorCode, resolved.Attempts));
    }

    [Fact]
    public void Filters_narrow_by_object_wildcard_level_since_run_and_last()
    {
        using var ctx = new ReportTestContext();
        var ids = Seed(ctx);

        Assert.Equal([ids.Lead, ids.LeadResolved], List(ctx, new GetSyncErrorOptions { Object = ["l*"], IncludeResolved = true }).Select(e => e.Id));
        Assert.Equal([ids.Lead, ids.Contact], List(ctx, new GetSyncErrorOptions { Object = ["Lead", "Contact"] }).Select(e => e.Id));
        Assert.Equal([ids.Job], List(ctx, new GetSyncErrorOptions { Level = SyncErrorLevelFilter.Job }).Select(e => e.Id));
        Assert.Equal([ids.Lead, ids.Contact], List(ctx, new GetSyncErrorOptions { Level = SyncErrorLevelFilter.Record }).Select(e => e.Id));
        Assert.Equal([ids.Lead, ids.Contact],
            List(ctx, new GetSyncErrorOptions { Since = ReportTestContext.Start + TimeSpan.FromHours(2) }).Select(e => e.Id));
        Assert.Equal([ids.Contact], List(ctx, new GetSyncErrorOptions { RunId = ids.Run }).Select(e => e.Id));
        Assert.Equal([ids.Lead, ids.Contact], List(ctx, new GetSyncErrorOptions { Last = 2 }).Select(e => e.Id));
        // Last applies after the wildcard filter
        Assert.Equal([ids.Contact], List(ctx, new GetSyncErrorOptions { Object = ["C*"], Last = 1 }).Select(e => e.Id));
        Assert.Empty(List(ctx, new GetSyncErrorOptions { Object = ["Account"] }));
    }

    [Fact]
    public void Listing_never_purges_or_writes_without_the_purge_option()
    {
        using var ctx = new ReportTestContext();
        Seed(ctx);
        ctx.Time.Advance(TimeSpan.FromDays(30));
        ctx.Settle();
        using var watcher = new DatabaseWriteWatcher(ctx);

        var host = new FakeCommandHost();
        var errors = List(ctx, new GetSyncErrorOptions { IncludeResolved = true }, host);

        Assert.Equal(4, errors.Count);
        Assert.Empty(host.ShouldProcessCalls);
        watcher.AssertUnchanged();
    }

    [Fact]
    public void Purge_deletes_only_errors_older_than_the_retention_after_confirmation()
    {
        using var ctx = new ReportTestContext();
        using (var store = ctx.Open())
        {
            store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, "old", ObjectName: "Lead"));
            ctx.Time.Advance(TimeSpan.FromDays(4));
            store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed, "recent", ObjectName: "Lead"));
        }
        ctx.Time.Advance(TimeSpan.FromDays(2)); // "old" is 6 days old, "recent" 2 days
        var options = new GetSyncErrorOptions { Purge = true };

        // -WhatIf / declined: asked once, nothing deleted, both listed
        var declined = new FakeCommandHost(answer: false);
        var command = new GetSyncErrorCommand(ctx.Profiles, options);
        ctx.Run(command, declined);
        var (target, action) = Assert.Single(declined.ShouldProcessCalls);
        Assert.Equal($"CrmSync profile 'default' ({ctx.DatabasePath})", target);
        Assert.StartsWith("Delete 1 sync error(s) that occurred before 2026-11-23 10:00:00Z", action);
        Assert.Equal(["recent", "old"], declined.OutputOf<CrmSyncErrorInfo>().Select(e => e.Message));
        Assert.Equal(0, command.Purged);

        // confirmed: the old one is gone from the database, the recent one stays
        var confirmed = ctx.Run(command, new FakeCommandHost(answer: true));
        Assert.Equal(1, command.Purged);
        Assert.Equal(["recent"], confirmed.OutputOf<CrmSyncErrorInfo>().Select(e => e.Message));
        using (var store = ctx.Open())
            Assert.Equal(["recent"], store.Errors.List().Select(e => e.Message));

        // nothing left to purge: no question asked
        var again = ctx.Run(new GetSyncErrorCommand(ctx.Profiles, options), new FakeCommandHost(answer: true));
        Assert.Empty(again.ShouldProcessCalls);
        Assert.Single(again.OutputOf<CrmSyncErrorInfo>());
    }

    [Fact]
    public void Unknown_profile_bad_last_and_negative_retention_fail_with_catalogued_errors()
    {
        using var ctx = new ReportTestContext();

        var missing = Assert.Throws<CrmSyncException>(() => List(ctx, new GetSyncErrorOptions { Profile = "nosuch" }));
        Assert.Equal(ErrorIds.ProfileNotFound, missing.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, missing.Kind);
        Assert.False(File.Exists(ctx.Home.Combine("profiles", "nosuch.db")));

        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CrmSyncException>(() => List(ctx, new GetSyncErrorOptions { Last = 0 })).ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument,
            Assert.Throws<CrmSyncException>(() => List(ctx, new GetSyncErrorOptions { Purge = true, Retention = TimeSpan.FromDays(-1) })).ErrorId);
    }

    [Fact]
    public void Cancellation_stops_the_listing()
    {
        using var ctx = new ReportTestContext();
        Seed(ctx);
        using var cts = new CancellationTokenSource();
        var host = new FakeCommandHost { OnOutput = _ => cts.Cancel() };

        Assert.ThrowsAny<OperationCanceledException>(() => ctx.Run(new GetSyncErrorCommand(ctx.Profiles, new GetSyncErrorOptions()), host, cts.Token));
        Assert.Single(host.Output);
    }
}
