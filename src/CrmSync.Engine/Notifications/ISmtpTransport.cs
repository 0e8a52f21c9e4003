using System.Net.Security;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Notifications;

/// <summary>Where and how to send: the settings a transport needs, validated by <see cref="SmtpMailSender"/>.</summary>
/// <param name="TrustedRoots">Extra trusted roots (<see cref="NotificationSettings.TrustedCertificatePath"/>); empty for the system store only.</param>
public sealed record SmtpConnection(string Server, int Port, SmtpTlsMode TlsMode, string? UserName, TimeSpan Timeout,
    X509Certificate2Collection TrustedRoots, string Sender, IReadOnlyList<string> Recipients);

/// <summary>One mail for a transport; <see cref="Sending"/> runs before it goes out, <see cref="Sent"/> with the server's answer once accepted.</summary>
public sealed record SmtpOutgoingMail(string Subject, string TextBody, string HtmlBody, Action? Sending = null, Action<string>? Sent = null);

/// <summary>
/// Sends mails over SMTP. The implementation (MailKit) lives in CrmSync.Mail, which the engine does not reference: see
/// <see cref="SmtpTransports"/>. A transport sends the mails in order over one session, calls <see cref="SmtpOutgoingMail.Sent"/>
/// after each one the server accepted, stops at the first failure, validates certificates with
/// <see cref="SmtpCertificatePolicy"/>, and throws <see cref="CrmSyncException"/> (NotificationSendFailed) with the server's answer.
/// </summary>
public interface ISmtpTransport
{
    Task SendAsync(SmtpConnection connection, SecretValue? password, IReadOnlyList<SmtpOutgoingMail> mails, CancellationToken cancellationToken);
}

/// <summary>
/// Finds the SMTP transport. A host that loads CrmSync.Mail in a private AssemblyLoadContext (the PowerShell module) sets
/// <see cref="Factory"/>; otherwise the CrmSync.Mail assembly next to the application is loaded by name (crmsync, tests).
/// </summary>
public static class SmtpTransports
{
    /// <summary>The assembly and type of the MailKit transport.</summary>
    public const string AssemblyName = "CrmSync.Mail";
    public const string TypeName = "CrmSync.Mail.MailKitSmtpTransport";

    /// <summary>Creates the transport; null: load <see cref="AssemblyName"/> in the engine's own load context.</summary>
    public static Func<ISmtpTransport>? Factory { get; set; }

    /// <summary>A transport; throws NotificationSendFailed when the mail component is missing.</summary>
    public static ISmtpTransport Create()
    {
        if (Factory is { } factory)
            return factory();
        try
        {
            var type = Assembly.Load(new AssemblyName(AssemblyName)).GetType(TypeName, throwOnError: true)!;
            return (ISmtpTransport)Activator.CreateInstance(type)!;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or TypeLoadException or BadImageFormatException)
        {
            throw new CrmSyncException(ErrorIds.NotificationSendFailed, ErrorKind.ResourceUnavailable,
                $"The mail component {AssemblyName} could not be loaded: {e.Message}",
                "Reinstall CrmSync: the module or crmsync is incomplete.", AssemblyName, e);
        }
    }
}

/// <summary>
/// The certificate rule of every SMTP connection: the system's validation (chain and host name) must pass; the one
/// extension is a set of extra trusted roots, accepted for a chain whose ONLY fault is an untrusted root. A name mismatch
/// or a missing certificate is never accepted.
/// </summary>
public static class SmtpCertificatePolicy
{
    public static bool Validate(X509Certificate2Collection trustedRoots, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(trustedRoots);
        if (errors == SslPolicyErrors.None)
            return true;
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || trustedRoots.Count == 0 || certificate is null)
            return false;
        using var server = new X509Certificate2(certificate.GetRawCertData());
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA rarely publishes revocation lists
        if (chain is not null)
            foreach (var element in chain.ChainElements.Skip(1))
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        return custom.Build(server);
    }
}
