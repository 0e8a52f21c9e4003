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
    /// <summary>The connection profile's name.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ProfileCompleter))]
    public string Profile { get; set; } = ProfileName.Default;

    /// <summary>
    /// The profile's SQLite database file, instead of the default one in the per-user data folder.
    /// A relative path is relative to the current PowerShell location.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? DatabasePath { get; set; }

    /// <summary><see cref="DatabasePath"/> as a full file-system path, or null when it was not given.</summary>
    protected string? ResolvedDatabasePath =>
        DatabasePath is null ? null : ResolveFileSystemPath(DatabasePath, nameof(DatabasePath));
}
