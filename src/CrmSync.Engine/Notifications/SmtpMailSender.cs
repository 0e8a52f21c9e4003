using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CrmSync.Engine.Connections;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CrmSync.Engine.Notifications;

/// <summary>One mail to send.</summary>
internal sealed record OutgoingMail(string Subject, string TextBody, string HtmlBody);

/// <summary>
/// Sends mails through MailKit's SMTP client with the profile's settings:
/// <list type="bullet">
/// <item>TLS: <see cref="SmtpTlsMode.StartTls"/> requires STARTTLS (never falls back to plain), <see cref="SmtpTlsMode.ImplicitTls"/>
/// is TLS from the first byte, and <see cref="SmtpTlsMode.None"/> is accepted for a loopback server only
/// (<see cref="ErrorIds.InsecureTransport"/> otherwise), as plain http is for the CRM.</item>
/// <item>Certificates are validated: the system trust store and the host name, always. The one extension is
/// <see cref="NotificationSettings.TrustedCertificatePath"/>: a PEM/DER certificate (a private CA or a self-signed server
/// certificate) accepted as an extra trusted ROOT for a chain that otherwise validates, name included.</item>
/// <item>Every network operation has <see cref="NotificationSettings.Timeout"/>; a whole session is cancelled after twice
/// that, so a black-holed server cannot hold a sync.</item>
/// </list>
/// Failures are <see cref="CrmSyncException"/> with <see cref="ErrorIds.NotificationSendFailed"/> and the server's answer.
/// </summary>
internal sealed class SmtpMailSender
{
    private readonly NotificationSettings _settings;
    private readonly SecretValue? _password;
    private readonly X509Certificate2Collection _extraRoots;

