using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// What decides whether the staged module loads inside PowerShell 7.4, which runs on .NET 8: every staged assembly
/// must be buildable for .NET 8 and reference nothing newer, must not be one that pwsh ships itself (whichever copy
/// loads first wins for the whole process), and SQLitePCLRaw must find e_sqlite3 through the resolver the module registers.
/// Read with System.Reflection.Metadata over out/CrmSync/&lt;version&gt;/; nothing staged is executed.
/// </summary>
public sealed class PowerShellHostCompatibilityTests
{
    /// <summary>The .NET that PowerShell 7.4 (LTS) runs on.</summary>
    private static readonly Version PowerShell74Runtime = new(8, 0);

    /// <summary>
    /// Assemblies PowerShell 7.4 ships in $PSHOME next to the .NET 8 shared framework. A module must not stage its own
    /// copy: an older one is ignored (pwsh's is loaded already), a newer one fails to load.
    /// </summary>
    private static readonly string[] AssembliesPowerShellShips =
    [
        "System.Management.Automation", "Microsoft.PowerShell.Commands.Utility", "Microsoft.PowerShell.Commands.Management",
        "Microsoft.PowerShell.ConsoleHost", "Microsoft.PowerShell.CoreCLR.Eventing", "Microsoft.PowerShell.MarkdownRender",
        "Microsoft.PowerShell.SDK", "Microsoft.PowerShell.Security", "Microsoft.ApplicationInsights", "Microsoft.CodeAnalysis",
        "Microsoft.CodeAnalysis.CSharp", "Microsoft.Extensions.ObjectPool", "Microsoft.Win32.Registry.AccessControl",
        "Microsoft.Win32.SystemEvents", "Microsoft.Management.Infrastructure", "Microsoft.Security.Extensions",
        "Newtonsoft.Json", "Markdig.Signed", "Json.More", "JsonPointer.Net", "JsonSchema.Net", "System.CodeDom",
        "System.ComponentModel.Composition", "System.Configuration.ConfigurationManager", "System.Data.Odbc", "System.Data.OleDb",
        "System.Data.SqlClient", "System.Diagnostics.EventLog", "System.Diagnostics.PerformanceCounter", "System.DirectoryServices",
        "System.DirectoryServices.AccountManagement", "System.DirectoryServices.Protocols", "System.Drawing.Common",
        "System.IO.Packaging", "System.IO.Ports", "System.Management", "System.Net.Http.WinHttpHandler", "System.Private.ServiceModel",
        "System.Reflection.Context", "System.Runtime.Caching", "System.Security.Cryptography.Pkcs",
        "System.Security.Cryptography.ProtectedData", "System.Security.Cryptography.Xml", "System.Security.Permissions",
        "System.ServiceModel.Duplex", "System.ServiceModel.Http", "System.ServiceModel.NetTcp", "System.ServiceModel.Primitives",
        "System.ServiceModel.Security", "System.ServiceProcess.ServiceController", "System.Speech", "System.Text.Encoding.CodePages",
        "System.Threading.AccessControl", "System.Web.Services.Description", "System.Windows.Extensions",
    ];

    private static string Staged => RepoLayout.StagedModuleDirectory;

