using System.Net;
using System.Security.Cryptography.X509Certificates;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Notifications;

/// <summary>One mail to send.</summary>
internal sealed record OutgoingMail(string Subject, string TextBody, string HtmlBody);

/// <summary>
/// Sends mails with the profile's settings through the <see cref="ISmtpTransport"/> (MailKit):
/// <list type="bullet">
/// <item>TLS: <see cref="SmtpTlsMode.StartTls"/> requires STARTTLS (never falls back to plain), <see cref="SmtpTlsMode.ImplicitTls"/>
/// is TLS from the first byte, and <see cref="SmtpTlsMode.None"/> is accepted for a loopback server only
/// (<see cref="ErrorIds.InsecureTransport"/> otherwise), as plain http is for the CRM.</item>
/// <item>Certificates are validated (<see cref="SmtpCertificatePolicy"/>): the system trust store and the host name, always;
/// <see cref="NotificationSettings.TrustedCertificatePath"/> adds a PEM/DER certificate (a private CA or a self-signed server
/// certificate) as an extra trusted ROOT.</item>
/// <item>Every network operation has <see cref="NotificationSettings.Timeout"/>; a whole session is cancelled after twice that.</item>
/// </list>
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
                $"Run {ShellAction.SetNotification.With(ActionParameter.SmtpServer, "<host>").With(ActionParameter.Recipient, "<address>")}.");
        EnsureTransportAllowed(settings.SmtpServer, settings.TlsMode);
        _extraRoots = LoadTrustedCertificates(settings.TrustedCertificatePath);
    }

    /// <summary>Refuses plain SMTP to anything but a loopback server.</summary>
    public static void EnsureTransportAllowed(string server, SmtpTlsMode mode)
    {
        if (mode == SmtpTlsMode.None && !IsLoopback(server))
            throw new CrmSyncException(ErrorIds.InsecureTransport, ErrorKind.SecurityError,
                $"Plain SMTP without TLS is accepted for a loopback server only, not for '{server}'.",
                $"Use {ShellParameter.For(ActionParameter.TlsMode)} StartTls (port 587) or ImplicitTls (port 465), or relay through a local SMTP server.", server);
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
                $"Give a PEM or DER (.cer/.crt) certificate file, or leave {ShellParameter.For(ActionParameter.TrustedCertificatePath)} out.", path, e);
        }
        if (roots.Count == 0)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The trusted certificate file '{path}' holds no certificate.", "Give a PEM or DER (.cer/.crt) certificate file.", path);
        return roots;
    }

    /// <summary>Sends <paramref name="mails"/> in order over one session; stops at the first failure (NotificationSendFailed).</summary>
    public Task SendAsync(IReadOnlyList<(OutgoingMail Mail, Action<string>? Sent, Action? Sending)> mails, CancellationToken cancellationToken)
    {
        if (_settings.SmtpUserName is { } user && _password is null)
            throw new CrmSyncException(ErrorIds.NotificationSendFailed, ErrorKind.AuthenticationError,
                $"No SMTP password is saved for user '{user}'.", $"Run {ShellAction.SetNotification.With(ActionParameter.Credential)} again.", _settings.SmtpServer);
        var connection = new SmtpConnection(_settings.SmtpServer!, _settings.EffectivePort, _settings.TlsMode, _settings.SmtpUserName, _settings.Timeout,
            _extraRoots, _settings.EffectiveSender, _settings.Recipients);
        return SmtpTransports.Create().SendAsync(connection, _password,
            mails.Select(m => new SmtpOutgoingMail(m.Mail.Subject, m.Mail.TextBody, m.Mail.HtmlBody, m.Sending, m.Sent)).ToList(), cancellationToken);
    }
}
