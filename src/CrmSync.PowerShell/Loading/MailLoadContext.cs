using System.Reflection;
using System.Runtime.Loader;
using CrmSync.Engine.Notifications;

namespace CrmSync.PowerShell.Loading;

/// <summary>
/// Loads the SMTP transport (CrmSync.Mail, MailKit, MimeKit, BouncyCastle and the System.Formats.Asn1 /
/// System.Security.Cryptography.Pkcs 10.0 they were built against) from the module's <c>mail/</c> folder into a private
/// AssemblyLoadContext. PowerShell 7.4 and 7.5 already load older copies of those two framework assemblies, so MailKit
/// could not load beside them; in its own context it gets its own copies. CrmSync.Engine and everything not in
/// <c>mail/</c> come from the module's context, so the engine's types (the transport interface, SecretValue,
/// CrmSyncException) are the same on both sides. Nothing is loaded until the first mail is sent.
/// </summary>
internal sealed class MailLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    private MailLoadContext(string directory) : base("CrmSync.Mail", isCollectible: false) => _directory = directory;

    /// <summary>Makes <see cref="SmtpTransports"/> create the transport from <paramref name="mailDirectory"/> in one private context.</summary>
    public static void Register(string mailDirectory)
    {
        var context = new Lazy<MailLoadContext>(() => new MailLoadContext(mailDirectory), LazyThreadSafetyMode.ExecutionAndPublication);
        SmtpTransports.Factory = () => context.Value.CreateTransport();
    }

    /// <summary>A new transport from this context.</summary>
    public ISmtpTransport CreateTransport()
    {
        var assembly = LoadFromAssemblyPath(Path.Combine(_directory, SmtpTransports.AssemblyName + ".dll"));
        var type = assembly.GetType(SmtpTransports.TypeName, throwOnError: true)!;
        return (ISmtpTransport)Activator.CreateInstance(type)!;
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // the engine is shared with the module (its types cross the boundary); everything staged in mail/ is private
        if (string.Equals(assemblyName.Name, "CrmSync.Engine", StringComparison.OrdinalIgnoreCase))
            return null;
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
