using System.Reflection;
using System.Runtime.InteropServices;
using CrmSync.PowerShell.Loading;
using CrmSync.PowerShell.Tests.TestSupport;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>The staged folder is a complete, importable module: dependencies, native SQLite, no PowerShell itself.</summary>
public sealed class StagedModuleTests
{
    private static string Staged => RepoLayout.StagedModuleDirectory;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SqliteLibVersionNumber();

    [Fact]
    public void System_Management_Automation_is_not_shipped()
    {
        Assert.True(Directory.Exists(Staged), $"{Staged} does not exist: build src/CrmSync.PowerShell first");
        Assert.Empty(Directory.GetFiles(Staged, "System.Management.Automation*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("CrmSync.psd1")]
    [InlineData("CrmSync.PowerShell.dll")]
    [InlineData("CrmSync.PowerShell.deps.json")]
    [InlineData("CrmSync.Engine.dll")]
    [InlineData("Microsoft.Data.Sqlite.dll")]
    [InlineData("SQLitePCLRaw.core.dll")]
    [InlineData("SQLitePCLRaw.provider.e_sqlite3.dll")]
    [InlineData("SQLitePCLRaw.batteries_v2.dll")]
    [InlineData("Polly.Core.dll")]
    [InlineData("CsvHelper.dll")]
    [InlineData("CrmSync.format.ps1xml")]
    public void The_module_file_is_staged(string file) => Assert.True(File.Exists(Path.Combine(Staged, file)), $"{file} is not in {Staged}");

    [Fact]
    public void Every_assembly_the_module_references_is_staged_or_part_of_the_runtime_or_PowerShell()
    {
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        var missing = new List<string>();
        foreach (string dll in Directory.GetFiles(Staged, "*.dll"))
        {
            foreach (AssemblyName reference in ReferencedAssemblies(dll))
            {
                string file = reference.Name + ".dll";
                if (reference.Name is "System.Management.Automation" or "netstandard" or "mscorlib")
                    continue;
                if (!File.Exists(Path.Combine(Staged, file)) && !File.Exists(Path.Combine(runtime, file)))
                    missing.Add($"{Path.GetFileName(dll)} -> {reference.Name}");
            }
        }
        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }

    [Theory]
    [InlineData("linux-x64", "libe_sqlite3.so")]
    [InlineData("linux-arm64", "libe_sqlite3.so")]
    [InlineData("osx-x64", "libe_sqlite3.dylib")]
    [InlineData("osx-arm64", "libe_sqlite3.dylib")]
    [InlineData("win-x64", "e_sqlite3.dll")]
    [InlineData("win-arm64", "e_sqlite3.dll")]
    public void The_native_SQLite_library_is_staged_for_each_PowerShell_platform(string rid, string file)
    {
        Assert.Equal(file, SqliteNativeLibraryResolver.NativeFileName(rid));
        Assert.True(File.Exists(Path.Combine(Staged, "runtimes", rid, "native", file)));
    }

    [Fact]
    public void Platforms_PowerShell_does_not_run_on_are_not_staged()
    {
        var rids = Directory.GetDirectories(Path.Combine(Staged, "runtimes")).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(rids, r => r!.StartsWith("android", StringComparison.Ordinal) || r.StartsWith("ios", StringComparison.Ordinal)
            || r.StartsWith("browser", StringComparison.Ordinal) || r.StartsWith("maccatalyst", StringComparison.Ordinal));
    }

    [Fact]
    public void The_native_library_for_this_platform_is_staged()
    {
        string? portable = SqliteNativeLibraryResolver.PortableRuntimeIdentifier();
        Assert.NotNull(portable);
        Assert.True(File.Exists(Path.Combine(Staged, "runtimes", portable!, "native", SqliteNativeLibraryResolver.NativeFileName(portable!))));
        Assert.NotNull(new SqliteNativeLibraryResolver(Staged).FindLibrary());
    }

    [Fact]
    public void The_resolver_loads_the_staged_SQLite_for_SQLitePCLRaw_and_it_is_a_working_SQLite()
    {
        var resolver = new SqliteNativeLibraryResolver(Staged);
        Assembly provider = Assembly.Load("SQLitePCLRaw.provider.e_sqlite3");

        IntPtr handle = resolver.Resolve(provider, "e_sqlite3");

        Assert.NotEqual(IntPtr.Zero, handle);
        Assert.StartsWith(Path.Combine(Staged, "runtimes"), resolver.LoadedPath, StringComparison.Ordinal);
        var version = Marshal.GetDelegateForFunctionPointer<SqliteLibVersionNumber>(NativeLibrary.GetExport(handle, "sqlite3_libversion_number"));
        Assert.True(version() >= 3_040_000, $"sqlite3_libversion_number() = {version()}");
        // resolving again hands out the same library
        Assert.Equal(handle, resolver.Resolve(provider, "libe_sqlite3.so"));
    }

    [Fact]
    public void The_resolver_leaves_other_libraries_and_other_assemblies_alone()
    {
        var resolver = new SqliteNativeLibraryResolver(Staged);
        Assert.Equal(IntPtr.Zero, resolver.Resolve(Assembly.Load("SQLitePCLRaw.provider.e_sqlite3"), "libcurl"));
        Assert.Equal(IntPtr.Zero, resolver.Resolve(typeof(object).Assembly, "e_sqlite3"));
        Assert.Null(resolver.LoadedPath);
    }

    [Fact]
    public void The_resolver_finds_nothing_in_a_folder_without_runtimes()
    {
        string empty = Directory.CreateTempSubdirectory("crmsync-noruntimes-").FullName;
        try
        {
            var resolver = new SqliteNativeLibraryResolver(empty);
            Assert.Null(resolver.FindLibrary());
            Assert.Equal(IntPtr.Zero, resolver.Resolve(Assembly.Load("SQLitePCLRaw.provider.e_sqlite3"), "e_sqlite3"));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Theory]
    [InlineData("e_sqlite3", true)]
    [InlineData("libe_sqlite3.so", true)]
    [InlineData("e_sqlite3.dll", true)]
    [InlineData("libe_sqlite3.dylib", true)]
    [InlineData("sqlite3", false)]
    [InlineData("e_sqlcipher", false)]
    public void SQLitePCLRaw_library_names_are_recognised(string name, bool expected) =>
        Assert.Equal(expected, SqliteNativeLibraryResolver.IsSqliteLibraryName(name));

    private static IEnumerable<AssemblyName> ReferencedAssemblies(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.AssemblyReferences.Select(h => metadata.GetAssemblyReference(h).GetAssemblyName()).ToList();
    }
}
