using System.Globalization;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>The command line: <c>&lt;scenario&gt; [--persons N] [--changed N] [--emulator child] [--keep] [--bulk-polls N] [--crm salesforce|dynamics]</c>.</summary>
internal sealed record BenchmarkArguments
{
    public required string Scenario { get; init; }
    public int? Persons { get; init; }
    public int? Changed { get; init; }
    public string Emulator { get; init; } = "child";
    public bool Keep { get; init; }
    public int BulkPolls { get; init; } = 1;
    /// <summary>The CRM the emulator plays: <c>salesforce</c> (default) or <c>dynamics</c> (<c>--crm dynamics</c>).</summary>
    public string Crm { get; init; } = "salesforce";
    public bool Dynamics => Crm == "dynamics";
    public IReadOnlyList<string> Rest { get; init; } = [];

    public const string Usage = """
        dotnet run -c Release --project tests/CrmSync.Benchmarks -- <scenario> [options]
          initial      --persons N (default 1000000)   the initial copy of N persons (70% leads, 30% contacts) + N/1000 accounts
          incremental  --changed N (default 1000)      one cycle after N CRM updates  (--persons default 100000 copied first)
          idle                                         one cycle with nothing changed (--persons default 100000 copied first)
          push         --changed N (default 10000)     one cycle pushing N locally updated persons (--persons default 50000)
          micro        [BenchmarkDotNet arguments]     micro-benchmarks of the hot path (page apply, bulk CSV parse)
        options: --emulator child (default: the emulator runs as a child process, so this process's memory is the sync side's),
                 --bulk-polls N (status polls before a bulk job completes, default 1), --keep (keep the temp profile folder),
                 --crm salesforce|dynamics (default salesforce; dynamics: the emulator runs with --crm dynamics, the sync side is a
                 Dynamics profile; initial, idle and push; every seeded lead and contact has new_synctomkto = Yes)
        """;

    public static BenchmarkArguments Parse(string[] args)
    {
        if (args.Length == 0)
            throw new ArgumentException("No scenario given.");
        var scenario = args[0].ToLowerInvariant();
        if (scenario == "micro")
            return new BenchmarkArguments { Scenario = scenario, Rest = args[1..] };
        if (scenario is not ("initial" or "incremental" or "idle" or "push"))
            throw new ArgumentException($"Unknown scenario '{args[0]}'.");
        int? persons = null, changed = null;
        var emulator = "child";
        var keep = false;
        var polls = 1;
        var crm = "salesforce";
        for (var i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--persons": persons = PositiveInt(Next(), "--persons"); break;
                case "--changed": changed = PositiveInt(Next(), "--changed"); break;
                case "--bulk-polls": polls = PositiveInt(Next(), "--bulk-polls"); break;
                case "--keep": keep = true; break;
                case "--crm":
                    crm = Next().ToLowerInvariant();
                    if (crm is not ("salesforce" or "dynamics"))
                        throw new ArgumentException("--crm: salesforce or dynamics.");
                    break;
                case "--emulator":
                    emulator = Next();
                    if (emulator != "child")
                        throw new ArgumentException("--emulator: only 'child' is supported (an in-process emulator would mix its memory into the sync side's).");
                    break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        if (crm == "dynamics" && scenario == "incremental")
            throw new ArgumentException("--crm dynamics: initial, idle and push (incremental is Salesforce only for now).");
        return new BenchmarkArguments { Scenario = scenario, Persons = persons, Changed = changed, Emulator = emulator, Keep = keep, BulkPolls = polls, Crm = crm };
    }

    private static int PositiveInt(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value : throw new ArgumentException($"{name} must be a positive whole number.");
}
