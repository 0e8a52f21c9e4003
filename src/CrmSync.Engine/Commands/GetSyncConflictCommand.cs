using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Reports;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Get-CrmSyncConflict / <c>crmsync conflict</c>.</summary>
public sealed record GetSyncConflictOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>CRM object names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>CRM field names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Field { get; init; } = [];
    /// <summary>Only collisions of this run.</summary>
    public long? RunId { get; init; }
    /// <summary>Only collisions at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only the newest N collisions (after the other filters); null for all.</summary>
    public int? Last { get; init; }
}

/// <summary>
/// Get-CrmSyncConflict and <c>crmsync conflict</c>: writes the conflict journal as <see cref="CrmSyncConflictInfo"/>,
/// newest first, filtered by object and field (wildcards), run and time. Reads only, through a read-only connection.
/// Errors (thrown): ProfileNotFound, InvalidProfileName, InvalidArgument (-Last not positive), DatabaseLocked,
/// DatabaseCorrupt; OperationCanceledException on cancellation.
/// </summary>
public sealed class GetSyncConflictCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public GetSyncConflictCommand(ProfileStore profiles, GetSyncConflictOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public GetSyncConflictOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        var query = new SyncConflictQuery
        {
            Object = Options.Object,
            Field = Options.Field,
            RunId = Options.RunId,
            Since = Options.Since,
            Last = Options.Last,
        };
        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read()!.Name;
        host.WriteVerbose($"Reading the conflict journal of profile '{profile}' ({store.DatabasePath}).");
        var written = 0;
        foreach (var conflict in SyncConflictReport.Read(store, profile, query, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            host.WriteObject(conflict);
            written++;
        }
        host.WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"{written} conflict(s) listed."));
        return Task.CompletedTask;
    }
}
