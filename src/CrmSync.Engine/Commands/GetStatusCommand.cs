using CrmSync.Engine.Connections;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Commands;

/// <summary>
/// Get-CrmSyncStatus and <c>crmsync status</c>: writes the <see cref="SyncStatus"/> of one profile. An unknown
/// profile fails the run with <see cref="ErrorIds.ProfileNotFound"/> (kind ObjectNotFound, recommended action
/// "Run Connect-CrmSync ..."); an invalid profile name with <see cref="ErrorIds.InvalidProfileName"/>.
/// </summary>
public sealed class GetStatusCommand : ICommandHandler
{
    private readonly SyncStatusReader reader;

    /// <param name="reader">Reads the status from the profile's database.</param>
    /// <param name="profile">The profile name.</param>
    /// <param name="databasePath">The profile's database file when not the default one (absolute, or relative to the process directory).</param>
    public GetStatusCommand(SyncStatusReader reader, string profile, string? databasePath = null)
    {
        this.reader = reader ?? throw new ArgumentNullException(nameof(reader));
        Profile = profile ?? throw new ArgumentNullException(nameof(profile));
        DatabasePath = databasePath;
    }

    /// <summary>The profile whose status is read.</summary>
    public string Profile { get; }

    /// <summary>The explicit database file, or null for the profile's default one.</summary>
    public string? DatabasePath { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();

        host.WriteVerbose(DatabasePath is null
            ? $"Reading the sync status of profile '{Profile}'."
            : $"Reading the sync status of profile '{Profile}' from {DatabasePath}.");
        SyncStatus status = reader.Read(Profile, DatabasePath);
        host.WriteVerbose($"Profile '{status.Profile}' ({status.Crm}) uses the database {status.DatabasePath}; state {status.State}.");
        host.WriteObject(status);
        return Task.CompletedTask;
    }
}
