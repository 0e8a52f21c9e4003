namespace CrmSync.Engine.Connections;

/// <summary>
/// Where CrmSync keeps its per-user files: one SQLite database per profile under <c>profiles/</c>, encrypted
/// secrets under <c>secrets/</c> and the secret key under <c>keys/</c>. The data folder is
/// <c>%LOCALAPPDATA%\CrmSync</c> on Windows, <c>~/Library/Application Support/CrmSync</c> on macOS and
/// <c>$XDG_DATA_HOME/crmsync</c> (or <c>~/.local/share/crmsync</c>) elsewhere; the environment variable
/// <see cref="HomeVariable"/> overrides it everywhere.
/// </summary>
public sealed class CrmSyncPaths
{
    /// <summary>The environment variable that overrides the data folder (tests and CI use it).</summary>
    public const string HomeVariable = "CRMSYNC_HOME";

    /// <summary>Uses <paramref name="dataDirectory"/> as the data folder (made absolute; not created yet).</summary>
    public CrmSyncPaths(string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(dataDirectory))
            throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.InvalidArgument,
                "The CrmSync data folder path is empty.",
                $"Set {HomeVariable} to a folder path, or leave it unset to use the per-user default.");
        DataDirectory = Path.GetFullPath(dataDirectory);
        // A file where the folder (or one of its parents) should be: say so now, not as a failure to create a folder later.
        for (var folder = DataDirectory; !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(folder))
                throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.InvalidArgument,
                    folder == DataDirectory
                        ? $"The CrmSync data folder {DataDirectory} is a file, not a folder."
                        : $"The CrmSync data folder {DataDirectory} cannot be created: {folder} is a file, not a folder.",
                    $"Set {HomeVariable} to a folder path (it is created if missing), or unset it to use the per-user default.",
                    DataDirectory);
            if (Directory.Exists(folder))
                break;
        }
    }

    /// <summary>The data folder, absolute.</summary>
    public string DataDirectory { get; }

    /// <summary>The folder holding one <c>&lt;profile&gt;.db</c> SQLite file per profile.</summary>
    public string ProfilesDirectory => Path.Combine(DataDirectory, "profiles");

    /// <summary>The folder holding one encrypted <c>&lt;profile&gt;.json</c> secret file per profile.</summary>
    public string SecretsDirectory => Path.Combine(DataDirectory, "secrets");

    /// <summary>The folder holding the per-user secret key (owner-only on Unix).</summary>
    public string KeysDirectory => Path.Combine(DataDirectory, "keys");

    /// <summary>The default database file of a profile: <c>&lt;data&gt;/profiles/&lt;profile&gt;.db</c>.</summary>
    public string DefaultDatabasePath(string profile) =>
        Path.Combine(ProfilesDirectory, ProfileName.Validate(profile) + ".db");

    /// <summary>The paths for the current user and process: <see cref="HomeVariable"/> if set, else the platform default.</summary>
    public static CrmSyncPaths ForCurrentUser() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>Like <see cref="ForCurrentUser"/>, reading variables through <paramref name="getVariable"/> (testable).</summary>
    public static CrmSyncPaths FromEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var platform = OperatingSystem.IsWindows() ? HostPlatform.Windows
            : OperatingSystem.IsMacOS() ? HostPlatform.MacOS
            : HostPlatform.Unix;
        return new CrmSyncPaths(ResolveDataDirectory(platform, getVariable));
    }

    internal enum HostPlatform { Windows, MacOS, Unix }

    internal static string ResolveDataDirectory(HostPlatform platform, Func<string, string?> getVariable)
    {
        var overridden = getVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
            return overridden;

        switch (platform)
        {
            case HostPlatform.Windows:
            {
                var local = getVariable("LOCALAPPDATA");
                if (string.IsNullOrWhiteSpace(local))
                    local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                return Path.Combine(RequireFolder(local, "LOCALAPPDATA"), "CrmSync");
            }
            case HostPlatform.MacOS:
                return Path.Combine(UserHome(getVariable), "Library", "Application Support", "CrmSync");
            default:
            {
                // XDG Base Directory spec: a relative XDG_DATA_HOME is invalid and must be ignored.
                var xdg = getVariable("XDG_DATA_HOME");
                if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
                    return Path.Combine(xdg, "crmsync");
                return Path.Combine(UserHome(getVariable), ".local", "share", "crmsync");
            }
        }
    }

    private static string UserHome(Func<string, string?> getVariable)
    {
        var home = getVariable("HOME");
        if (string.IsNullOrWhiteSpace(home))
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return RequireFolder(home, "HOME");
    }

    private static string RequireFolder(string? path, string variable) =>
        string.IsNullOrWhiteSpace(path)
            ? throw new CrmSyncException(ErrorIds.DatabasePathInvalid, ErrorKind.InvalidArgument,
                $"The per-user data folder cannot be determined: {variable} is not set.",
                $"Set {HomeVariable} to the folder where CrmSync should keep its databases and secrets.")
            : path;
}
