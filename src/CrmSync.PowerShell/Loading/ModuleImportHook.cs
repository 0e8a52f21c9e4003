using System.Management.Automation;
using System.Runtime.Loader;

namespace CrmSync.PowerShell.Loading;

/// <summary>
/// Called by PowerShell when the CrmSync module is imported and removed: makes the native SQLite library staged
/// with the module loadable (see <see cref="SqliteNativeLibraryResolver"/>).
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

    private static AssemblyLoadContext ModuleLoadContext =>
        AssemblyLoadContext.GetLoadContext(typeof(ModuleImportHook).Assembly) ?? AssemblyLoadContext.Default;
}
