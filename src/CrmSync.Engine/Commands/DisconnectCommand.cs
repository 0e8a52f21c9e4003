using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Commands;

/// <summary>
/// Disconnect-CrmSync and <c>crmsync disconnect</c>: after ShouldProcess(profile, "Forget the saved credentials"), forgets
/// the profile's saved (encrypted) secrets and its Process-scope connection, and writes a <see cref="CrmDisconnectionInfo"/>.
/// The profile's database and all local data are kept (there is deliberately no way to remove a profile: local data is
/// permanent). -WhatIf or a declined confirmation changes nothing. Errors (thrown): ProfileNotFound, InvalidProfileName,
/// DatabasePathInvalid.
/// </summary>
public sealed class DisconnectCommand : ICommandHandler
{
    /// <summary>The ShouldProcess action.</summary>
    public const string Action = "Forget the saved credentials";

    private readonly ProfileConnector _connector;

    /// <param name="connector">Where profiles and credentials are kept.</param>
    /// <param name="profile">The profile name.</param>
    /// <param name="databasePath">The profile's database file when not the default one.</param>
    public DisconnectCommand(ProfileConnector connector, string profile, string? databasePath = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        Profile = profile ?? throw new ArgumentNullException(nameof(profile));
        DatabasePath = databasePath;
    }

    /// <summary>The profile to disconnect.</summary>
    public string Profile { get; }

    /// <summary>The explicit database file, or null for the profile's default one.</summary>
    public string? DatabasePath { get; }

    /// <summary>What the last run did (null when it did nothing: WhatIf or declined).</summary>
    public CrmDisconnectionInfo? Result { get; private set; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        var location = _connector.FindProfile(Profile, DatabasePath);
        if (!host.ShouldProcess($"CrmSync profile '{location.ProfileName}'", Action))
        {
            host.WriteVerbose($"Kept the credentials of profile '{location.ProfileName}'; nothing was changed.");
            return Task.CompletedTask;
        }
        var info = _connector.Forget(location);
        Result = info;
        host.WriteVerbose(info.Message);
        host.WriteObject(info);
        return Task.CompletedTask;
    }
}
