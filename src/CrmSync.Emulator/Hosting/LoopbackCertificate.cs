using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CrmSync.Emulator.Hosting;

/// <summary>
/// The emulator's self-signed TLS certificate for loopback (<c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c>): RSA 2048,
/// one year, created once and cached as a PKCS#12 file (owner-only permissions), so clients that insist on
/// <c>https://</c> (simple-salesforce builds its base URL that way) can trust one stable certificate. The ASP.NET
/// development certificate is not used.
/// </summary>
public static class LoopbackCertificate
{
    /// <summary>File name of the cached certificate inside its folder.</summary>
    public const string FileName = "crmsync-emulator-loopback.pfx";

    private const string SubjectName = "CN=CrmSync Emulator (loopback)";

    /// <summary>
    /// Where the certificate is cached: next to the database (<c>{db}.tls.pfx</c>) when there is one, otherwise in the
    /// user's local application data folder (<c>CrmSync/Emulator/crmsync-emulator-loopback.pfx</c>).
    /// </summary>
    public static string DefaultPath(string? databasePath)
    {
        if (!string.IsNullOrWhiteSpace(databasePath))
        {
            return Path.GetFullPath(databasePath) + ".tls.pfx";
        }
        string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        if (string.IsNullOrEmpty(root))
        {
            root = Path.GetTempPath();
        }
        return Path.Combine(root, "CrmSync", "Emulator", FileName);
    }

    /// <summary>
    /// Loads the cached certificate at <paramref name="path"/>, or creates (and caches) a new one when the file is missing,
    /// unreadable, not ours, or within a week of expiry.
    /// </summary>
    public static X509Certificate2 LoadOrCreate(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        if (File.Exists(path))
        {
            try
            {
                var cached = Load(File.ReadAllBytes(path));
                if (cached.HasPrivateKey && cached.Subject == SubjectName && cached.NotAfter.ToUniversalTime() > now.UtcDateTime.AddDays(7)
                    && cached.NotBefore.ToUniversalTime() <= now.UtcDateTime)
                {
                    return cached;
                }
                cached.Dispose();
            }
            catch (CryptographicException)
            {
                // Unreadable or foreign file: replace it below.
            }
        }
        byte[] pfx = CreatePkcs12(now);
        Write(path, pfx);
        return Load(pfx);
    }

    /// <summary>Creates a new self-signed loopback certificate (with its private key) valid for one year from <paramref name="now"/>.</summary>
    public static X509Certificate2 Create(DateTimeOffset now) => Load(CreatePkcs12(now));

    /// <summary>The public certificate as PEM (<c>-----BEGIN CERTIFICATE-----</c>), for a client's trust store.</summary>
    public static string ToPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new string(PemEncoding.Write("CERTIFICATE", certificate.RawData)) + "\n";
    }

    /// <summary>Writes the public certificate as PEM to <paramref name="path"/> (no private key).</summary>
    public static void WritePem(X509Certificate2 certificate, string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        File.WriteAllText(path, ToPem(certificate), new UTF8Encoding(false));
    }

    private static byte[] CreatePkcs12(DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return certificate.Export(X509ContentType.Pkcs12);
    }

    private static X509Certificate2 Load(byte[] pfx) =>
        // Re-imported from PKCS#12 so the private key is usable by SslStream on every platform (ephemeral keys are not on Windows).
        new(pfx, (string?)null, X509KeyStorageFlags.Exportable);

    private static void Write(string path, byte[] pfx)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(pfx);
        }
        File.Move(temp, path, overwrite: true);
    }
}
