using CrmSync.Engine.Notifications;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Notifications;

/// <summary>Notification mails through MailKit to a real SMTP server on 127.0.0.1: TLS modes, trust, authentication, failures.</summary>
public sealed class SmtpDeliveryTests
{
    [Fact]
    public async Task A_trouble_mail_arrives_with_the_right_envelope_subject_and_both_bodies()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp, "admin@example.com", "ops@example.com"));

        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "INVALID_LOGIN: Invalid username, password, security token; or user locked out."));

        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("crmsync@example.com", mail.From);
        Assert.Equal(["admin@example.com", "ops@example.com"], mail.To);
        Assert.Equal("[CrmSync p] Sync in trouble: Salesforce rejected the sync user's credentials", mail.Subject);
        Assert.Contains("INVALID_LOGIN", mail.Text, StringComparison.Ordinal);
        Assert.Contains("Connect-CrmSync", mail.Text, StringComparison.Ordinal);
        Assert.Contains("<table", mail.Html, StringComparison.Ordinal);
        Assert.Contains("INVALID_LOGIN", mail.Html, StringComparison.Ordinal);
        Assert.Equal("auto-generated", mail.Message.Headers["Auto-Submitted"]);
        Assert.Equal(0, bed.Status.Pending);
        Assert.NotNull(bed.Status.LastSentAt);
        Assert.Null(bed.Status.LastError);
        Assert.DoesNotContain(bed.Reports, r => r.Warning);
    }

    [Fact]
    public async Task StartTls_with_a_generated_certificate_is_refused_until_the_certificate_is_trusted_explicitly()
    {
        await using var smtp = await LocalSmtpServer.StartAsync(new LocalSmtpOptions { StartTls = true });
        using var bed = new NotificationBed();
        var settings = NotificationBed.PlainTo(smtp) with { TlsMode = SmtpTlsMode.StartTls };
        bed.Configure(settings);

        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "rejected"));

        // production validation: a certificate no trust store knows is refused, the mail stays pending
        Assert.Empty(smtp.Received);
        Assert.Equal(1, bed.Status.Pending);
        Assert.Contains("TLS handshake failed", bed.Status.LastError, StringComparison.Ordinal);
        Assert.Contains(bed.Reports, r => r.Warning && r.Message.Contains("retried after the next cycle", StringComparison.Ordinal));

        bed.Configure(settings with { TrustedCertificatePath = smtp.WriteCertificatePem(Path.Combine(bed.Folder.Path, "smtp.pem")) });
        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "rejected"));

        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.True(mail.Secure);
        Assert.Contains("Sync in trouble", mail.Subject, StringComparison.Ordinal);
        Assert.Equal(0, bed.Status.Pending);
        Assert.Null(bed.Status.LastError);
    }

    [Fact]
    public async Task A_trusted_certificate_does_not_excuse_a_host_name_that_does_not_match()
    {
        await using var smtp = await LocalSmtpServer.StartAsync(new LocalSmtpOptions { ImplicitTls = true });
        using var bed = new NotificationBed();
        // 127.0.0.2 is loopback too, but the certificate names localhost and 127.0.0.1 only
        bed.Configure(NotificationBed.PlainTo(smtp) with
        {
            SmtpServer = "127.0.0.2", TlsMode = SmtpTlsMode.ImplicitTls,
            TrustedCertificatePath = smtp.WriteCertificatePem(Path.Combine(bed.Folder.Path, "smtp.pem")),
        });
        var failure = await Assert.ThrowsAsync<CrmSyncException>(() => SendAfterTroubleAsync(bed));
        Assert.Equal(ErrorIds.NotificationSendFailed, failure.ErrorId);
        Assert.Empty(smtp.Received);
    }

    [Fact]
    public async Task Implicit_TLS_with_authentication_logs_in_with_the_saved_password()
    {
        await using var smtp = await LocalSmtpServer.StartAsync(new LocalSmtpOptions { ImplicitTls = true, RequireAuthentication = ("mailer", "s3cret-Pass") });
        using var bed = new NotificationBed();
        var settings = NotificationBed.PlainTo(smtp) with
        {
            TlsMode = SmtpTlsMode.ImplicitTls, SmtpUserName = "mailer",
            TrustedCertificatePath = smtp.WriteCertificatePem(Path.Combine(bed.Folder.Path, "smtp.pem")),
        };
        bed.Configure(settings);
        bed.Secrets.Save("p", "wrong-password");

        var refused = await Assert.ThrowsAsync<CrmSyncException>(() => SendAfterTroubleAsync(bed));
        Assert.Equal(ErrorIds.NotificationSendFailed, refused.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, refused.Kind);
        Assert.DoesNotContain("wrong-password", refused.Message, StringComparison.Ordinal);
        Assert.Empty(smtp.Received);

        bed.Secrets.Save("p", "s3cret-Pass");
        Assert.Equal(1, await bed.Notifier.SendPendingAsync(bed.Store, CancellationToken.None));
        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("mailer", mail.AuthenticatedUser);
        Assert.True(mail.Secure);
        // the password is encrypted in the secret store, never in the profile's database
        Assert.DoesNotContain("s3cret-Pass", File.ReadAllText(Path.Combine(bed.Folder.Path, "notification", "secrets", "p.json")), StringComparison.Ordinal);
        Assert.False(ContainsBytes(File.ReadAllBytes(bed.Store.DatabasePath), "s3cret-Pass"u8.ToArray()));
    }

    [Fact]
    public async Task A_server_that_is_down_costs_no_failure_the_mail_waits_and_goes_out_after_a_later_cycle()
    {
        using var bed = new NotificationBed();
        var downPort = LocalSmtpServer.FreePort();
        bed.Configure(new NotificationSettings
        {
            Recipients = ["admin@example.com"], SmtpServer = "127.0.0.1", Port = downPort, TlsMode = SmtpTlsMode.None, Timeout = TimeSpan.FromSeconds(2),
        });

        var started = DateTime.UtcNow;
        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "rejected")); // never throws
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "a refused connection must not hold the sync");
        Assert.Equal(1, bed.Status.Pending);
        Assert.Contains("127.0.0.1:" + downPort, bed.Status.LastError, StringComparison.Ordinal);
        Assert.NotNull(bed.Status.LastErrorAt);
        var status = SyncStatusReader.Read(bed.Store);
        Assert.Equal(bed.Status.LastError, status.Notification!.LastError);

        await using var smtp = await LocalSmtpServer.StartAsync();
        bed.Configure(NotificationBed.PlainTo(smtp));
        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "rejected again")); // same trouble: no new mail

        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Contains("rejected the sync user's credentials", mail.Subject, StringComparison.Ordinal);
        Assert.Equal(0, bed.Status.Pending);
        Assert.Null(SyncStatusReader.Read(bed.Store).Notification!.LastError);
        var row = Assert.Single(bed.Outbox);
        Assert.Equal(1, row.Attempts); // the refused connection never got as far as this mail
        Assert.NotNull(row.SentAt);
    }

    [Fact]
    public async Task A_refused_recipient_is_recorded_and_the_mail_stays_pending()
    {
        await using var smtp = await LocalSmtpServer.StartAsync(new LocalSmtpOptions { RefusedRecipients = ["nobody@example.com"] });
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp, "nobody@example.com"));

        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "rejected"));

        Assert.Empty(smtp.Received);
        Assert.Contains("refused the recipient nobody@example.com", bed.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, bed.Status.Pending);
    }

    [Fact]
    public async Task StartTls_is_required_a_server_without_it_is_never_used_in_clear()
    {
        await using var smtp = await LocalSmtpServer.StartAsync(); // no STARTTLS offered
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp) with { TlsMode = SmtpTlsMode.StartTls });
        var failure = await Assert.ThrowsAsync<CrmSyncException>(() => SendAfterTroubleAsync(bed));
        Assert.Equal(ErrorIds.NotificationSendFailed, failure.ErrorId);
        Assert.Contains("STARTTLS", failure.Message, StringComparison.Ordinal);
        Assert.Empty(smtp.Received);
    }

    [Theory]
    [InlineData("smtp.example.com")]
    [InlineData("10.0.0.5")]
    public void Plain_SMTP_is_refused_for_anything_but_loopback(string server)
    {
        using var bed = new NotificationBed();
        var e = Assert.Throws<CrmSyncException>(() => bed.Configure(new NotificationSettings
        {
            Recipients = ["a@example.com"], SmtpServer = server, TlsMode = SmtpTlsMode.None,
        }));
        Assert.Equal(ErrorIds.InsecureTransport, e.ErrorId);
        Assert.Null(NotificationSetup.Read(bed.Store));
    }

    [Fact]
    public async Task A_mail_accepted_by_the_server_is_marked_sent_and_never_sent_again()
    {
        await using var smtp = await LocalSmtpServer.StartAsync();
        using var bed = new NotificationBed();
        bed.Configure(NotificationBed.PlainTo(smtp));
        await bed.AfterCycleAsync(bed.Run(RunState.Failed, ErrorIds.InvalidCredentials, "rejected"));
        await smtp.WaitForAsync(1);

        Assert.Equal(0, await bed.Notifier.SendPendingAsync(bed.Store, CancellationToken.None));
        await bed.AfterCycleAsync(bed.Run(RunState.Cancelled));
        Assert.Single(smtp.Received);
        Assert.False(string.IsNullOrEmpty(QueryResponse(bed) as string), "the server's answer is recorded with the sent mail");
    }

    private static object? QueryResponse(NotificationBed bed)
    {
        using var connection = bed.Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT server_response FROM crmsync_notification_outbox;";
        return command.ExecuteScalar();
    }

    private static async Task SendAfterTroubleAsync(NotificationBed bed)
    {
        new NotificationPlanner(bed.Store).Plan(new CycleOutcome("start-x", bed.Clock.GetUtcNow(), RunState.Failed, ErrorIds.InvalidCredentials, "rejected"));
        await bed.Notifier.SendPendingAsync(bed.Store, CancellationToken.None);
    }

    private static bool ContainsBytes(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