    /// <summary>A sender for <paramref name="settings"/>; <paramref name="password"/> (owned by the caller) when it authenticates.</summary>
    public SmtpMailSender(NotificationSettings settings, SecretValue? password)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _password = password;
        if (string.IsNullOrWhiteSpace(settings.SmtpServer) || settings.Recipients.Count == 0)
            throw new CrmSyncException(ErrorIds.NotificationNotConfigured, ErrorKind.InvalidOperation,
                "The profile's notifications have no SMTP server or no recipient.",
                "Run Set-CrmSyncNotification -SmtpServer <host> -Recipient <address>.");
        EnsureTransportAllowed(settings.SmtpServer, settings.TlsMode);
        _extraRoots = LoadTrustedCertificates(settings.TrustedCertificatePath);
    }

    /// <summary>Refuses plain SMTP to anything but a loopback server.</summary>
    public static void EnsureTransportAllowed(string server, SmtpTlsMode mode)
    {
        if (mode == SmtpTlsMode.None && !IsLoopback(server))
            throw new CrmSyncException(ErrorIds.InsecureTransport, ErrorKind.SecurityError,
                $"Plain SMTP without TLS is accepted for a loopback server only, not for '{server}'.",
                "Use -TlsMode StartTls (port 587) or ImplicitTls (port 465), or relay through a local SMTP server.", server);
    }

    /// <summary>True for localhost and loopback addresses.</summary>
    public static bool IsLoopback(string server) =>
        string.Equals(server, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(server.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Reads the extra trusted certificates; throws InvalidArgument when the file is missing or not a certificate.</summary>
    public static X509Certificate2Collection LoadTrustedCertificates(string? path)
    {
        var roots = new X509Certificate2Collection();
        if (string.IsNullOrEmpty(path))
            return roots;
        try
        {
            var text = File.ReadAllText(path);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
                roots.ImportFromPem(text);
            else
                roots.Add(new X509Certificate2(File.ReadAllBytes(path)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The trusted certificate file '{path}' cannot be read as a certificate: {e.Message}",
                "Give a PEM or DER (.cer/.crt) certificate file, or leave -TrustedCertificatePath out.", path, e);
        }
        if (roots.Count == 0)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The trusted certificate file '{path}' holds no certificate.", "Give a PEM or DER (.cer/.crt) certificate file.", path);
        return roots;
    }

    /// <summary>
    /// Connects, authenticates when a user name is set, sends every mail of <paramref name="mails"/> in order and calls
    /// <paramref name="sent"/> after each one the server accepted (with the server's answer). Stops at the first failure.
    /// </summary>
    public async Task SendAsync(IReadOnlyList<(OutgoingMail Mail, Action<string>? Sent, Action? Sending)> mails, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_settings.Timeout * 2);
        using var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, _settings.Timeout.TotalMilliseconds) };
        client.ServerCertificateValidationCallback = Validate;
        try
        {
            var options = _settings.TlsMode switch
            {
                SmtpTlsMode.None => SecureSocketOptions.None,
                SmtpTlsMode.ImplicitTls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(_settings.SmtpServer!, _settings.EffectivePort, options, budget.Token).ConfigureAwait(false);
            if (_settings.SmtpUserName is { } user)
            {
                if (_password is null)
                    throw new CrmSyncException(ErrorIds.NotificationSendFailed, ErrorKind.AuthenticationError,
                        $"No SMTP password is saved for user '{user}'.", "Run Set-CrmSyncNotification -Credential again.", _settings.SmtpServer);
                // MailKit takes the password as a string; it lives only for the authentication call.
                await client.AuthenticateAsync(new NetworkCredential(user, new string(_password.Span)), budget.Token).ConfigureAwait(false);
            }
            foreach (var (mail, sent, sending) in mails)
            {
                sending?.Invoke();
                var response = await client.SendAsync(Build(mail), budget.Token).ConfigureAwait(false);
                sent?.Invoke(response);
            }
            await client.DisconnectAsync(true, budget.Token).ConfigureAwait(false);
        }
        catch (CrmSyncException)
        {
            throw;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed($"the SMTP server did not answer within {_settings.Timeout.TotalSeconds:0} s", ErrorKind.OperationTimeout, e);
        }
        catch (AuthenticationException e)
        {
            throw Failed($"the SMTP server refused the login: {e.Message}", ErrorKind.AuthenticationError, e);
        }
        catch (SslHandshakeException e)
        {
            throw Failed($"the TLS handshake failed (certificate not trusted or no common protocol): {FirstLine(e.Message)}", ErrorKind.SecurityError, e);
        }
        catch (SmtpCommandException e)
        {
            var what = e.ErrorCode switch
            {
                SmtpErrorCode.RecipientNotAccepted => $"the server refused the recipient {e.Mailbox}",
                SmtpErrorCode.SenderNotAccepted => $"the server refused the sender {e.Mailbox}",
                _ => "the server refused the message",
            };
            throw Failed($"{what}: {(int)e.StatusCode} {e.Message}", ErrorKind.InvalidOperation, e);
        }
        catch (Exception e) when (e is SmtpProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException
                                      or NotSupportedException or IOException or SocketException)
        {
            throw Failed(e is NotSupportedException ? $"the server does not offer STARTTLS ({e.Message})" : e.Message, ErrorKind.ConnectionError, e);
        }
    }

    private MimeMessage Build(OutgoingMail mail)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(_settings.EffectiveSender));
        foreach (var recipient in _settings.Recipients)
            message.To.Add(MailboxAddress.Parse(recipient));
        message.Subject = mail.Subject;
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Body = new BodyBuilder { TextBody = mail.TextBody, HtmlBody = mail.HtmlBody }.ToMessageBody();
        return message;
    }

    private CrmSyncException Failed(string what, ErrorKind kind, Exception inner) =>
        new(ErrorIds.NotificationSendFailed, kind,
            $"The notification could not be sent through {_settings.SmtpServer}:{_settings.EffectivePort} ({_settings.TlsMode}): {what}",
            "Check the SMTP settings (Get-CrmSyncNotification) and try Set-CrmSyncNotification -Test; the mail is retried after the next cycle.",
            _settings.SmtpServer, inner);

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>System validation, plus the extra trusted roots for a chain whose only fault is an untrusted root.</summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || _extraRoots.Count == 0 || certificate is null)
            return false; // a name mismatch or a missing certificate is never accepted
        using var server = new X509Certificate2(certificate.GetRawCertData());
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA rarely publishes revocation lists
        if (chain is not null)
            foreach (var element in chain.ChainElements.Skip(1))
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        return custom.Build(server);
    }
}
