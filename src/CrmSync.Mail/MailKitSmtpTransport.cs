using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CrmSync.Engine;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CrmSync.Mail;

/// <summary>
/// The engine's <see cref="ISmtpTransport"/> over MailKit's SMTP client: one session per call, the TLS mode as given
/// (StartTls is required, never opportunistic), certificates checked by <see cref="SmtpCertificatePolicy"/>, the timeout on
/// every network operation and twice that on the whole session. MailKit's failures become NotificationSendFailed with the
/// server's answer; the password never appears in a message.
/// </summary>
public sealed class MailKitSmtpTransport : ISmtpTransport
{
    /// <inheritdoc />
    public async Task SendAsync(SmtpConnection connection, SecretValue? password, IReadOnlyList<SmtpOutgoingMail> mails, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(mails);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(connection.Timeout * 2);
        using var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, connection.Timeout.TotalMilliseconds) };
        client.ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
            SmtpCertificatePolicy.Validate(connection.TrustedRoots, certificate, chain, errors);
        try
        {
            var options = connection.TlsMode switch
            {
                SmtpTlsMode.None => SecureSocketOptions.None,
                SmtpTlsMode.ImplicitTls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(connection.Server, connection.Port, options, budget.Token).ConfigureAwait(false);
            if (connection.UserName is { } user && password is not null)
            {
                // MailKit takes the password as a string; it lives only for the authentication call.
                await client.AuthenticateAsync(new NetworkCredential(user, new string(password.Span)), budget.Token).ConfigureAwait(false);
            }
            foreach (var mail in mails)
            {
                mail.Sending?.Invoke();
                var response = await client.SendAsync(Build(connection, mail), budget.Token).ConfigureAwait(false);
                mail.Sent?.Invoke(response);
            }
            await client.DisconnectAsync(true, budget.Token).ConfigureAwait(false);
        }
        catch (CrmSyncException)
        {
            throw;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed(connection, string.Create(CultureInfo.InvariantCulture, $"the SMTP server did not answer within {connection.Timeout.TotalSeconds:0} s"),
                ErrorKind.OperationTimeout, e);
        }
        catch (AuthenticationException e)
        {
            throw Failed(connection, $"the SMTP server refused the login: {e.Message}", ErrorKind.AuthenticationError, e);
        }
        catch (SslHandshakeException e)
        {
            throw Failed(connection, $"the TLS handshake failed (certificate not trusted or no common protocol): {e.Message.Split('\n')[0].Trim()}",
                ErrorKind.SecurityError, e);
        }
        catch (SmtpCommandException e)
        {
            var what = e.ErrorCode switch
            {
                SmtpErrorCode.RecipientNotAccepted => $"the server refused the recipient {e.Mailbox}",
                SmtpErrorCode.SenderNotAccepted => $"the server refused the sender {e.Mailbox}",
                _ => "the server refused the message",
            };
            throw Failed(connection, string.Create(CultureInfo.InvariantCulture, $"{what}: {(int)e.StatusCode} {e.Message}"), ErrorKind.InvalidOperation, e);
        }
        catch (Exception e) when (e is SmtpProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException
                                      or NotSupportedException or IOException or SocketException)
        {
            throw Failed(connection, e is NotSupportedException ? $"the server does not offer STARTTLS ({e.Message})" : e.Message, ErrorKind.ConnectionError, e);
        }
    }

    private static MimeMessage Build(SmtpConnection connection, SmtpOutgoingMail mail)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(connection.Sender));
        foreach (var recipient in connection.Recipients)
            message.To.Add(MailboxAddress.Parse(recipient));
        message.Subject = mail.Subject;
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Body = new BodyBuilder { TextBody = mail.TextBody, HtmlBody = mail.HtmlBody }.ToMessageBody();
        return message;
    }

    private static CrmSyncException Failed(SmtpConnection connection, string what, ErrorKind kind, Exception inner) =>
        new(ErrorIds.NotificationSendFailed, kind,
            string.Create(CultureInfo.InvariantCulture,
                $"The notification could not be sent through {connection.Server}:{connection.Port} ({connection.TlsMode}): {what}"),
            "Check the SMTP settings (Get-CrmSyncNotification) and try Set-CrmSyncNotification -Test; the mail is retried after the next cycle.",
            connection.Server, inner);
}
