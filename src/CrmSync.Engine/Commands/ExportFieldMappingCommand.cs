using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Export-CrmFieldMapping / <c>crmsync mapping --export PATH</c>.</summary>
public sealed record ExportFieldMappingOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>CRM object names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Object { get; init; } = [];
    /// <summary>Field names or wildcard patterns (none: all).</summary>
    public IReadOnlyList<string> Field { get; init; } = [];
    /// <summary>The JSON file to write (a full path; the shell resolves a relative one).</summary>
    public required string Path { get; init; }
    /// <summary>Refuse to overwrite an existing file.</summary>
    public bool NoClobber { get; init; }
    /// <summary>Overwrite a read-only file (clearing its read-only attribute).</summary>
    public bool Force { get; init; }
}

/// <summary>
/// Export-CrmFieldMapping and <c>crmsync mapping --export</c>: writes the (filtered) field mappings to a reviewable JSON file
/// (<see cref="FieldMappingDocument"/>), for Set-CrmFieldMapping -Path, after ShouldProcess(path, ...). Overwrites an existing
/// file, like Export-Csv, unless <see cref="ExportFieldMappingOptions.NoClobber"/>; a read-only one only with
/// <see cref="ExportFieldMappingOptions.Force"/>. Writes nothing to the pipeline. Local only.
/// </summary>
public sealed class ExportFieldMappingCommand : ICommandHandler
{
    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public ExportFieldMappingCommand(ProfileStore profiles, ExportFieldMappingOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public ExportFieldMappingOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        if (string.IsNullOrWhiteSpace(Options.Path))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, "The mapping export needs the path of the file to write.",
                $"Give {ShellAction.ExportMapping.Parameter(ActionParameter.Path)} a file name, e.g. mapping.json.");
        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var mappings = GetFieldMappingCommand.Select(store, Options.Profile, Options.Object, Options.Field, host);

        var path = System.IO.Path.GetFullPath(Options.Path);
        bool exists = File.Exists(path);
        if (exists && Options.NoClobber)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.ResourceExists,
                $"The mapping file '{path}' already exists; {ShellAction.ExportMapping.Parameter(ActionParameter.NoClobber)} keeps it.",
                $"Give another path, or leave out {ShellAction.ExportMapping.Parameter(ActionParameter.NoClobber)} to overwrite it.", path);
        if (Directory.Exists(path))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The mapping file '{path}' is a folder.", "Give the path of a file, e.g. mapping.json in that folder.", path);
        // Checked here, not left to the file system: an administrator (root) may write a read-only file, and -Force is what says so.
        bool readOnly = exists && File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly);
        if (readOnly && !Options.Force)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.WriteError,
                $"The mapping file '{path}' is read-only.",
                $"Give {ShellAction.ExportMapping.Parameter(ActionParameter.Force)} to overwrite it, or another path.", path);
        string action = $"{(exists ? "Overwrite" : "Create")} with {mappings.Count} field mappings of profile '{Options.Profile}'";
        if (!host.ShouldProcess(path, action))
            return Task.CompletedTask;

        var json = FieldMappingDocument.Write(store.Profile.Read()!, mappings);
        try
        {
            if (readOnly)
                File.SetAttributes(path, File.GetAttributes(path) & ~FileAttributes.ReadOnly);
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
