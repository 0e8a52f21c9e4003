using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Get-CrmField / <c>crmsync field</c>.</summary>
public sealed record GetFieldOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>CRM object names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>Field names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Name { get; init; } = [];
}

/// <summary>
/// Get-CrmField and <c>crmsync field</c>: lists the created fields from the local catalog (never the network) as
/// <see cref="CrmFieldInfo"/>. A literal -Object that has no created field writes a non-terminating ObjectNotSynced error,
/// a literal -Name that matches nothing a CrmFieldNotFound error; an empty catalog a warning to run Sync-CrmField.
/// </summary>
public sealed class GetFieldCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public GetFieldCommand(ProfileStore profiles, GetFieldOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public GetFieldOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var all = FieldCatalogView.List(store);
        if (all.Count == 0)
        {
            host.WriteWarning($"Profile '{Options.Profile}' has no created fields yet. Run {ShellAction.SyncFields} to create them.");
            return Task.CompletedTask;
        }
        var fields = FieldCatalogView.List(store, Options.Object, Options.Name);
        foreach (var field in fields)
            host.WriteObject(field);

        foreach (var name in Options.Object.Where(o => !new NameWildcard(o).HasWildcards))
            if (!all.Any(f => string.Equals(f.ObjectName, name, StringComparison.OrdinalIgnoreCase)))
                host.WriteError(new CrmSyncException(ErrorIds.ObjectNotSynced, ErrorKind.ObjectNotFound,
                    $"'{name}' has no created fields in profile '{all[0].Profile}'; synced objects with fields: {string.Join(", ", all.Select(f => f.ObjectName).Distinct())}.",
                    $"Check the object's API name, or run {ShellAction.SyncFields} if the sync user can see it now.", name));
        foreach (var name in Options.Name.Where(n => !new NameWildcard(n).HasWildcards))
            if (!fields.Any(f => string.Equals(f.FieldName, name, StringComparison.OrdinalIgnoreCase)) &&
                Options.Object.All(o => all.Any(f => new NameWildcard(o).IsMatch(f.ObjectName))))
                host.WriteError(new CrmSyncException(ErrorIds.CrmFieldNotFound, ErrorKind.ObjectNotFound,
                    $"No created field named '{name}'" + (Options.Object.Count > 0 ? $" on {string.Join(", ", Options.Object)}" : "") + ".",
                    $"Check the field's API name with {ShellAction.GetFields}; excluded and not yet created fields are not listed.", name));
        return Task.CompletedTask;
    }
}
