using CrmSync.Engine.Connections;
using CrmSync.Engine.Notifications;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Get-CrmSyncNotification / <c>crmsync notification</c>.</summary>
public sealed record GetNotificationOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = ProfileName.Default;
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
}

/// <summary>
/// Get-CrmSyncNotification and <c>crmsync notification</c> (without changes): writes the profile's
/// <see cref="NotificationInfo"/>: the settings (never the SMTP password, only whether one is saved), how many mails wait,
/// when one was last sent and the last sending error. A profile without settings gives Configured = false.
/// Errors (thrown): ProfileNotFound, InvalidProfileName.
/// </summary>
public sealed class GetNotificationCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;
    private readonly NotificationSecretStore _secrets;

    /// <summary>The command over <paramref name="profiles"/> and the SMTP passwords in <paramref name="secrets"/>.</summary>
    public GetNotificationCommand(ProfileStore profiles, NotificationSecretStore secrets, GetNotificationOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public GetNotificationOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        var info = NotificationSetup.Describe(store, profile.Name, _secrets);
        if (!info.Configured)
            host.WriteVerbose($"Profile '{profile.Name}' has no e-mail notifications; {ShellAction.SetNotification} sets them up.");
        host.WriteObject(info);
        return Task.CompletedTask;
    }
}
