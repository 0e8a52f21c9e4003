namespace CrmSync.Cli;

/// <summary>An option a verb accepts: <c>--name VALUE</c> / <c>--name=VALUE</c>, or a flag <c>--name</c>.</summary>
public sealed record OptionSpec(string Name, bool TakesValue, string ValueName, string Description)
{
    /// <summary>The option may be given more than once (<c>--exclude A --exclude B</c>); read it with <see cref="ParsedOptions.Values"/>.</summary>
    public bool Repeatable { get; init; }
}

/// <summary>A usage error: the command line is wrong; nothing was done (exit code 2).</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }
}

/// <summary>The options given to one verb, checked against what the verb accepts.</summary>
public sealed class ParsedOptions
{
    /// <summary>
    /// Options that would put a secret on the command line, where other users can read it in the process list. They are
    /// refused by name, before any value is read, so the secret is never echoed in an error message.
    /// </summary>
    private static readonly IReadOnlySet<string> SecretOptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "password", "security-token", "token", "client-secret", "secret",
    };

    private readonly Dictionary<string, string?> given;
    private readonly Dictionary<string, List<string>> repeated;

    private ParsedOptions(Dictionary<string, string?> given, Dictionary<string, List<string>> repeated)
    {
        this.given = given;
        this.repeated = repeated;
    }

    /// <summary>Every value of a repeatable option, in the order given (empty when it was not given).</summary>
    public IReadOnlyList<string> Values(string name) =>
        repeated.TryGetValue(name, out var values) ? values : given.TryGetValue(name, out var value) && value is not null ? [value] : [];

    /// <summary>True when the flag or option was given.</summary>
    public bool Has(string name) => given.ContainsKey(name);

    /// <summary>The value of an option, or null when it was not given.</summary>
    public string? Value(string name) => given.TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// Parses <paramref name="args"/> (what follows the verb). Unknown options, repeated options, missing values and
    /// positional arguments are usage errors. Option names are case-sensitive, as on most Unix tools.
    /// </summary>
    public static ParsedOptions Parse(IReadOnlyList<string> args, IReadOnlyCollection<OptionSpec> accepted)
    {
        var byName = accepted.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var given = new Dictionary<string, string?>(StringComparer.Ordinal);
        var repeated = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException(arg == "-h" ? "use --help" : $"unexpected argument '{arg}'");

            string name = arg[2..];
            string? inlineValue = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inlineValue = name[(equals + 1)..];
                name = name[..equals];
            }

            if (!byName.TryGetValue(name, out var spec))
            {
                if (SecretOptions.Contains(name))
                    throw new UsageException($"'--{name}' is refused: secrets are never taken from command-line arguments, which other users " +
                        "can read in the process list. Set CRMSYNC_PASSWORD, CRMSYNC_SECURITY_TOKEN and CRMSYNC_CLIENT_SECRET, or pipe them " +
                        "with --password-stdin (see 'crmsync help connect').");
                throw new UsageException($"unknown option '--{name}'");
            }
            if (given.ContainsKey(name) && !spec.Repeatable)
                throw new UsageException($"option '--{name}' was given more than once");

            if (!spec.TakesValue)
            {
                if (inlineValue is not null)
                    throw new UsageException($"option '--{name}' takes no value");
                given[name] = null;
                continue;
            }

            string? value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"option '--{name}' needs a value ({spec.ValueName})");
                value = args[++i];
            }
            if (value.Length == 0)
                throw new UsageException($"option '--{name}' needs a non-empty value ({spec.ValueName})");
            given[name] = value;
            if (spec.Repeatable)
            {
                if (!repeated.TryGetValue(name, out var values))
                    repeated[name] = values = [];
                values.Add(value);
            }
        }
        return new ParsedOptions(given, repeated);
    }
}
