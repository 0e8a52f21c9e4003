using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>
/// A TLS failure names its cause (issue 10): the login runs against a real TLS server on loopback whose self-signed
/// certificate is issued for another name, or for the right name but by an untrusted root; .NET only says "The SSL
/// connection could not be established, see inner exception".
/// </summary>
public sealed class TlsFailureTests
{
    /// <summary>A TLS server on 127.0.0.1 that completes (or fails) handshakes with <paramref name="certificate"/> and answers nothing.</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public TlsServer(X509Certificate2 certificate)
        {
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        using (var ssl = new SslStream(client.GetStream()))
                        {
                            try
                            {
                                await ssl.AuthenticateAsServerAsync(certificate, false, SslProtocols.None, false);
                            }
                            catch (Exception e) when (e is AuthenticationException or IOException)
                            {
                                // the client refused the certificate: expected
                            }
                        }
                    });
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static X509Certificate2 SelfSigned(string dnsName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private static async Task<CrmSyncException> LoginAsync(string host, int port)
    {
        using var client = CrmClientFactory.Create(new CrmConnectionSettings
        {
            Kind = CrmKind.Salesforce,
            LoginUrl = new Uri($"https://{host}:{port}"),
            Username = "u@example.com",
            Password = SecretValue.Copy("p"),
        }, new CrmClientOptions { Resilience = new CrmResilienceOptions { MaxRetryAttempts = 0 } });
        return await Assert.ThrowsAsync<CrmSyncException>(() => client.Session.LoginAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_certificate_issued_for_another_name_is_named_as_a_name_mismatch()
    {
        using var certificate = SelfSigned("crm.example.org");
        await using var server = new TlsServer(certificate);

        var error = await LoginAsync("localhost", server.Port);

        Assert.Equal(ErrorIds.CrmUnreachable, error.ErrorId);
        Assert.Contains("is not issued for that name (certificate name mismatch)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("see inner exception", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception", error.Message, StringComparison.Ordinal);
        Assert.Contains("host name the certificate is issued for", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_for_the_right_name_from_an_untrusted_root_is_named_as_untrusted()
    {
        using var certificate = SelfSigned("localhost");
        await using var server = new TlsServer(certificate);

        var error = await LoginAsync("localhost", server.Port);

        Assert.Equal(ErrorIds.CrmUnreachable, error.ErrorId);
        Assert.Contains("is not trusted on this machine (untrusted root or incomplete certificate chain)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("see inner exception", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("root certificate", error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void A_handshake_without_a_common_protocol_is_named_as_such()
    {
        var failure = new HttpRequestException("The SSL connection could not be established, see inner exception.",
            new AuthenticationException("Authentication failed because the remote party sent a TLS alert: 'ProtocolVersion'."));

        var (cause, action) = TransportFailure.Describe("crm.example.org", failure);

        Assert.StartsWith("the TLS handshake with crm.example.org failed: no TLS protocol version or cipher both sides accept", cause, StringComparison.Ordinal);
        Assert.Contains("TLS 1.2", action, StringComparison.Ordinal);
        Assert.DoesNotContain("see inner exception", cause, StringComparison.OrdinalIgnoreCase);
    }
}
