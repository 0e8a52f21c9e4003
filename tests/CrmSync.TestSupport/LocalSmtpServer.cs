using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace CrmSync.TestSupport;

/// <summary>How a <see cref="LocalSmtpServer"/> listens.</summary>
public sealed record LocalSmtpOptions
{
    /// <summary>Offer STARTTLS (with <see cref="LocalSmtpServer.Certificate"/>) on a plain connection.</summary>
    public bool StartTls { get; init; }
    /// <summary>TLS from the first byte (SMTPS).</summary>
    public bool ImplicitTls { get; init; }
    /// <summary>Require AUTH with this user and password.</summary>
    public (string User, string Password)? RequireAuthentication { get; init; }
    /// <summary>Refuse RCPT TO for these addresses (550).</summary>
    public IReadOnlyCollection<string> RefusedRecipients { get; init; } = [];
}

/// <summary>A message as the server received it: the envelope and the parsed MIME message.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, MimeMessage Message, string? AuthenticatedUser, bool Secure)
{
    public string Subject => Message.Subject;
    public string Text => Message.TextBody ?? "";
    public string Html => Message.HtmlBody ?? "";
}

/// <summary>
/// A real SMTP server (the SmtpServer package) on 127.0.0.1 and a free port, for the e-mail notification tests. With TLS it
/// uses a certificate generated for <c>localhost</c> / <c>127.0.0.1</c> that no trust store knows: a client must be told to
/// trust it (<see cref="WriteCertificatePem"/>). Every accepted message is kept in <see cref="Received"/>.
/// </summary>
public sealed class LocalSmtpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SmtpServer.SmtpServer _server;
    private readonly Task _running;
    private readonly ConcurrentQueue<ReceivedMail> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private LocalSmtpServer(LocalSmtpOptions options)
    {
        Options = options;
        Port = FreePort();
        Certificate = CreateCertificate();
        var endpoint = new EndpointDefinitionBuilder()
            .Endpoint(new IPEndPoint(IPAddress.Loopback, Port))
            .IsSecure(options.ImplicitTls)
            .AuthenticationRequired(options.RequireAuthentication is not null)
            .AllowUnsecureAuthentication(!options.StartTls && !options.ImplicitTls);
        if (options.StartTls || options.ImplicitTls)
            endpoint.Certificate(Certificate);
        var serverOptions = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(endpoint.Build()).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        services.Add(new Filter(options.RefusedRecipients));
        if (options.RequireAuthentication is { } login)
            services.Add(new Authenticator(login.User, login.Password));
        _server = new SmtpServer.SmtpServer(serverOptions, services);
        _running = _server.StartAsync(_stop.Token);
    }

    /// <summary>Starts a server; it listens once this returns.</summary>
    public static async Task<LocalSmtpServer> StartAsync(LocalSmtpOptions? options = null)
    {
        var server = new LocalSmtpServer(options ?? new LocalSmtpOptions());
        await WaitListeningAsync(server.Port);
        return server;
    }

    public LocalSmtpOptions Options { get; }

    /// <summary>The host to connect to.</summary>
    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>The server's self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Every message accepted, in order.</summary>
    public IReadOnlyList<ReceivedMail> Received => _received.ToList();

    /// <summary>Writes the certificate (public part only) as PEM to <paramref name="path"/> and returns the path.</summary>
    public string WriteCertificatePem(string path)
    {
        File.WriteAllText(path, Certificate.ExportCertificatePem());
        return path;
    }

    /// <summary>Waits until at least <paramref name="count"/> messages have arrived (default 10 s), then returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (_received.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
                throw new TimeoutException($"Expected {count} message(s), got {_received.Count}.");
        }
        return Received;
    }

    /// <summary>A port on 127.0.0.1 where nothing listens (a server that is down).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _server.Shutdown();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // stopped
        }
        _stop.Dispose();
        Certificate.Dispose();
    }

    private static async Task WaitListeningAsync(int port)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25);
            }
        }
        throw new TimeoutException($"The SMTP server did not listen on port {port}.");
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // through PKCS#12 so that the private key is usable by SslStream on every platform
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class Store(LocalSmtpServer owner) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = MimeMessage.Load(stream, cancellationToken);
            var user = context.Authentication.IsAuthenticated ? context.Authentication.User : null;
            owner._received.Enqueue(new ReceivedMail(transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList(), message, user,
                context.Pipe?.IsSecure == true));
            owner._arrived.Release();
            return Task.FromResult(SmtpResponse.Ok);
        }
    }

    private sealed class Filter(IReadOnlyCollection<string> refused) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
            Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken) =>
            Task.FromResult(!refused.Contains(to.AsAddress(), StringComparer.OrdinalIgnoreCase));
    }

    private sealed class Authenticator(string user, string password) : IUserAuthenticator
    {
        public Task<bool> AuthenticateAsync(ISessionContext context, string userName, string secret, CancellationToken cancellationToken) =>
            Task.FromResult(userName == user && secret == password);
    }
}
