using System.Management.Automation;
using CrmSync.Engine.Connections;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// A cmdlet that works on one connection profile and its SQLite database. Adds the common
/// <c>-Profile</c> (default <see cref="ProfileName.Default"/>, 'default') and <c>-DatabasePath</c> parameters; both bind from piped objects by
/// property name, so <c>Get-CrmSyncStatus | Start-CrmSync</c> works on the same profile.
/// </summary>
public abstract class ConnectedCrmSyncCmdlet : CrmSyncCmdlet
{
    /// <summary>
    /// The connection profile to work on: 1 to 64 letters, digits, '-' or '_'. Each profile is one CRM connection and its own
    /// SQLite database. Binds from the Profile property of piped objects, so the output of one CrmSync cmdlet can be piped
    /// into the next; Tab completes the names of the saved profiles.
    /// </summary>
    /// <default>default</default>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ProfileCompleter))]
    public string Profile { get; set; } = ProfileName.Default;

    /// <summary>
    /// The profile's SQLite database file, instead of the default profiles/&lt;profile&gt;.db in the per-user data folder
    /// (or in CRMSYNC_HOME). A relative path is relative to the current PowerShell location; a path on another provider
    /// (Env:, Cert:, a registry drive) is refused with ErrorId InvalidArgument. Binds from the DatabasePath property of piped
    /// objects.
    /// </summary>
    /// <default>profiles/&lt;profile&gt;.db in the per-user data folder</default>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? DatabasePath { get; set; }

    /// <summary><see cref="DatabasePath"/> as a full file-system path, or null when it was not given.</summary>
    protected string? ResolvedDatabasePath =>
        DatabasePath is null ? null : ResolveFileSystemPath(DatabasePath, nameof(DatabasePath));
}
