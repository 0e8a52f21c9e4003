using CrmSync.Engine.Shell;
namespace CrmSync.Engine.Connections;

/// <summary>Where one profile's database lives, and whether that was the default place or an explicit path.</summary>
/// <param name="ProfileName">The validated profile name.</param>
/// <param name="DatabasePath">The absolute path of the profile's SQLite file.</param>
/// <param name="IsExplicitPath">True when the caller gave the path (-DatabasePath), false for the default.</param>
public sealed record ProfileLocation(string ProfileName, string DatabasePath, bool IsExplicitPath);

/// <summary>
/// Resolves a profile name (and an optional explicit database path) to its database file, tells whether the
/// profile exists, and builds the standard <see cref="ErrorIds.ProfileNotFound"/> error.
/// </summary>
public sealed class ProfileLocator
{
    /// <summary>A locator over <paramref name="paths"/>.</summary>
    public ProfileLocator(CrmSyncPaths paths) => Paths = paths ?? throw new ArgumentNullException(nameof(paths));

    /// <summary>A locator for the current user (honours CRMSYNC_HOME).</summary>
    public static ProfileLocator ForCurrentUser() => new(CrmSyncPaths.ForCurrentUser());

    /// <summary>The data folder layout this locator uses.</summary>
    public CrmSyncPaths Paths { get; }

    /// <summary>
    /// Resolves <paramref name="profile"/> to its database file: <paramref name="databasePath"/> when given
    /// (made absolute), else <c>&lt;data&gt;/profiles/&lt;profile&gt;.db</c>. Validates the name.
    /// </summary>
    public ProfileLocation Resolve(string profile, string? databasePath = null)
    {
        var name = ProfileName.Validate(profile);
        if (databasePath is null)
            return new ProfileLocation(name, Paths.DefaultDatabasePath(name), false);

        if (string.IsNullOrWhiteSpace(databasePath))
            throw InvalidPath(databasePath, "the path is empty");
        string full;
        try
        {
            full = Path.GetFullPath(databasePath);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw InvalidPath(databasePath, e.Message);
        }
        if (Directory.Exists(full))
            throw InvalidPath(full, "it is a folder; give the path of a database file, e.g. " + Path.Combine(full, name + ".db"));
        return new ProfileLocation(name, full, true);
    }

    /// <summary>True when the profile's database file exists.</summary>
    public bool Exists(string profile, string? databasePath = null) => File.Exists(Resolve(profile, databasePath).DatabasePath);

    /// <summary>The names of the profiles in the default profiles folder, sorted.</summary>
    public IReadOnlyList<string> ListProfiles()
    {
        if (!Directory.Exists(Paths.ProfilesDirectory))
            return [];
        return Directory.EnumerateFiles(Paths.ProfilesDirectory, "*.db")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(ProfileName.IsValid)
            .Select(n => n!)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>The standard error for a profile that does not exist at <paramref name="location"/>.</summary>
    public static CrmSyncException ProfileNotFound(ProfileLocation location) =>
        new(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"No CrmSync profile named '{location.ProfileName}' was found at {location.DatabasePath}.",
            $"Run {ShellAction.Connect} to create the profile.", location.ProfileName);

    private static CrmSyncException InvalidPath(string? path, string reason) =>
        new(ErrorIds.DatabasePathInvalid, ErrorKind.InvalidArgument,
            $"The database path '{path}' cannot be used: {reason}.",
            $"Give {ShellParameter.For(ActionParameter.DatabasePath)} the full path of a .db file in a folder you can write to.", path);
}
