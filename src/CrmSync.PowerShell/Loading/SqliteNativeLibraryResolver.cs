using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace CrmSync.PowerShell.Loading;

/// <summary>
/// Finds the native SQLite library (<c>e_sqlite3</c>) that the build stages with the module under
/// <c>runtimes/&lt;rid&gt;/native/</c>, and loads it when SQLitePCLRaw's DllImport cannot find it.
/// </summary>
/// <remarks>
/// An application finds <c>runtimes/&lt;rid&gt;/native</c> through its own .deps.json, but a module is loaded into
/// pwsh, whose .deps.json knows nothing about it: the runtime probes only pwsh's folders and the directory of the
/// assembly that declares the DllImport (the module folder itself), and PowerShell's own fallback looks in
/// <c>&lt;module&gt;/&lt;rid&gt;/e_sqlite3.&lt;ext&gt;</c>, not under <c>runtimes/</c>. This resolver is registered on
/// the module's AssemblyLoadContext (<see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/>), which the runtime
/// consults only after those probes failed, so a SQLite that the host already provides still wins.
/// </remarks>
public sealed class SqliteNativeLibraryResolver
{
    /// <summary>The library name SQLitePCLRaw's e_sqlite3 provider imports.</summary>
    public const string LibraryName = "e_sqlite3";

    private readonly string moduleDirectory;
    private readonly object gate = new();
    private IntPtr loaded;

    /// <param name="moduleDirectory">The folder that holds the module's assemblies and its runtimes/ folder.</param>
    public SqliteNativeLibraryResolver(string moduleDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleDirectory);
        this.moduleDirectory = moduleDirectory;
    }

    /// <summary>The path of the loaded library once <see cref="Resolve"/> has loaded it.</summary>
    public string? LoadedPath { get; private set; }

    /// <summary>
    /// The runtime identifiers to look under, most specific first: the runtime's own RID, then the portable RID
    /// for this OS and process architecture (e.g. linux-x64, linux-musl-arm64, osx-arm64, win-x64).
    /// </summary>
    public static IReadOnlyList<string> CandidateRuntimeIdentifiers()
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(RuntimeInformation.RuntimeIdentifier))
            candidates.Add(RuntimeInformation.RuntimeIdentifier);
        string? portable = PortableRuntimeIdentifier();
        if (portable is not null && !candidates.Contains(portable, StringComparer.OrdinalIgnoreCase))
            candidates.Add(portable);
        return candidates;
    }

    /// <summary>The portable RID of this process (os-arch), or null on an OS CrmSync ships no SQLite for.</summary>
    public static string? PortableRuntimeIdentifier()
    {
        string? os = OperatingSystem.IsWindows() ? "win"
            : OperatingSystem.IsMacOS() ? "osx"
            : OperatingSystem.IsLinux() ? (IsMusl() ? "linux-musl" : "linux")
            : null;
        string? arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            _ => null,
        };
        return os is null || arch is null ? null : os + "-" + arch;
    }

    /// <summary>The file name of <see cref="LibraryName"/> on the OS of <paramref name="runtimeIdentifier"/>.</summary>
    public static string NativeFileName(string runtimeIdentifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(runtimeIdentifier);
        if (runtimeIdentifier.StartsWith("win", StringComparison.OrdinalIgnoreCase))
            return LibraryName + ".dll";
        if (runtimeIdentifier.StartsWith("osx", StringComparison.OrdinalIgnoreCase)
            || runtimeIdentifier.StartsWith("maccatalyst", StringComparison.OrdinalIgnoreCase))
            return "lib" + LibraryName + ".dylib";
        return "lib" + LibraryName + ".so";
    }

    /// <summary>The staged native library for this process, or null when the module has none for it.</summary>
    public string? FindLibrary()
    {
        foreach (string rid in CandidateRuntimeIdentifiers())
        {
            string path = Path.Combine(moduleDirectory, "runtimes", rid, "native", NativeFileName(rid));
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    /// <summary>True when <paramref name="libraryName"/>, as written in a DllImport, means SQLitePCLRaw's e_sqlite3.</summary>
    public static bool IsSqliteLibraryName(string libraryName)
    {
        if (string.IsNullOrEmpty(libraryName))
            return false;
        string name = Path.GetFileName(libraryName);
        foreach (string suffix in new[] { ".dll", ".so", ".dylib" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                name = name[..^suffix.Length];
        }
        if (name.StartsWith("lib", StringComparison.Ordinal))
            name = name[3..];
        return string.Equals(name, LibraryName, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/> handler: loads the staged e_sqlite3 for SQLitePCLRaw,
    /// returns <see cref="IntPtr.Zero"/> for anything else (so other handlers and the runtime's error still apply).
    /// </summary>
    public IntPtr Resolve(Assembly requestingAssembly, string libraryName)
    {
        if (!IsSqliteLibraryName(libraryName))
            return IntPtr.Zero;
        string? requester = requestingAssembly?.GetName().Name;
        if (requester is not null && !requester.StartsWith("SQLitePCLRaw", StringComparison.OrdinalIgnoreCase))
            return IntPtr.Zero;

        lock (gate)
        {
            if (loaded != IntPtr.Zero)
                return loaded;
            string? path = FindLibrary();
            if (path is null || !NativeLibrary.TryLoad(path, out IntPtr handle))
                return IntPtr.Zero;
            loaded = handle;
            LoadedPath = path;
            return loaded;
        }
    }

    /// <summary>Starts resolving for assemblies of <paramref name="context"/>.</summary>
    public void Register(AssemblyLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ResolvingUnmanagedDll += Resolve;
    }

    /// <summary>Stops resolving (the library, once loaded, stays loaded for the life of the process).</summary>
    public void Unregister(AssemblyLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ResolvingUnmanagedDll -= Resolve;
    }

    private static bool IsMusl()
    {
        if (RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.OrdinalIgnoreCase))
            return true;
        try
        {
            return Directory.Exists("/lib") && Directory.EnumerateFiles("/lib", "ld-musl-*.so.1").Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
