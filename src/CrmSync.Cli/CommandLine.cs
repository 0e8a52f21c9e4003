using System.CommandLine;
using System.CommandLine.Parsing;

namespace CrmSync.Cli;

/// <summary>
/// An option a verb accepts: <c>--name VALUE</c> / <c>--name=VALUE</c>, or a flag <c>--name</c>. Each verb lists its options
/// in this form; <see cref="CliCommandLine"/> turns them into System.CommandLine options (parsing, generated help, completion).
/// </summary>
public sealed record OptionSpec(string Name, bool TakesValue, string ValueName, string Description)
{
    /// <summary>The option may be given more than once (<c>--exclude A --exclude B</c>); read it with <see cref="ParsedOptions.Values"/>.</summary>
    public bool Repeatable { get; init; }

    /// <summary>The values tab completion suggests for the option (an enumeration's names); empty for free text.</summary>
    public IReadOnlyList<string> Completions { get; init; } = [];

    /// <summary>
    /// Values tab completion reads when it is asked (e.g. the profiles in the data folder), from the environment variables
    /// given (CRMSYNC_HOME); it must never throw nor use the network.
    /// </summary>
    public Func<Func<string, string?>, IEnumerable<string>>? CompletionsFrom { get; init; }
}

/// <summary>A usage error: the command line is wrong; nothing was done (exit code 2).</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }
}

/// <summary>The options given to one verb: a view of System.CommandLine's parse result by option name.</summary>
public sealed class ParsedOptions
{
    private readonly ParseResult result;
    private readonly IReadOnlyDictionary<string, Option> byName;

    internal ParsedOptions(ParseResult result, IReadOnlyDictionary<string, Option> byName)
    {
        this.result = result;
        this.byName = byName;
    }

    /// <summary>Every value of a repeatable option, in the order given (empty when it was not given).</summary>
    public IReadOnlyList<string> Values(string name) =>
        Given(name) is { } given ? given.Tokens.Select(t => t.Value).ToList() : [];

    /// <summary>True when the flag or option was given.</summary>
    public bool Has(string name) => Given(name) is not null;

    /// <summary>The value of an option, or null when it was not given.</summary>
    public string? Value(string name) => Given(name)?.Tokens.LastOrDefault()?.Value;

    private OptionResult? Given(string name) =>
        byName.TryGetValue(name, out var option) && result.GetResult(option) is { Implicit: false } given ? given : null;
}
