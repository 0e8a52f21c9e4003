using System.Reflection;
using System.Text.RegularExpressions;

namespace CrmSync.PowerShell.Tests.TestSupport;

/// <summary>Where the repository, the manifest and the staged module folder are, as the build saw them.</summary>
internal static class RepoLayout
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ManifestPath => Path.Combine(RepoRoot, "CrmSync.psd1");

    /// <summary>ModuleVersion from CrmSync.psd1, the one version source.</summary>
    public static string ModuleVersion { get; } =
        Regex.Match(File.ReadAllText(Path.Combine(FindRepoRoot(), "CrmSync.psd1")), @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;

    /// <summary>out/CrmSync/&lt;version&gt;/, assembled by the CrmSync.PowerShell build.</summary>
    public static string StagedModuleDirectory => Path.Combine(RepoRoot, "out", "CrmSync", ModuleVersion);

    /// <summary>System.Management.Automation.dll from the PowerShellStandard.Library package in the NuGet cache.</summary>
    public static string PowerShellReferenceAssembly { get; } = Metadata("PowerShellStandardLibraryPath");

    private static string FindRepoRoot()
    {
        string fromBuild = Metadata("RepoRoot");
        if (File.Exists(Path.Combine(fromBuild, "CrmSync.psd1")))
            return Path.GetFullPath(fromBuild);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.psd1")) && File.Exists(Path.Combine(dir.FullName, "CrmSync.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (with CrmSync.psd1) was not found above " + AppContext.BaseDirectory);
    }

    private static string Metadata(string key) =>
        typeof(RepoLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing.");
}
