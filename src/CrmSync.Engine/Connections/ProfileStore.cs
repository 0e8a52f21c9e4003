using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Creates and opens profiles: one SQLite database per profile, found through a <see cref="ProfileLocator"/>.
/// Opening a profile that does not exist fails with <see cref="ErrorIds.ProfileNotFound"/> and creates nothing.
/// </summary>
public sealed class ProfileStore
{
    private readonly TimeProvider _time;

    /// <summary>A profile store over <paramref name="locator"/>; <paramref name="timeProvider"/> stamps every write.</summary>
    public ProfileStore(ProfileLocator locator, TimeProvider? timeProvider = null)
    {
        Locator = locator ?? throw new ArgumentNullException(nameof(locator));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The locator resolving profile names to database files.</summary>
    public ProfileLocator Locator { get; }

    /// <summary>
    /// Creates the profile's database (at <paramref name="databasePath"/> or the default place) with its profile row,
    /// and returns the open store (dispose it). Throws <see cref="ErrorIds.ProfileExists"/> when the database exists.
    /// </summary>
    public CrmSyncStore Create(ProfileInfo profile, string? databasePath = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var location = Locator.Resolve(profile.Name, databasePath);
        if (File.Exists(location.DatabasePath))
            throw new CrmSyncException(ErrorIds.ProfileExists, ErrorKind.ResourceExists,
                $"A CrmSync profile database already exists at {location.DatabasePath}.",
                $"Open the profile '{location.ProfileName}' instead, or choose another profile name or {ShellParameter.For(ActionParameter.DatabasePath)}.",
                location.ProfileName);
        var store = CrmSyncStore.Open(location.DatabasePath, _time);
        try
        {
            store.Profile.Save(profile with { Name = location.ProfileName });
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing profile's store (migrating it to the current schema) and returns it (dispose it).
    /// Throws <see cref="ErrorIds.ProfileNotFound"/> when the file or its profile row is missing, or when the database
    /// at an explicit path belongs to another profile.
    /// </summary>
    public CrmSyncStore Open(string profile, string? databasePath = null)
    {
        var location = Locator.Resolve(profile, databasePath);
        if (!File.Exists(location.DatabasePath))
            throw ProfileLocator.ProfileNotFound(location);
        var store = CrmSyncStore.Open(location.DatabasePath, _time);
        try
        {
            var row = store.Profile.Read();
            if (row is null || !string.Equals(row.Name, location.ProfileName, StringComparison.OrdinalIgnoreCase))
                throw ProfileLocator.ProfileNotFound(location);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>True when the profile's database exists.</summary>
    public bool Exists(string profile, string? databasePath = null) => Locator.Exists(profile, databasePath);
}
