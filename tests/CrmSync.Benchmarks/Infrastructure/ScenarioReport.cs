using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>Prints a scenario's figures as aligned "name: value" lines, with the machine they were measured on.</summary>
internal sealed class ScenarioReport(string title)
{
    private readonly List<(string Name, string Value)> _lines = [];

    public ScenarioReport Add(string name, string value)
    {
        _lines.Add((name, value));
        return this;
    }

    /// <summary>A line printed only when <paramref name="when"/> (e.g. Dynamics-only figures).</summary>
    public ScenarioReport AddIf(bool when, string name, string value) => when ? Add(name, value) : this;

    public ScenarioReport AddIf(bool when, string name, long value) => when ? Add(name, value) : this;

    public ScenarioReport Add(string name, long value) => Add(name, value.ToString("N0", CultureInfo.InvariantCulture));

    public ScenarioReport Add(string name, double value, string format = "N0") => Add(name, value.ToString(format, CultureInfo.InvariantCulture));

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"== {title} ==");
        var width = _lines.Max(l => l.Name.Length);
        foreach (var (name, value) in _lines)
            Console.WriteLine($"  {name.PadRight(width)} : {value}");
        Console.WriteLine();
    }

    public static string Megabytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " MB";

    public static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("N3", CultureInfo.InvariantCulture) + " s";

    /// <summary>Cores, memory, runtime and date, for docs/benchmarks.md.</summary>
    /// <summary>
    /// The JIT settings that change the sync side's CPU time most: profile-guided re-compilation (TieredPGO) and the calls
    /// after which a method is re-compiled optimized (CallCountThreshold). The benchmark runs with crmsync's settings (off and
    /// 2,000, in its runtimeconfig); <c>DOTNET_TieredPGO=1 DOTNET_TC_CallCountThreshold=30</c> measures PowerShell's (the
    /// runtime's defaults). The environment variables win over the runtimeconfig.
    /// </summary>
    public static string Runtime()
    {
        var configured = AppContext.GetData("System.Runtime.TieredPGO") as string;
        var variable = Environment.GetEnvironmentVariable("DOTNET_TieredPGO");
        var on = variable is not null ? variable != "0" : configured is null || !string.Equals(configured, "false", StringComparison.OrdinalIgnoreCase);
        var threshold = Environment.GetEnvironmentVariable("DOTNET_TC_CallCountThreshold")
            ?? AppContext.GetData("System.Runtime.TieredCompilation.CallCountThreshold") as string ?? "30";
        return $"TieredPGO {(on ? "on (PowerShell's default)" : "off (crmsync's setting)")}; runtimeconfig {configured ?? "unset"}, DOTNET_TieredPGO {variable ?? "unset"}; " +
               $"call count threshold {threshold} ({(threshold == "30" ? "the runtime's default, PowerShell's" : "crmsync's setting")})";
    }

    public static string Machine()
    {
        var memory = "?";
        try
        {
            var total = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (total is not null)
                memory = (long.Parse(total[9..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0 / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " GB";
        }
        catch (IOException)
        {
        }
        return $"{Environment.ProcessorCount} cores, {memory} RAM, {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.FrameworkDescription}, " +
               $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC";
    }

    /// <summary>This process's peak resident set over its whole life (Linux VmHWM; Process.PeakWorkingSet64).</summary>
    public static long ProcessPeakWorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }
}
