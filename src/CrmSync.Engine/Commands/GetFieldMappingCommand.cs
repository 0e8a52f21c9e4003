using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Get-CrmFieldMapping / <c>crmsync mapping</c> (the listing).</summary>
public sealed record GetFieldMappingOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>CRM object names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>Field names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Field { get; init; } = [];
}

/// <summary>
/// Get-CrmFieldMapping and <c>crmsync mapping</c>: writes the field mappings (<see cref="CrmFieldMapping"/>); changes nothing
/// (the export to a file is <see cref="ExportFieldMappingCommand"/>). Local only. A literal -Object without mappings writes a
/// non-terminating ObjectNotSynced error.
/// </summary>
public sealed class GetFieldMappingCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public GetFieldMappingCommand(ProfileStore profiles, GetFieldMappingOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public GetFieldMappingOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        foreach (var mapping in Select(store, Options.Profile, Options.Object, Options.Field, host))
            host.WriteObject(mapping);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The mappings of <paramref name="store"/> that match the object and field filters (none: all). Warns when the profile has
    /// no mappings at all, and writes a non-terminating ObjectNotSynced error for each literal object without mappings.
    /// </summary>
    internal static IReadOnlyList<CrmFieldMapping> Select(CrmSyncStore store, string profile, IReadOnlyList<string> objects,
        IReadOnlyList<string> fields, ICommandHost host)
    {
        var service = new FieldMappingService(store);
        var mappings = service.List(objects, fields);
        var all = objects.Count == 0 && fields.Count == 0 ? mappings : service.List();
        if (all.Count == 0)
            host.WriteWarning($"Profile '{profile}' has no field mappings yet. Run {ShellAction.SyncFields} to create the fields and their default mappings.");
        foreach (var name in objects.Where(o => !new NameWildcard(o).HasWildcards))
            if (all.Count > 0 && !all.Any(m => string.Equals(m.ObjectName, name, StringComparison.OrdinalIgnoreCase)))
                host.WriteError(new CrmSyncException(ErrorIds.ObjectNotSynced, ErrorKind.ObjectNotFound,
                    $"'{name}' has no field mappings in profile '{profile}'.", $"Check the object's API name with {ShellAction.GetFields}.", name));
        return mappings;
    }
}
