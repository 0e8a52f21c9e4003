using System.Globalization;

namespace CrmSync.Cli.Verbs;

/// <summary>Reads the filter options shared by the report verbs (error, conflict); a bad value is a <see cref="UsageException"/>.</summary>
internal static class ReportOptionParser
{
    public static DateTimeOffset? Since(ParsedOptions options)
    {
        if (options.Value("since") is not { } text)
            return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
            ? since
            : throw new UsageException($"--since '{text}' is not a date and time such as 2026-11-02T09:00:00Z");
    }

    public static long? RunId(ParsedOptions options)
    {
        if (options.Value("run-id") is not { } text)
            return null;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new UsageException($"--run-id '{text}' is not a run id (a positive number)");
    }

    public static int? Last(ParsedOptions options)
    {
        if (options.Value("last") is not { } text)
            return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var last) && last > 0
            ? last
            : throw new UsageException($"--last '{text}' is not a positive number");
    }

    public static TEnum Enum<TEnum>(ParsedOptions options, string name, TEnum fallback) where TEnum : struct, System.Enum
    {
        if (options.Value(name) is not { } text)
            return fallback;
        return System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : throw new UsageException($"--{name} '{text}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    /// <summary>Writes the usage error and returns exit code 2.</summary>
    public static int UsageError(CliConsole console, string verb, string message)
    {
        console.Error.WriteLine($"crmsync: {message}");
        console.Error.WriteLine($"Run 'crmsync help {verb}' for usage.");
        return ExitCodes.Usage;
    }
}
