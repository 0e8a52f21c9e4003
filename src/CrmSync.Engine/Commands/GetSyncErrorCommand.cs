using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Get-CrmSyncError / <c>crmsync error</c>.</summary>
public sealed record GetSyncErrorOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>CRM object names or wildcard patterns (none: all, including errors about the whole run).</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>Record, Job or All (default).</summary>
    public SyncErrorLevelFilter Level { get; init; } = SyncErrorLevelFilter.All;
    /// <summary>Only errors that occurred at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only errors of this run.</summary>
    public long? RunId { get; init; }
    /// <summary>Also list errors that a later attempt resolved (default: unresolved only).</summary>
    public bool IncludeResolved { get; init; }
    /// <summary>Only the newest N errors (after the other filters); null for all.</summary>
    public int? Last { get; init; }
    /// <summary>
    /// Errors that occurred longer ago than <see cref="Retention"/> are DELETED from the profile's database before listing
    /// (guarded by ShouldProcess). False (the default) deletes nothing: listing is then a pure read.
    /// </summary>
    public bool Purge { get; init; }
    /// <summary>With <see cref="Purge"/>: how long errors are kept; null for <see cref="SyncErrorLog.DefaultRetention"/> (5 days). Refused without <see cref="Purge"/>.</summary>
    public TimeSpan? Retention { get; init; }
    /// <summary>What a purge deletes: errors older than this; null when <see cref="Purge"/> is not set.</summary>
    public TimeSpan? PurgeOlderThan => Purge ? Retention ?? SyncErrorLog.DefaultRetention : null;
}

/// <summary>
/// Get-CrmSyncError and <c>crmsync error</c>: writes the profile's record- and job-level sync errors as
/// <see cref="CrmSyncErrorInfo"/>, newest first, filtered by object (wildcards), level, time, run and resolution.
/// <para>A read by default: it never changes the database unless <see cref="GetSyncErrorOptions.Purge"/> is set.
/// Then, after one ShouldProcess ("Delete N sync errors that occurred before …"), it deletes the expired errors first
/// (the product keeps errors 5 days by default); -WhatIf or a declined confirmation deletes nothing and lists as usual.
/// Purging is opt-in because a Get- command that silently deletes rows would surprise a user who keeps errors longer
/// on purpose, and because it would make a read fail on a read-only copy of the database.</para>
/// Errors (thrown): ProfileNotFound, InvalidProfileName, InvalidArgument (-Last not positive, negative retention, a retention without purge),
/// DatabaseLocked, DatabaseCorrupt; OperationCanceledException on cancellation.
/// </summary>
public sealed class GetSyncErrorCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public GetSyncErrorCommand(ProfileStore profiles, GetSyncErrorOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public GetSyncErrorOptions Options { get; }

    /// <summary>How many errors the last run deleted (0 when it did not purge).</summary>
    public int Purged { get; private set; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        Purged = 0;
        if (Options.Retention is { } given && !Options.Purge)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"{ShellParameter.For(ActionParameter.Retention)} only applies together with {ShellParameter.For(ActionParameter.Purge)}.",
                $"Add {ShellParameter.For(ActionParameter.Purge)} to delete errors older than {ShellParameter.For(ActionParameter.Retention)}, or leave {ShellParameter.For(ActionParameter.Retention)} out.", given);
        if (Options.PurgeOlderThan is { } retention && retention < TimeSpan.Zero)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The retention cannot be negative ({retention}).", $"Give {ShellParameter.For(ActionParameter.Retention)} as a positive time span, e.g. 5.00:00:00 for 5 days.", retention);
        var query = new SyncErrorQuery
        {
            Object = Options.Object,
            Level = Options.Level,
            Since = Options.Since,
            RunId = Options.RunId,
            IncludeResolved = Options.IncludeResolved,
            Last = Options.Last,
        };

        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read()!.Name;
        if (Options.PurgeOlderThan is { } keep)
            Purge(host, store, profile, keep, cancellationToken);

        host.WriteVerbose($"Reading the sync errors of profile '{profile}' ({store.DatabasePath}).");
        var written = 0;
        foreach (var error in SyncErrorReport.Read(store, profile, query, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            host.WriteObject(error);
            written++;
        }
        host.WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"{written} sync error(s) listed."));
        return Task.CompletedTask;
    }

    private void Purge(ICommandHost host, CrmSyncStore store, string profile, TimeSpan keep, CancellationToken cancellationToken)
    {
        var cutoff = store.Time.GetUtcNow() - keep;
        var expired = SyncErrorReport.CountOlderThan(store, cutoff, cancellationToken);
        var when = cutoff.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
        if (expired == 0)
        {
            host.WriteVerbose($"No sync error of profile '{profile}' occurred before {when}; nothing to purge.");
            return;
        }
        if (!host.ShouldProcess($"CrmSync profile '{profile}' ({store.DatabasePath})",
                string.Create(CultureInfo.InvariantCulture, $"Delete {expired} sync error(s) that occurred before {when} (older than {keep})")))
            return;
        cancellationToken.ThrowIfCancellationRequested();
        Purged = store.Errors.Purge(keep);
        host.WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Deleted {Purged} sync error(s) older than {keep}."));
    }
}
