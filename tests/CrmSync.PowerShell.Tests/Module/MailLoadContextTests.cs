using System.Runtime.Loader;
using CrmSync.Engine.Notifications;
using CrmSync.PowerShell.Loading;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// The SMTP transport ships in the module's mail/ folder and loads in a private AssemblyLoadContext: MailKit needs
/// System.Formats.Asn1 and System.Security.Cryptography.Pkcs 10.0, which PowerShell 7.4/7.5 already load in older versions.
/// </summary>
public sealed class MailLoadContextTests
{
    private static string MailFolder => Path.Combine(RepoLayout.StagedModuleDirectory, ModuleImportHook.MailDirectory);

    [Fact]
    public void MailKit_and_the_framework_assemblies_it_needs_are_staged_in_mail_and_not_beside_the_module()
    {
        var privateOnes = new[] { "CrmSync.Mail", "MailKit", "MimeKit", "System.Formats.Asn1", "System.Security.Cryptography.Pkcs" };
        foreach (var name in privateOnes)
        {
            Assert.True(File.Exists(Path.Combine(MailFolder, name + ".dll")), $"{name}.dll is not staged in mail/");
            Assert.False(File.Exists(Path.Combine(RepoLayout.StagedModuleDirectory, name + ".dll")), $"{name}.dll must not be staged beside the module");
        }
    }

    [Fact]
    public void The_cmdlet_assembly_and_the_engine_do_not_reference_the_mail_assemblies()
    {
        foreach (var file in new[] { "CrmSync.PowerShell.dll", "CrmSync.Engine.dll" })
        {
            using var image = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(RepoLayout.StagedModuleDirectory, file)));
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(image);
            var names = metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToList();
            Assert.DoesNotContain("CrmSync.Mail", names);
            Assert.DoesNotContain("MailKit", names);
            Assert.DoesNotContain("MimeKit", names);
            Assert.Contains(names, n => n.StartsWith("System.", StringComparison.Ordinal)); // the reader read real references
        }
    }

    [Fact]
    public void The_transport_loads_from_the_staged_folder_in_its_own_context_sharing_the_engine()
    {
        var previous = SmtpTransports.Factory;
        try
        {
            MailLoadContext.Register(MailFolder);
            var transport = SmtpTransports.Create();
            var context = AssemblyLoadContext.GetLoadContext(transport.GetType().Assembly)!;
            Assert.Equal("CrmSync.Mail", context.Name);
            Assert.Equal(MailFolder, Path.GetDirectoryName(transport.GetType().Assembly.Location));
            var mailKit = context.Assemblies.Select(a => a.GetName().Name).ToList();
            Assert.Contains("CrmSync.Mail", mailKit);
            // the interface the transport implements is the engine's own type: the engine is not loaded twice
            Assert.IsAssignableFrom<ISmtpTransport>(transport);
            Assert.DoesNotContain("CrmSync.Engine", mailKit);
        }
        finally
        {
            SmtpTransports.Factory = previous;
        }
    }
}
