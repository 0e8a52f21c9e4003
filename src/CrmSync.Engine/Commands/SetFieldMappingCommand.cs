using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>
/// The parameters of Set-CrmFieldMapping / <c>crmsync mapping --import PATH</c>. Either edit one mapping
/// (<see cref="ObjectName"/>, <see cref="FieldName"/> and at least one of <see cref="Column"/>, <see cref="Rule"/>,
/// <see cref="Enable"/>, <see cref="Disable"/>), or import a file (<see cref="ImportPath"/> alone). The handler checks the
/// combinations (both modes, no change, -Enable with -Disable), so both shells share them.
/// </summary>
public sealed record SetFieldMappingOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>The CRM object of the mapping to edit.</summary>
    public string? ObjectName { get; init; }
    /// <summary>The CRM field of the mapping to edit.</summary>
    public string? FieldName { get; init; }
    /// <summary>Point the field at this existing column of the same table (compatible type).</summary>
    public string? Column { get; init; }
    /// <summary>The conflict rule.</summary>
    public FieldMappingRule? Rule { get; init; }
    /// <summary>Restores a broken mapping (the field syncs again).</summary>
    public bool Enable { get; init; }
    /// <summary>Breaks the mapping: the field stops syncing, its column stays. Not together with <see cref="Enable"/>.</summary>
    public bool Disable { get; init; }
    /// <summary>-Path: import this JSON mapping file (all or nothing).</summary>
    public string? ImportPath { get; init; }
}

/// <summary>
/// Set-CrmFieldMapping and <c>crmsync mapping --import</c>: edits one mapping or imports a mapping file, after validating
/// everything and one ShouldProcess; writes the changed <see cref="CrmFieldMapping"/>s. Errors (thrown):
/// MappingLocked (after the first Start-CrmSync), MappingInvalid (unknown field or column, incompatible type, a pushing rule
/// on a one-way or read-only field, an invalid file), InvalidArgument (no change given, both modes given), ProfileNotFound.
/// </summary>
public sealed class SetFieldMappingCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public SetFieldMappingCommand(ProfileStore profiles, SetFieldMappingOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public SetFieldMappingOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        bool? enabled = Options.Enable ? true : Options.Disable ? false : null;
        var editing = Options.ObjectName is not null || Options.FieldName is not null || Options.Column is not null || Options.Rule is not null || enabled is not null;
        if (Options.ImportPath is not null && editing)
            throw InvalidArgument($"Give either a mapping file to import ({ShellAction.SetMapping.Parameter(ActionParameter.Path)}) or one mapping to edit ({ShellParameter.For(ActionParameter.ObjectAndField)} with {ShellParameter.For(ActionParameter.Column)}, {ShellParameter.For(ActionParameter.Rule)}, {ShellParameter.For(ActionParameter.Enable)} or {ShellParameter.For(ActionParameter.Disable)}), not both.");
        if (Options.ImportPath is null && (string.IsNullOrWhiteSpace(Options.ObjectName) || string.IsNullOrWhiteSpace(Options.FieldName)))
            throw InvalidArgument($"Give the CRM object and field of the mapping to change ({ShellParameter.For(ActionParameter.ObjectAndField)}), or a mapping file to import ({ShellAction.SetMapping.Parameter(ActionParameter.Path)}).");
        if (Options.Enable && Options.Disable)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"{ShellParameter.For(ActionParameter.Enable)} and {ShellParameter.For(ActionParameter.Disable)} cannot be given together.",
                $"Give {ShellParameter.For(ActionParameter.Enable)} to restore the mapping or {ShellParameter.For(ActionParameter.Disable)} to break it.",
                $"{Options.ObjectName}.{Options.FieldName}");
        if (Options.ImportPath is null && Options.Column is null && Options.Rule is null && enabled is null)
            throw InvalidArgument($"Say what to change on {Options.ObjectName}.{Options.FieldName}: {ShellParameter.For(ActionParameter.Column)}, {ShellParameter.For(ActionParameter.Rule)}, {ShellParameter.For(ActionParameter.Enable)} or {ShellParameter.For(ActionParameter.Disable)}.");

        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var service = new FieldMappingService(store);
        var target = $"CrmSync profile '{Options.Profile}' ({store.DatabasePath})";

        if (Options.ImportPath is not null)
        {
            var path = Path.GetFullPath(Options.ImportPath);
            var json = FieldMappingService.ReadFile(path);
            var changes = service.PreviewImport(json);
            if (changes.Count == 0)
            {
                host.WriteVerbose($"The mappings in {path} are already in effect; nothing to change.");
                return Task.CompletedTask;
            }
            var listed = string.Join(", ", changes.Take(10).Select(Describe)) + (changes.Count > 10 ? $", and {changes.Count - 10} more" : "");
            if (!host.ShouldProcess(target, $"Import {changes.Count} changed field mappings from {path}: {listed}"))
                return Task.CompletedTask;
            foreach (var mapping in service.Import(json))
                host.WriteObject(mapping);
            return Task.CompletedTask;
        }

        var change = new FieldMappingChange(Options.ObjectName!, Options.FieldName!) { Column = Options.Column, Rule = Options.Rule, Enabled = enabled };
        var preview = service.Preview(change);
        if (!host.ShouldProcess($"{preview.ObjectName}.{preview.FieldName} in {target}", "Set the field mapping to " + Describe(preview)))
            return Task.CompletedTask;
        host.WriteObject(service.Set(change));
        return Task.CompletedTask;
    }

    private static string Describe(CrmFieldMapping m) =>
        $"{m.ObjectName}.{m.FieldName} → {m.TableName}.{m.ColumnName} ({m.Rule}, {(m.Enabled ? "enabled" : "disabled")})";

    private static CrmSyncException InvalidArgument(string message) =>
        new(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, message, $"See {ShellAction.MappingHelp} for the parameter sets.");
}
