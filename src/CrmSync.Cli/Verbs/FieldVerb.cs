using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Verbs;

/// <summary><c>crmsync field [--object O]... [--name N]... [--json]</c>: Get-CrmField for shells.</summary>
public sealed class FieldVerb : ICliVerb
{
    public string Name => "field";

    public string Summary => "Lists the CRM fields that have a local column (Get-CrmField).";

    public string Description =>
        "Reads the profile's field catalog (never the network): each created field with its table, column, types, whether it\n" +
        "is orphaned or its type changed, and whether it syncs. --object and --name take names or wildcard patterns (repeatable).";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("object", TakesValue: true, "OBJECT", "only fields of this CRM object (wildcards allowed; repeatable)") { Repeatable = true },
        new("name", TakesValue: true, "FIELD", "only fields with this API name (wildcards allowed; repeatable)") { Repeatable = true },
    ]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var fieldOptions = new GetFieldOptions
        {
            Profile = ProfileVerbOptions.Profile(options), DatabasePath = ProfileVerbOptions.Database(options),
            Object = options.Values("object"), Name = options.Values("name"),
        };
        return ProfileVerbOptions.Run(ProfileVerbOptions.Handler(console, handlers => handlers.GetFields(fieldOptions)), options, console, cancellationToken);
    }
}
