using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// How a <c>crmsync</c> verb that changes something gets its confirmation: <c>--yes</c> confirms, <c>--what-if</c> only
/// describes, a terminal asks y/N, and without any of these (standard input redirected, or a CI run) the verb refuses before
/// doing anything and exits 2.
/// </summary>
public static class ConfirmationPolicy
{
    /// <summary>True when a person can answer a prompt: standard input is a terminal and the CI variable is not set.</summary>
    public static bool CanPrompt(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return !Console.IsInputRedirected && string.IsNullOrEmpty(console.GetEnvironmentVariable("CI"));
    }

    /// <summary>
    /// Null when the verb may go on; otherwise the exit code after writing why it refuses: no <c>--yes</c>, no <c>--what-if</c>
    /// and no one to answer a prompt.
    /// </summary>
    public static int? RefuseUnattended(ParsedOptions options, CliConsole console, string verb, string what)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        if (options.Has("yes") || options.Has("what-if") || CanPrompt(console))
            return null;
        console.Error.WriteLine($"crmsync: {verb} {what} and needs a confirmation, but no one can answer a prompt (standard input is " +
                                "not a terminal). Nothing was done.");
        console.Error.WriteLine($"  Review it with 'crmsync {verb} --what-if', then run it again with --yes.");
        return ExitCodes.Usage;
    }

    /// <summary>The handler to run: <paramref name="inner"/> itself with --yes or --what-if, else one that asks y/N on the terminal.</summary>
    public static ICommandHandler Wrap(ICommandHandler inner, ParsedOptions options, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        return options.Has("yes") || options.Has("what-if") ? inner : new ConfirmingHandler(inner, console);
    }
}
