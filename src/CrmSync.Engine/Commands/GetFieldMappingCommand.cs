using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Get-CrmFieldMapping / <c>crmsync mapping [--export PATH]</c>.</summary>
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
    /// <summary>-Path: export the (filtered) mappings to this JSON file instead of writing them to the pipeline.</summary>
    public string? ExportPath { get; init; }
}

/// <summary>
/// Get-CrmFieldMapping and <c>crmsync mapping</c>: writes the field mappings (<see cref="CrmFieldMapping"/>), or with
/// <see cref="GetFieldMappingOptions.ExportPath"/> writes them to a reviewable JSON file (<see cref="FieldMappingDocument"/>)
/// after ShouldProcess(path, ...) and writes nothing to the pipeline. Local only. A literal -Object without mappings
/// writes a non-terminating ObjectNotSynced error.
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
        var service = new FieldMappingService(store);
        var mappings = service.List(Options.Object, Options.Field);
        var all = Options.Object.Count == 0 && Options.Field.Count == 0 ? mappings : service.List();
        if (all.Count == 0)
            host.WriteWarning($"Profile '{Options.Profile}' has no field mappings yet. Run {ShellAction.SyncFields} to create the fields and their default mappings.");
        foreach (var name in Options.Object.Where(o => !new NameWildcard(o).HasWildcards))
            if (all.Count > 0 && !all.Any(m => string.Equals(m.ObjectName, name, StringComparison.OrdinalIgnoreCase)))
                host.WriteError(new CrmSyncException(ErrorIds.ObjectNotSynced, ErrorKind.ObjectNotFound,
                    $"'{name}' has no field mappings in profile '{Options.Profile}'.", $"Check the object's API name with {ShellAction.GetFields}.", name));

        if (Options.ExportPath is null)
        {
            foreach (var mapping in mappings)
                host.WriteObject(mapping);
            return Task.CompletedTask;
        }

        var path = Path.GetFullPath(Options.ExportPath);
        if (!host.ShouldProcess(path, $"Export {mappings.Count} field mappings of profile '{Options.Profile}'"))
            return Task.CompletedTask;
        var profile = store.Profile.Read()!;
        var json = FieldMappingDocument.Write(profile, mappings);
        try
        {
            File.WriteAllText(path, json, new System.Text.UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.WriteError,
                $"The mapping file '{path}' cannot be written: {e.Message}", "Give a path in a folder you can write to.", path, e);
        }
        host.WriteVerbose($"Exported {mappings.Count} field mappings to {path}.");
        return Task.CompletedTask;
    }
}
