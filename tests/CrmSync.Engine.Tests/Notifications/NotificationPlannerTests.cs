using CrmSync.Engine.Shell;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Notifications;

/// <summary>Which mails become due, on a fake clock, delivered to a real SMTP server on 127.0.0.1.</summary>
public sealed class NotificationPlannerTests
{
    [Fact]
    public async Task The_failure_digest_goes_out_at_most_once_per_24_hours_with_the_records_of_its_period()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));

        bed.Clock.Advance(TimeSpan.FromHours(1));
        var first = bed.Run(RunState.Succeeded);
        bed.RejectedRecord("Lead", "00Q000000000001AAA", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Email must be a company address");
        bed.RejectedRecord("Contact", "003000000000002AAA", "STRING_TOO_LONG: Title: data value too large");
        await bed.AfterCycleAsync(first);
        bed.Clock.Advance(TimeSpan.FromHours(12));
        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        Assert.Empty(smtp.Received); // less than 24 hours since notifications were set up

        bed.Clock.Advance(TimeSpan.FromHours(11));
        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded)); // 24 h and a minute after the set-up

        var digest = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("[CrmSync p] 2 record(s) failed to sync", digest.Subject);
        Assert.Contains("00Q000000000001AAA", digest.Text, StringComparison.Ordinal);
        Assert.Contains("Email must be a company address", digest.Text, StringComparison.Ordinal);
        Assert.Contains("003000000000002AAA", digest.Html, StringComparison.Ordinal);
        Assert.Contains("STRING_TOO_LONG", digest.Html, StringComparison.Ordinal);

        // a new failure right after: nothing before another 24 hours, then only the new record
        bed.Clock.Advance(TimeSpan.FromHours(1));
        var later = bed.Run(RunState.Succeeded);
        bed.RejectedRecord("Lead", "00Q000000000003AAA", "DUPLICATE_VALUE: duplicate value found");
        await bed.AfterCycleAsync(later);
        bed.Clock.Advance(TimeSpan.FromHours(22));
        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        Assert.Single(smtp.Received);

        bed.Clock.Advance(TimeSpan.FromHours(1));
        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        var mails = await smtp.WaitForAsync(2);
        Assert.Equal("[CrmSync p] 1 record(s) failed to sync", mails[1].Subject);
        Assert.Contains("00Q000000000003AAA", mails[1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("00Q000000000001AAA", mails[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_digest_lists_the_first_100_records_and_counts_the_rest_and_a_record_retried_counts_once()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));
        var run = bed.Run(RunState.Succeeded);
        for (var i = 0; i < 130; i++)
            bed.RejectedRecord("Lead", $"00Q{i:D12}AAA", "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access");
        bed.RejectedRecord("Lead", "00Q000000000000AAA", "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"); // the same record again

        bed.Clock.Advance(TimeSpan.FromHours(24));
        await bed.AfterCycleAsync(run);

        var digest = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("[CrmSync p] 130 record(s) failed to sync", digest.Subject);
        Assert.Contains("The first 100 are listed", digest.Text, StringComparison.Ordinal);
        Assert.Contains("... and 30 more.", digest.Text, StringComparison.Ordinal);
        Assert.Equal(100, digest.Text.Split('\n').Count(l => l.StartsWith("- Lead 00Q", StringComparison.Ordinal)));
        Assert.Contains("(2 times)", digest.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_credentials_mail_trouble_once_and_the_next_success_mails_the_recovery()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));

        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "INVALID_LOGIN"));
        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "INVALID_LOGIN"));
        await bed.AfterCycleAsync(bed.Run(RunState.Cancelled));
        Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal(SyncTroubleKind.CredentialsRejected, bed.Status.Trouble);

        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        var mails = await smtp.WaitForAsync(2);
        Assert.Equal("[CrmSync p] Sync recovered", mails[1].Subject);
        Assert.Contains("credentials rejected", mails[1].Text, StringComparison.Ordinal);
        Assert.Null(bed.Status.Trouble);

        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        Assert.Equal(2, smtp.Received.Count);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public async Task The_same_job_level_error_mails_trouble_after_the_configured_number_of_consecutive_cycles(int threshold)
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp) with { TroubleThreshold = threshold });

        for (var i = 1; i < threshold; i++)
            await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.CrmUnreachable, "The CRM did not answer."));
        // another error in between restarts the count
        if (threshold > 1)
        {
            await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.CrmTimeout, "timed out"));
            for (var i = 1; i < threshold; i++)
                await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.CrmUnreachable, "The CRM did not answer."));
        }
        Assert.Empty(smtp.Received);

        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.CrmUnreachable, "The CRM did not answer."));
        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Contains($"the same error stopped {threshold} consecutive sync cycles", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("CrmUnreachable", mail.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task API_limits_mail_trouble_at_once()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));
        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.CrmApiLimitExceeded, "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."));
        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Contains("API allowance or service-protection limit was reached", mail.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mails_spell_the_actions_and_parameters_of_error_messages_in_the_words_of_the_shell_that_runs_the_sync()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));
        bed.Run(RunState.Failed, ErrorIds.InvalidCredentials,
            $"Rejected; run {ShellAction.Connect.Profile("p")} again or give {ShellParameter.For(ActionParameter.DatabasePath)}.");

        Assert.Equal(1, new NotificationPlanner(bed.Store, new MarkedWords()).Plan());

        var mail = Assert.Single(bed.Outbox);
        Assert.Contains("Rejected; run <Connect> again or give <DatabasePath>.", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("[[", mail.TextBody + mail.HtmlBody, StringComparison.Ordinal);
    }

    private sealed class MarkedWords : ShellActionRenderer
    {
        public override string Render(ShellAction action) => $"<{action.Action}>";
        public override string RenderParameter(ShellParameter parameter) => $"<{parameter.Parameter}>";
    }

    [Fact]
    public async Task A_crash_before_the_planner_ran_is_caught_up_and_planning_twice_records_each_event_once()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));
        // a run failed and the process died before its notification hook: the next pass finds it in the run history
        bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "INVALID_LOGIN");
        var planner = new NotificationPlanner(bed.Store);
        Assert.Equal(1, planner.Plan());
        Assert.Equal(0, planner.Plan());
        Assert.Single(bed.Outbox);

        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        var mails = await smtp.WaitForAsync(2);
        Assert.Contains("Sync in trouble", mails[0].Subject, StringComparison.Ordinal);
        Assert.Equal("[CrmSync p] Sync recovered", mails[1].Subject);
    }

    [Fact]
    public async Task Runs_before_the_set_up_are_not_notified_and_unselected_events_record_nothing()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "old failure");
        bed.Configure(NotificationBed.PlainTo(smtp) with { Events = NotificationEvent.FailureDigest });

        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.CrmApiLimitExceeded, "limit"));
        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));

        Assert.Empty(bed.Outbox);
        Assert.Empty(smtp.Received);
    }

    [Fact]
    public async Task A_start_that_failed_before_any_run_counts_as_a_failed_cycle_once()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));
        var before = bed.Notifier.BeginStart(bed.Store);
        var error = new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError, "INVALID_LOGIN at sign-in", "Run Connect-CrmSync.");

        await bed.Notifier.AfterStartFailureAsync(bed.Store, before, error, null, CancellationToken.None);
        Assert.Single(await smtp.WaitForAsync(1));

        // when a run was recorded for the failure (the run history holds it), it is not counted a second time
        before = bed.Notifier.BeginStart(bed.Store);
        bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "INVALID_LOGIN at sign-in");
        await bed.Notifier.AfterStartFailureAsync(bed.Store, before, error, null, CancellationToken.None);
        Assert.Single(bed.Outbox);
    }
    [Fact]
    public async Task A_cycle_stopped_at_the_API_reserve_is_trouble_and_a_full_cycle_afterwards_is_the_recovery()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));

        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded) with { StoppedAtApiReserve = true });
        var trouble = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Contains("API allowance or service-protection limit was reached", trouble.Subject, StringComparison.Ordinal);
        Assert.Contains("reserve", trouble.Text, StringComparison.Ordinal);

        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded) with { StoppedAtApiReserve = true }); // still throttled: no second mail
        await bed.AfterCycleAsync(bed.Run(RunState.Succeeded));
        var mails = await smtp.WaitForAsync(2);
        Assert.Equal(2, mails.Count);
        Assert.Equal("[CrmSync p] Sync recovered", mails[1].Subject);
    }

    [Fact]
    public async Task The_digest_is_CRM_neutral_a_Dynamics_profile_gets_the_same_mail_naming_its_CRM()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var folder = new TempDataFolder("crmsync-notify-dyn-");
        var clock = new FakeTimeProvider();
        var profiles = new CrmSync.Engine.Connections.ProfileStore(new CrmSync.Engine.Connections.ProfileLocator(folder.Paths), clock);
        using var store = profiles.Create(new ProfileInfo
        {
            Name = "dyn", Crm = CrmSync.Engine.Crm.CrmKind.Dynamics, LoginUrl = "https://org.crm.dynamics.com", UserName = "sync@contoso.com",
        });
        NotificationSetup.Save(store, NotificationBed.PlainTo(smtp));
        var run = store.Runs.Start(RunKind.Incremental, "test");
        store.Errors.Record(new NewSyncError(SyncErrorLevel.Record, ErrorIds.RecordPushFailed,
            "0x80040237: A record with matching key values already exists.", run, "lead", "42", "7d5c2b9e-1111-4e5f-9a3b-000000000001",
            "PushUpdates", "0x80040237"));
        store.Runs.Finish(run, RunState.Succeeded);
        clock.Advance(TimeSpan.FromHours(24));

        new NotificationPlanner(store).Plan();
        await new SyncNotifier(NotificationSecretStore.ForCurrentPlatform(folder.Paths)).SendPendingAsync(store, CancellationToken.None);

        var digest = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("[CrmSync dyn] 1 record(s) failed to sync", digest.Subject);
        Assert.Contains("failed to sync with Dynamics", digest.Text, StringComparison.Ordinal);
        Assert.Contains("7d5c2b9e-1111-4e5f-9a3b-000000000001", digest.Text, StringComparison.Ordinal);
        Assert.Contains("0x80040237", digest.Html, StringComparison.Ordinal);
    }
}
