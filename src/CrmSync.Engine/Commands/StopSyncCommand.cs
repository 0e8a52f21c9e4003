using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Stop-CrmSync / <c>crmsync stop</c>.</summary>
public sealed record StopSyncOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = ProfileName.Default;
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
}

/// <summary>
/// Stop-CrmSync (ConfirmImpact Medium) and <c>crmsync stop</c>: after one ShouldProcess, disables the persistent sync of the
/// profile (<see cref="SyncOrchestrator.DisableSync"/>). A continuous sync running in another session or process ends after
/// its current cycle (it checks after each cycle and at each wake-up); a cycle in flight is not interrupted. Start-CrmSync
/// enables the sync again. Writes the profile's <see cref="SyncStatus"/> afterwards (Enabled false). -WhatIf or a declined
/// confirmation changes nothing and writes nothing.
/// Errors (thrown): ProfileNotFound, InvalidProfileName, DatabaseLocked.
/// </summary>
public sealed class StopSyncCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public StopSyncCommand(ProfileStore profiles, StopSyncOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The ShouldProcess action.</summary>
    public static readonly string Action = $"Disable the persistent sync (a running continuous sync ends after its current cycle; {ShellAction.Start} enables it again)";

    /// <summary>The options.</summary>
    public StopSyncOptions Options { get; }

    /// <summary>True when the last run disabled the sync.</summary>
    public bool Disabled { get; private set; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        Disabled = false;
        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", store.DatabasePath);
        if (!host.ShouldProcess($"CrmSync profile '{profile.Name}' ({store.DatabasePath})", Action))
            return Task.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();

        if (!profile.SyncEnabled)
            host.WriteVerbose($"Sync of profile '{profile.Name}' was already disabled.");
        SyncOrchestrator.DisableSync(store);
        Disabled = true;
        host.WriteVerbose($"Disabled the persistent sync of profile '{profile.Name}'. {ShellAction.Start} enables it again.");
        if (store.RunLock.ReadCurrent() is { } lease && lease.IsAliveAt(store.Time.GetUtcNow()))
            host.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"A sync is running now on {lease.Host} (process {lease.ProcessId}, since {lease.AcquiredAt:u}); it finishes its current cycle and then stops."));
        host.WriteObject(SyncStatusReader.Read(store));
        return Task.CompletedTask;
    }
}