    public static TheoryData<string> StagedAssemblies()
    {
        var data = new TheoryData<string>();
        foreach (string dll in Directory.GetFiles(Staged, "*.dll").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dll));
        return data;
    }

    [Fact]
    public void The_module_stages_its_dependencies()
    {
        // guards the theories below against an empty folder
        var names = Directory.GetFiles(Staged, "*.dll").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Contains("Microsoft.Data.Sqlite", names);
        Assert.Contains("SQLitePCLRaw.core", names);
        Assert.Contains("Polly.Core", names);
        Assert.Contains("CsvHelper", names);
    }

    [Theory]
    [MemberData(nameof(StagedAssemblies))]
    public void Each_staged_assembly_is_built_for_NET_8_or_netstandard(string file)
    {
        using var image = new StagedImage(file);
        string? framework = image.TargetFramework();
        Assert.True(framework is not null, $"{file} has no TargetFrameworkAttribute");
        var parsed = new System.Runtime.Versioning.FrameworkName(framework!);
        if (parsed.Identifier == ".NETStandard")
            Assert.True(parsed.Version <= new Version(2, 1), $"{file} targets {framework}");
        else
        {
            Assert.Equal(".NETCoreApp", parsed.Identifier);
            Assert.True(parsed.Version <= PowerShell74Runtime, $"{file} targets {framework}: PowerShell 7.4 runs on .NET 8 and cannot load it");
        }
    }

    [Theory]
    [MemberData(nameof(StagedAssemblies))]
    public void Each_staged_assembly_references_no_framework_assembly_newer_than_NET_8(string file)
    {
        using var image = new StagedImage(file);
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        var tooNew = image.References()
            .Where(r => r.Name is "System.Runtime" or "netstandard" || r.Name!.StartsWith("System.", StringComparison.Ordinal)
                || File.Exists(Path.Combine(runtime, r.Name + ".dll")))
            .Where(r => r.Name != "System.Management.Automation" && r.Name != "netstandard")
            .Where(r => r.Version is not null && r.Version.Major > PowerShell74Runtime.Major)
            .Select(r => $"{r.Name} {r.Version}")
            .ToList();
        Assert.True(tooNew.Count == 0, $"{file} needs a runtime newer than PowerShell 7.4's .NET 8: {string.Join(", ", tooNew)}");
    }

    [Fact]
    public void No_staged_assembly_is_part_of_the_shared_framework_or_shipped_by_PowerShell()
    {
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        var shipped = new HashSet<string>(AssembliesPowerShellShips, StringComparer.OrdinalIgnoreCase);
        var clashes = Directory.GetFiles(Staged, "*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => shipped.Contains(name!) || File.Exists(Path.Combine(runtime, name + ".dll")))
            .ToList();
        Assert.True(clashes.Count == 0, "pwsh already loads its own copy of: " + string.Join(", ", clashes));
    }

    [Fact]
    public void Every_reference_between_staged_assemblies_is_satisfied_by_the_same_or_a_newer_staged_version()
    {
        // PowerShell binds a reference to an already loaded (or side-by-side) assembly of the same or a higher version only.
        var staged = Directory.GetFiles(Staged, "*.dll").ToDictionary(
            p => Path.GetFileNameWithoutExtension(p)!, p => AssemblyName.GetAssemblyName(p).Version!, StringComparer.OrdinalIgnoreCase);
        var unsatisfied = new List<string>();
        foreach (string dll in Directory.GetFiles(Staged, "*.dll"))
        {
            using var image = new StagedImage(Path.GetFileName(dll));
            foreach (AssemblyName reference in image.References())
            {
                if (staged.TryGetValue(reference.Name!, out Version? version) && reference.Version is not null && version < reference.Version)
                    unsatisfied.Add($"{Path.GetFileName(dll)} -> {reference.Name} {reference.Version} (staged {version})");
            }
        }
        Assert.True(unsatisfied.Count == 0, string.Join(Environment.NewLine, unsatisfied));
    }

    [Fact]
    public void SQLitePCLRaw_imports_e_sqlite3_with_DllImport_and_installs_no_DllImportResolver_of_its_own()
    {
        // The module resolves e_sqlite3 with AssemblyLoadContext.ResolvingUnmanagedDll. That works only while SQLitePCLRaw binds
        // through plain DllImport: a NativeLibrary.SetDllImportResolver of its own would run first (and only one is allowed
        // per assembly), so an upgrade that adds one must be noticed here. (The engine's row writer sets one on its own
        // assembly only, SqliteNative: it loads e_sqlite3 on behalf of the provider's assembly, which the module's handler answers.)
        using var provider = new StagedImage("SQLitePCLRaw.provider.e_sqlite3.dll");
        Assert.Contains("e_sqlite3", provider.ModuleReferences());
        foreach (string dll in Directory.GetFiles(Staged, "SQLitePCLRaw*.dll"))
        {
            using var image = new StagedImage(Path.GetFileName(dll));
            Assert.DoesNotContain(image.MemberReferences(), m => m is "NativeLibrary.SetDllImportResolver");
        }
    }

    [Fact]
    public void Importing_the_module_selects_the_e_sqlite3_provider_and_SQLite_opens()
    {
        var hook = new CrmSync.PowerShell.Loading.ModuleImportHook();
        hook.OnImport();
        try
        {
            Assert.Equal("e_sqlite3", SQLitePCL.raw.GetNativeLibraryName());
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sqlite_version()";
            Assert.Matches(@"^3\.\d+\.\d+", (string)command.ExecuteScalar()!);
        }
        finally
        {
            hook.OnRemove(null!);
        }
    }

    /// <summary>One staged assembly opened with a <see cref="MetadataReader"/>.</summary>
    private sealed class StagedImage : IDisposable
    {
        private readonly FileStream stream;
        private readonly PEReader pe;
        private readonly MetadataReader reader;

        public StagedImage(string file)
        {
            stream = File.OpenRead(Path.Combine(Staged, file));
            pe = new PEReader(stream);
            reader = pe.GetMetadataReader();
        }

        public IEnumerable<AssemblyName> References() =>
            reader.AssemblyReferences.Select(h => reader.GetAssemblyReference(h).GetAssemblyName()).ToList();

        /// <summary>The native libraries named by the assembly's DllImports.</summary>
        public IEnumerable<string> ModuleReferences() =>
            Enumerable.Range(1, reader.GetTableRowCount(TableIndex.ModuleRef))
                .Select(row => reader.GetString(reader.GetModuleReference(MetadataTokens.ModuleReferenceHandle(row)).Name)).ToList();

        /// <summary>Referenced members as "Type.Member".</summary>
        public IEnumerable<string> MemberReferences()
        {
            var names = new List<string>();
            foreach (MemberReferenceHandle handle in reader.MemberReferences)
            {
                MemberReference member = reader.GetMemberReference(handle);
                if (member.Parent.Kind == HandleKind.TypeReference)
                    names.Add(reader.GetString(reader.GetTypeReference((TypeReferenceHandle)member.Parent).Name) + "." + reader.GetString(member.Name));
            }
            return names;
        }

        public string? TargetFramework()
        {
            foreach (CustomAttributeHandle handle in reader.GetAssemblyDefinition().GetCustomAttributes())
            {
                CustomAttribute attribute = reader.GetCustomAttribute(handle);
                if (attribute.Constructor.Kind != HandleKind.MemberReference)
                    continue;
                MemberReference constructor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
                if (constructor.Parent.Kind != HandleKind.TypeReference
                    || reader.GetString(reader.GetTypeReference((TypeReferenceHandle)constructor.Parent).Name) != "TargetFrameworkAttribute")
                    continue;
                BlobReader blob = reader.GetBlobReader(attribute.Value);
                blob.ReadUInt16(); // prolog
                return blob.ReadSerializedString();
            }
            return null;
        }

        public void Dispose()
        {
            pe.Dispose();
            stream.Dispose();
        }
    }
}
