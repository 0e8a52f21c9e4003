using CrmSync.Cli.Demo;
using CrmSync.Cli.Output;
using CrmSync.Engine;
using CrmSync.Engine.Crm;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync demo [--crm salesforce|dynamics] [--home DIR] [--emulator PATH] [--seed PLAN] [--profile NAME] [--verbose]</c>: the whole main job against
/// a local CRM emulator, in a throw-away data folder (never the user's own profiles).
/// </summary>
public sealed class DemoVerb : ICliVerb
{
    /// <summary>The default seed: a few thousand records of every synced kind (about a minute on a 2-core machine).</summary>
    public const string DefaultSeed = "lead=3000,contact=1500,account=500,opportunity=300,campaign=20,member=1000,task=200,event=100,custom=50";

    /// <summary>The default seed of <c>--crm dynamics</c>: the same order of size in Dataverse's tables.</summary>
    public const string DefaultDynamicsSeed = "lead=3000,contact=1500,account=500,opportunity=300,systemuser=10,list=10,listmember=500,custom=20";

    public string Name => "demo";

    public string Summary => "Runs the main job against a local CRM emulator, in a throw-away data folder.";

    public string Description =>
        "Starts the CRM emulator (a child process) with seeded leads, contacts, accounts, campaigns, members and opportunities,\n" +
        "connects a profile to it, syncs the fields, runs the first cycle (the initial copy), changes records in the CRM\n" +
        "(updates, a delete, a lead conversion, a contact merge, a new lead) and in the local database with plain SQL (an UPDATE\n" +
        "and an INSERT), syncs again, then shows the counts, local rows, a check that the local database matches the CRM, and\n" +
        "where the database is. The data folder is a new folder under the system temp folder unless --home is given; your own\n" +
        "profiles are never used. The emulator is found with --emulator, env CRMSYNC_EMULATOR, next to crmsync, or in the\n" +
        "repository's src/CrmSync.Emulator/bin folder. Takes 5 to 30 seconds once built.\n" +
        "With --crm dynamics the emulator is a Dynamics 365 org (--crm dynamics): the profile connects with the sync user's\n" +
        "password grant and the sync filter new_synctomkto, and the CRM changes are Dataverse's (updates, a delete, a QualifyLead,\n" +
        "a contact merge, new_synctomkto set No to Yes on one lead and Yes to No on another, a new lead); the count check leaves out\n" +
        "records with an explicit No that never synced.";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("crm", TakesValue: true, "CRM", "salesforce (default) or dynamics: the CRM the emulator is, and the demo connects to"),
        new("home", TakesValue: true, "DIR", "the demo's data folder (default: a new folder under the system temp folder)"),
        new("emulator", TakesValue: true, "PATH", "CrmSync.Emulator.dll (default: env CRMSYNC_EMULATOR, next to crmsync, or the repository build)"),
        new("seed", TakesValue: true, "PLAN", $"the emulator's records (default: {DefaultSeed}; with --crm dynamics: {DefaultDynamicsSeed})"),
        new("profile", TakesValue: true, "NAME", "the demo profile's name (default: demo)"),
        new("database", TakesValue: true, "PATH", "the demo profile's SQLite file, instead of the one in the demo's data folder"),
        new("verbose", TakesValue: false, "", "write the engine's verbose messages to stderr"),
    ];

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var host = new ConsoleCommandHost(console, OutputFormat.Text, options.Has("verbose"));
        CrmKind crm;
        switch (options.Value("crm")?.ToLowerInvariant())
        {
            case null or "salesforce":
                crm = CrmKind.Salesforce;
                break;
            case "dynamics":
                crm = CrmKind.Dynamics;
                break;
            default:
                host.ReportError(new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                    $"Unknown CRM '{options.Value("crm")}' for the demo.", "Give --crm salesforce or --crm dynamics."));
                return ExitCodes.Usage;
        }
        try
        {
            var dll = EmulatorProcess.Locate(options.Value("emulator"), console.GetEnvironmentVariable, AppContext.BaseDirectory)
                      ?? throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.ObjectNotFound,
                          "The CRM emulator (CrmSync.Emulator.dll) was not found.",
                          "Build it (dotnet build src/CrmSync.Emulator), or name it with --emulator PATH or the CRMSYNC_EMULATOR environment variable.");
            var home = options.Value("home") is { } given ? Path.GetFullPath(given) : Directory.CreateTempSubdirectory("crmsync-demo-").FullName;
            Directory.CreateDirectory(home);
            var demo = new DemoRunner(new DemoOptions(home, options.Value("profile") ?? "demo", dll, options.Value("seed") ?? (crm == CrmKind.Dynamics ? DefaultDynamicsSeed : DefaultSeed),
                options.Has("verbose"), options.Value("database") is { } database ? Path.GetFullPath(database) : null, crm), console);
            // The demo writes its own readable lines as it goes; it runs off the console thread like every engine command.
            Task.Run(() => demo.RunAsync(cancellationToken), cancellationToken).GetAwaiter().GetResult();
            return ExitCodes.Success;
        }
        catch (CrmSyncException error)
        {
            host.ReportError(error);
            return CommandRunner.ExitCodeFor(error.Kind);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            host.ReportError(new CrmSyncException(ErrorIds.SyncCancelled, ErrorKind.OperationStopped,
                "The demo was cancelled (Ctrl+C); the emulator was stopped.", "Run crmsync demo again."));
            return ExitCodes.Failure;
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            host.ReportError(new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
                $"The demo failed unexpectedly: {unexpected.Message}",
                "Run crmsync demo again with --verbose; if it fails again, report it with this output.", inner: unexpected));
            return ExitCodes.Failure;
        }
    }
}
