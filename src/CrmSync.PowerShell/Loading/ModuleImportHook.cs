using System.Management.Automation;
using System.Runtime.Loader;

namespace CrmSync.PowerShell.Loading;

/// <summary>
/// Called by PowerShell when the CrmSync module is imported and removed: makes the native SQLite library staged
/// with the module loadable (see <see cref="SqliteNativeLibraryResolver"/>) and selects SQLitePCLRaw's e_sqlite3 provider.
/// PowerShell 7 loads a module's assemblies into the default AssemblyLoadContext (Assembly.LoadFrom), so that is normally
/// the context the resolver is registered on; a host that loads the module into its own context gets it registered there.
/// </summary>
public sealed class ModuleImportHook : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static SqliteNativeLibraryResolver? registered;

    /// <inheritdoc />
    public void OnImport()
    {
        lock (Gate)
        {
            if (registered is not null)
                return;
            string moduleDirectory = Path.GetDirectoryName(typeof(ModuleImportHook).Assembly.Location)
                ?? AppContext.BaseDirectory;
            var resolver = new SqliteNativeLibraryResolver(moduleDirectory);
            resolver.Register(ModuleLoadContext);
            registered = resolver;
            MailLoadContext.Register(Path.Combine(moduleDirectory, MailDirectory));
            // Microsoft.Data.Sqlite looks the bundle up by name (Type.GetType) when its first connection opens; inside pwsh
            // that lookup depends on how PowerShell happened to load the module. Selecting the e_sqlite3 provider here, with
            // the resolver already in place, does not depend on it, and a native library that cannot load fails the import
            // with the loader's own message instead of every cmdlet later.
            SQLitePCL.Batteries_V2.Init();
        }
    }

    /// <inheritdoc />
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            registered?.Unregister(ModuleLoadContext);
            registered = null;
        }
    }

    /// <summary>The module folder holding the SMTP transport and its dependencies, loaded privately (<see cref="MailLoadContext"/>).</summary>
    public const string MailDirectory = "mail";

    private static AssemblyLoadContext ModuleLoadContext =>
        AssemblyLoadContext.GetLoadContext(typeof(ModuleImportHook).Assembly) ?? AssemblyLoadContext.Default;
}
