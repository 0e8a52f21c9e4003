using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Tests.Commands;

namespace CrmSync.Engine.Tests.Notifications;

/// <summary>Set-/Get-CrmSyncNotification and Start-CrmSync -NotifyEmail through a fake host, as the cmdlets and the CLI drive them.</summary>
public sealed class NotificationCommandTests
{
    private static SetNotificationCommand Set(NotificationBed bed, SetNotificationOptions options) =>
        new(bed.Profiles, bed.Secrets, options with { Profile = "p" });

    private static NotificationInfo Get(NotificationBed bed)
    {
        var host = new FakeCommandHost();
        new GetNotificationCommand(bed.Profiles, bed.Secrets, new GetNotificationOptions { Profile = "p" }).ExecuteAsync(host, CancellationToken.None).GetAwaiter().GetResult();
        return Assert.Single(host.OutputOf<NotificationInfo>());
    }

    [Fact]
    public void Get_on_a_profile_without_notifications_says_so_and_changes_nothing()
    {
        using var bed = new NotificationBed();
        var info = Get(bed);
        Assert.False(info.Configured);
        Assert.Empty(info.Recipients);
        Assert.Equal(587, info.Port);
        Assert.Equal(NotificationEvent.All, info.Events);
        Assert.Null(NotificationSetup.Read(bed.Store));
    }

    [Fact]
    public async Task Set_asks_once_saves_the_password_encrypted_and_Get_never_shows_it()
    {
        using var bed = new NotificationBed();
        var host = new FakeCommandHost(answer: true);
        using var password = SecretValue.Copy("smtp-Pa55");
        var command = Set(bed, new SetNotificationOptions
        {
            Recipients = ["Admin <admin@example.com>", "ops@example.com"], SmtpServer = "smtp.example.com", TlsMode = SmtpTlsMode.ImplicitTls,
            SmtpUserName = "mailer", SmtpPassword = password, Sender = "crmsync@example.com", Events = NotificationEvent.SyncTrouble | NotificationEvent.FailureDigest,
            TroubleThreshold = 5,
        });

        await command.ExecuteAsync(host, CancellationToken.None);

        var (target, action) = Assert.Single(host.ShouldProcessCalls);
        Assert.Contains("'p'", target, StringComparison.Ordinal);
        Assert.Contains("Set up e-mail notifications", action, StringComparison.Ordinal);
        Assert.Contains("smtp.example.com:465 (ImplicitTls)", action, StringComparison.Ordinal);
        Assert.DoesNotContain("smtp-Pa55", host.AllText, StringComparison.Ordinal);
        var info = Assert.Single(host.OutputOf<NotificationInfo>());
        Assert.True(info.Configured);
        Assert.Equal(["\"Admin\" <admin@example.com>", "ops@example.com"], info.Recipients);
        Assert.Equal(465, info.Port);
        Assert.True(info.HasCredential);
        Assert.Equal("mailer", info.SmtpUserName);
        Assert.Equal(5, info.TroubleThreshold);
        Assert.Equal(NotificationEvent.SyncTrouble | NotificationEvent.FailureDigest, info.Events);
        Assert.True(bed.Secrets.TryGet("p", out var saved));
        using (saved)
            Assert.Equal("smtp-Pa55", new string(saved.Span));
        Assert.DoesNotContain("smtp-Pa55", System.Text.Json.JsonSerializer.Serialize(Get(bed)), StringComparison.Ordinal);

        // only what is given changes
        await Set(bed, new SetNotificationOptions { Port = 2465 }).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        var after = Get(bed);
        Assert.Equal(2465, after.Port);
        Assert.Equal("smtp.example.com", after.SmtpServer);
        Assert.Equal(2, after.Recipients.Count);

        await Set(bed, new SetNotificationOptions { RemoveCredential = true }).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        Assert.False(Get(bed).HasCredential);
        Assert.Null(Get(bed).SmtpUserName);
    }

    [Fact]
    public async Task WhatIf_or_a_declined_confirmation_saves_nothing_and_sends_no_test()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        var host = new FakeCommandHost(answer: false);
        await Set(bed, new SetNotificationOptions
        {
            Recipients = ["admin@example.com"], SmtpServer = "127.0.0.1", Port = smtp.Port, TlsMode = SmtpTlsMode.None, Test = true,
        }).ExecuteAsync(host, CancellationToken.None);

