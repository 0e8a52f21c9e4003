using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Store;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync mapping [--object O] [--field F] [--json] [--export PATH [--no-clobber] [--force] | --import PATH [--yes] | --set OBJECT.FIELD ...]</c>:
/// Get-, Export- and Set-CrmFieldMapping for shells.
/// </summary>
public sealed class MappingVerb : ICliVerb
{
    public string Name => "mapping";

    public string Summary => "Shows, exports, imports or changes the field mappings (Get-/Export-/Set-CrmFieldMapping).";

    public string Description =>
        "Without a mode, lists the mappings (filter with --object and --field, wildcards allowed).\n" +
        "--export PATH writes them to a reviewable JSON file (an existing one is overwritten unless --no-clobber; a read-only one\n" +
        "only with --force); --import PATH applies an edited file, all or nothing (asks y/N on\n" +
        "a terminal; elsewhere give --yes). --set OBJECT.FIELD changes one mapping: --column (another column of the same\n" +
        "table), --rule (TwoWay, PreferCrmUnlessBlank, AlwaysCrm, AlwaysLocal, None), --disable or --enable.\n" +
        "Once the sync has started, the mappings are locked and every change fails with MappingLocked.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("object", TakesValue: true, "OBJECT", "only mappings of this CRM object (wildcards allowed; repeatable)") { Repeatable = true },
        new("field", TakesValue: true, "FIELD", "only mappings of this CRM field (wildcards allowed; repeatable)") { Repeatable = true },
        new("export", TakesValue: true, "PATH", "write the (filtered) mappings to this JSON file"),
        new("no-clobber", TakesValue: false, "", "with --export: refuse to overwrite an existing file"),
        new("force", TakesValue: false, "", "with --export: overwrite a read-only file"),
        new("import", TakesValue: true, "PATH", "apply the mappings of this JSON file (all or nothing)"),
        new("set", TakesValue: true, "OBJECT.FIELD", "change the mapping of this CRM field, e.g. Lead.Email"),
        new("column", TakesValue: true, "COLUMN", "with --set: sync the field into this existing column of the same table"),
        new("rule", TakesValue: true, "RULE", "with --set: TwoWay, PreferCrmUnlessBlank, AlwaysCrm, AlwaysLocal or None")
        {
            Completions = Enum.GetNames<FieldMappingRule>(),
        },
        new("disable", TakesValue: false, "", "with --set: break the mapping (the field stops syncing, its column stays)"),
        new("enable", TakesValue: false, "", "with --set: restore a broken mapping"),
        new("yes", TakesValue: false, "", "with --import: confirm without a prompt (needed when standard input is not a terminal)"),
        new("what-if", TakesValue: false, "", "with --export, --import or --set: say what would change and change nothing"),
    ]);

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        int modes = new[] { "export", "import", "set" }.Count(options.Has);
        if (modes > 1)
            return Usage(console, "give one of --export, --import and --set");
        bool editing = options.Has("column") || options.Has("rule") || options.Has("disable") || options.Has("enable");
        if (editing && !options.Has("set"))
            return Usage(console, "--column, --rule, --disable and --enable change one mapping: give it with --set OBJECT.FIELD");
        if ((options.Has("import") || options.Has("set")) && (options.Has("object") || options.Has("field")))
            return Usage(console, "--object and --field filter the listing and --export; --import and --set do not take them");
        if ((options.Has("no-clobber") || options.Has("force")) && !options.Has("export"))
            return Usage(console, "--no-clobber and --force go with --export");
        if (options.Has("yes") && !options.Has("import"))
            return Usage(console, "--yes confirms --import; the other modes do not ask");

        string profile = ProfileVerbOptions.Profile(options);
        string? database = ProfileVerbOptions.Database(options);
        ICommandHandler handler;
        if (options.Value("set") is { } set)
        {
            int dot = set.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || dot == set.Length - 1)
                return Usage(console, $"--set takes OBJECT.FIELD (e.g. Lead.Email), not '{set}'");
            FieldMappingRule? rule = null;
            if (options.Value("rule") is { } ruleText)
            {
                if (!Enum.TryParse(ruleText, ignoreCase: true, out FieldMappingRule parsed) || !Enum.IsDefined(parsed) || int.TryParse(ruleText, out _))
                    return Usage(console, $"--rule takes {string.Join(", ", Enum.GetNames<FieldMappingRule>())}, not '{ruleText}'");
                rule = parsed;
            }
            if (!editing)
                return Usage(console, $"say what to change on {set}: --column, --rule, --disable or --enable");
            var setOptions = new SetFieldMappingOptions
            {
                Profile = profile, DatabasePath = database, ObjectName = set[..dot], FieldName = set[(dot + 1)..], Column = options.Value("column"),
                Rule = rule, Enable = options.Has("enable"), Disable = options.Has("disable"),
            };
            handler = ProfileVerbOptions.Handler(console, handlers => handlers.SetFieldMapping(setOptions));
        }
        else if (options.Value("import") is { } import)
        {
            if (ConfirmationPolicy.RefuseUnattended(options, console, $"{Name} --import", "replaces the field mappings") is { } refused)
                return refused;
            var importOptions = new SetFieldMappingOptions { Profile = profile, DatabasePath = database, ImportPath = import };
            handler = ConfirmationPolicy.Wrap(ProfileVerbOptions.Handler(console, handlers => handlers.SetFieldMapping(importOptions)), options, console);
        }
        else if (options.Value("export") is { } export)
        {
            var exportOptions = new ExportFieldMappingOptions
            {
                Profile = profile, DatabasePath = database, Object = options.Values("object"), Field = options.Values("field"),
                Path = export, NoClobber = options.Has("no-clobber"), Force = options.Has("force"),
            };
            handler = ProfileVerbOptions.Handler(console, handlers => handlers.ExportFieldMappings(exportOptions));
        }
        else
        {
            if (options.Has("what-if"))
                return Usage(console, "--what-if goes with --export, --import or --set; listing changes nothing");
            var getOptions = new GetFieldMappingOptions
            {
                Profile = profile, DatabasePath = database, Object = options.Values("object"), Field = options.Values("field"),
            };
            handler = ProfileVerbOptions.Handler(console, handlers => handlers.GetFieldMappings(getOptions));
        }
        return ProfileVerbOptions.Run(handler, options, console, cancellationToken, whatIf: true);
    }

    private int Usage(CliConsole console, string message) => ReportOptionParser.UsageError(console, Name, message);
}
