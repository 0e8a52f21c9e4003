using System.Net.Sockets;
using System.Security.Authentication;

namespace CrmSync.Engine.Crm;

/// <summary>
/// Words for a failed connection to the CRM. .NET reports a failed TLS handshake as "The SSL connection could not be
/// established, see inner exception", and the inner exception is never shown to the user: this names the cause instead
/// (certificate not issued for the host, untrusted root or incomplete chain, expired certificate, no common TLS protocol),
/// with what to do about it. Never an exception type name.
/// </summary>
internal static class TransportFailure
{
    /// <summary>The error for a request to <paramref name="host"/> that failed below HTTP.</summary>
    public static CrmSyncException Unreachable(string host, Exception failure)
    {
        var (cause, action) = Describe(host, failure);
        return new CrmSyncException(ErrorIds.CrmUnreachable, ErrorKind.ConnectionError, $"Could not reach {host}: {cause}", action, host, failure);
    }

    /// <summary>What went wrong, in words, and what to do about it.</summary>
    public static (string Cause, string Action) Describe(string host, Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var chain = new List<Exception>();
        for (var e = failure; e is not null; e = e.InnerException)
            chain.Add(e);
        var tls = chain.OfType<AuthenticationException>().FirstOrDefault();
        var text = string.Join(" ", chain.Select(e => e.Message));
        if (tls is not null || text.Contains("SSL connection could not be established", StringComparison.OrdinalIgnoreCase))
        {
            if (text.Contains("RemoteCertificateNameMismatch", StringComparison.Ordinal))
                return ($"the TLS certificate of {host} is not issued for that name (certificate name mismatch).",
                    $"Use the host name the certificate is issued for (for Salesforce, your My Domain https://yourdomain.my.salesforce.com or login.salesforce.com), not an IP address or alias; a TLS-inspecting proxy must present a certificate for {host}.");
            if (text.Contains("NotTimeValid", StringComparison.Ordinal) || text.Contains("expired", StringComparison.OrdinalIgnoreCase))
                return ($"the TLS certificate of {host} has expired or is not valid yet.",
                    "Check this machine's clock; if it is right, the server (or a proxy in between) presents an expired certificate.");
            if (text.Contains("UntrustedRoot", StringComparison.Ordinal) || text.Contains("PartialChain", StringComparison.Ordinal)
                || text.Contains("RemoteCertificateChainErrors", StringComparison.Ordinal) || text.Contains("certificate chain", StringComparison.OrdinalIgnoreCase))
                return ($"the TLS certificate of {host} is not trusted on this machine (untrusted root or incomplete certificate chain).",
                    "A proxy that inspects TLS, or a self-signed certificate, is the usual cause: install its root certificate in this machine's trusted store (or bypass the proxy for the CRM); CrmSync never turns certificate checks off.");
            if (text.Contains("protocol", StringComparison.OrdinalIgnoreCase) || text.Contains("cipher", StringComparison.OrdinalIgnoreCase)
                || text.Contains("handshake", StringComparison.OrdinalIgnoreCase) || text.Contains("TLS alert", StringComparison.OrdinalIgnoreCase))
                return ($"the TLS handshake with {host} failed: no TLS protocol version or cipher both sides accept ({Innermost(chain)}).",
                    "CrmSync needs TLS 1.2 or later: check that this machine and any proxy in between allow it.");
            return ($"the TLS connection to {host} could not be established ({Innermost(chain)}).",
                "Check the URL, the proxy and the server's certificate.");
        }
        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket)
            return (socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"the connection was refused (nothing listens at {host}, or a firewall refuses it).",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"the host name {host} could not be resolved (DNS).",
                SocketError.TimedOut => $"the connection to {host} timed out.",
                _ => $"{Innermost(chain)}",
            }, $"Check the URL, DNS, the proxy and the network connection to {host}.");
        var outer = chain.FirstOrDefault(e => e.Message.Length > 0 && !e.Message.Contains("see inner exception", StringComparison.OrdinalIgnoreCase));
        return (outer?.Message.Trim() ?? Innermost(chain), $"Check the URL, DNS, the proxy and the network connection to {host}.");
    }

    /// <summary>The innermost message that says something (not "see inner exception").</summary>
    private static string Innermost(List<Exception> chain)
    {
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            var message = chain[i].Message.Trim();
            if (message.Length > 0 && !message.Contains("see inner exception", StringComparison.OrdinalIgnoreCase))
                return message;
        }
        return "the connection failed";
    }
}