        Assert.Single(host.ShouldProcessCalls);
        Assert.Empty(host.Output);
        Assert.Null(NotificationSetup.Read(bed.Store));
        Assert.Empty(smtp.Received);
    }

    [Fact]
    public async Task Test_sends_a_message_now_and_reports_the_servers_answer_and_a_failed_test_is_a_non_terminating_error()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        var host = new FakeCommandHost();
        await Set(bed, new SetNotificationOptions
        {
            Recipients = ["admin@example.com"], SmtpServer = "127.0.0.1", Port = smtp.Port, TlsMode = SmtpTlsMode.None, Test = true,
        }).ExecuteAsync(host, CancellationToken.None);

        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("[CrmSync p] Test message", mail.Subject);
        Assert.Equal(["admin@example.com"], mail.To);
        Assert.Equal(NotificationSettings.DefaultSender, mail.From);
        Assert.Contains("test message from CrmSync", mail.Text, StringComparison.Ordinal);
        Assert.Contains("test message from CrmSync", mail.Html, StringComparison.Ordinal);
        var info = Assert.Single(host.OutputOf<NotificationInfo>());
        Assert.False(string.IsNullOrEmpty(info.TestResponse));
        Assert.Empty(host.Errors);

        var down = new FakeCommandHost();
        await Set(bed, new SetNotificationOptions { Port = LocalSmtpServer.FreePort(), Timeout = TimeSpan.FromSeconds(2), Test = true })
            .ExecuteAsync(down, CancellationToken.None);
        var error = Assert.Single(down.Errors);
        Assert.Equal(ErrorIds.NotificationSendFailed, error.ErrorId);
        Assert.Null(Assert.Single(down.OutputOf<NotificationInfo>()).TestResponse);
        Assert.Single(smtp.Received);
    }

    [Theory]
    [InlineData("not-an-address", null, null)]
    [InlineData("admin@example.com", "smtp.example.com", SmtpTlsMode.None)]
    [InlineData("admin@example.com", "smtp example.com", null)]
    public async Task Invalid_settings_are_refused_before_anything_is_asked_or_saved(string recipient, string? server, SmtpTlsMode? tls)
    {
        using var bed = new NotificationBed();
        var host = new FakeCommandHost();
        var e = await Assert.ThrowsAsync<CrmSyncException>(() => Set(bed, new SetNotificationOptions
        {
            Recipients = [recipient], SmtpServer = server, TlsMode = tls,
        }).ExecuteAsync(host, CancellationToken.None));
        Assert.Contains(e.ErrorId, new[] { ErrorIds.InvalidArgument, ErrorIds.InsecureTransport });
        Assert.Empty(host.ShouldProcessCalls);
        Assert.Null(NotificationSetup.Read(bed.Store));
    }

    [Fact]
    public async Task Set_on_an_unknown_profile_is_ProfileNotFound()
    {
        using var bed = new NotificationBed();
        var e = await Assert.ThrowsAsync<CrmSyncException>(() =>
            new SetNotificationCommand(bed.Profiles, bed.Secrets, new SetNotificationOptions { Profile = "nope", Recipients = ["a@example.com"] })
                .ExecuteAsync(new FakeCommandHost(), CancellationToken.None));
        Assert.Equal(ErrorIds.ProfileNotFound, e.ErrorId);
    }

    [Fact]
    public async Task The_first_start_with_NotifyEmail_mails_initial_sync_completed_exactly_once()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var start = new StartSyncTestBed();
        start.SeedLeads(3);
        using var secretsHome = new TempDataFolder();
        var secrets = NotificationSecretStore.ForCurrentPlatform(secretsHome.Paths);
        // the SMTP server set up before the first start; the recipient comes with it, as in Marketo's Enable Sync dialog
        NotificationSetup.Save(start.Store, new NotificationSettings { SmtpServer = "127.0.0.1", Port = smtp.Port, TlsMode = SmtpTlsMode.None });
        var host = new FakeCommandHost();

        await start.Start(new StartSyncOptions { NotifyEmail = ["admin@example.com"] }, new SyncNotifier(secrets)).ExecuteAsync(host, CancellationToken.None);

        Assert.True(Assert.Single(host.OutputOf<SyncRunResult>()).InitialSyncCompleted);
        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal(["admin@example.com"], mail.To);
        Assert.Equal("[CrmSync prod] Initial sync completed", mail.Subject);
        Assert.Contains(start.Store.DatabasePath, mail.Text, StringComparison.Ordinal);
        Assert.Matches(@"Lead\s+3", mail.Text);
        Assert.Contains("Duration:", mail.Text, StringComparison.Ordinal);
        Assert.Contains("<td>Lead</td><td>3</td>", mail.Html, StringComparison.Ordinal);
        Assert.Empty(host.Errors);

        // later cycles (and a later -NotifyEmail, which is ignored with a warning) never repeat it
        var later = new FakeCommandHost();
        await start.Start(new StartSyncOptions { NotifyEmail = ["other@example.com"] }, new SyncNotifier(secrets)).ExecuteAsync(later, CancellationToken.None);
        await start.Start(null, new SyncNotifier(secrets)).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        Assert.Contains(later.Warnings, w => w.Contains("first start", StringComparison.Ordinal));
        Assert.Single(smtp.Received);
        Assert.Equal(["admin@example.com"], NotificationSetup.Read(start.Store)!.Recipients);
    }

    [Fact]
    public async Task A_broken_SMTP_server_never_fails_the_sync()
    {
        using var start = new StartSyncTestBed();
        start.SeedLeads(2);
        using var secretsHome = new TempDataFolder();
        NotificationSetup.Save(start.Store, new NotificationSettings
        {
            Recipients = ["admin@example.com"], SmtpServer = "127.0.0.1", Port = LocalSmtpServer.FreePort(), TlsMode = SmtpTlsMode.None,
            Timeout = TimeSpan.FromSeconds(2),
        });
        var host = new FakeCommandHost();

        await start.Start(null, new SyncNotifier(NotificationSecretStore.ForCurrentPlatform(secretsHome.Paths))).ExecuteAsync(host, CancellationToken.None);

        Assert.Equal(RunState.Succeeded, Assert.Single(host.OutputOf<SyncRunResult>()).State);
        Assert.Empty(host.Errors);
        Assert.Contains(host.Warnings, w => w.Contains("not sent", StringComparison.Ordinal));
        var status = SyncStatusReader.Read(start.Store);
        Assert.Equal(SyncState.LastSynced, status.State);
        Assert.Equal(1, status.Notification!.Pending);
        Assert.NotNull(status.Notification.LastError);
    }

    [Fact]
    public async Task NotifyEmail_with_an_invalid_address_is_refused_before_anything_starts()
    {
        using var start = new StartSyncTestBed();
        var e = await Assert.ThrowsAsync<CrmSyncException>(() =>
            start.Start(new StartSyncOptions { NotifyEmail = ["nope"] }).ExecuteAsync(new FakeCommandHost(), CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        Assert.Equal(0, start.ClientsOpened);
        Assert.Null(start.Store.Runs.Latest());
    }
}
