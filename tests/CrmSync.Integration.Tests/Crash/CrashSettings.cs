using System.Globalization;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// How many kill -9 trials to run and on how much data. CI uses the defaults (3 kill points per phase, 20k persons);
/// scripts/crash-trials.sh sets CRMSYNC_CRASH_TRIALS / CRMSYNC_CRASH_PERSONS / CRMSYNC_CRASH_SEED and collects the
/// one-line summaries the test appends to CRMSYNC_CRASH_REPORT. CRMSYNC_CRASH_BULK_THRESHOLD (read by
/// <see cref="CrmSyncStartProcess"/>) makes the initial copies use the bulk API.
/// </summary>
internal sealed record CrashSettings(int Trials, int Persons, int Seed, string? ReportPath)
{
    /// <param name="defaultPersons">The persons seeded when CRMSYNC_CRASH_PERSONS is not set.</param>
    /// <param name="defaultTrials">The kill points per phase when CRMSYNC_CRASH_TRIALS is not set.</param>
    public static CrashSettings FromEnvironment(int defaultPersons = 20_000, int defaultTrials = 3)
    {
        static int Read(string name, int fallback) =>
            int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

        // An unset seed is a new one each run (printed, and in every failure message), so that CI explores other kill points.
        var seed = Read("CRMSYNC_CRASH_SEED", Random.Shared.Next(1, int.MaxValue));
        return new CrashSettings(Read("CRMSYNC_CRASH_TRIALS", defaultTrials), Read("CRMSYNC_CRASH_PERSONS", defaultPersons), seed,
            Environment.GetEnvironmentVariable("CRMSYNC_CRASH_REPORT"));
    }

    /// <summary>Appends the one-line summary of a trial run that failed with <paramref name="error"/> (see <see cref="Report"/>).</summary>
    public void ReportFailure(string label, Exception error) =>
        Report($"{label}result: FAIL seed {Seed}: {error.GetType().Name}: {error.Message.Split('\n')[0]}");

    /// <summary>Appends a one-line summary to CRMSYNC_CRASH_REPORT, when set.</summary>
    public void Report(string line)
    {
        if (ReportPath is { Length: > 0 } path)
            File.AppendAllText(path, line + Environment.NewLine);
    }
}
