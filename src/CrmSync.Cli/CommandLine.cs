namespace CrmSync.Cli;

/// <summary>An option a verb accepts: <c>--name VALUE</c> / <c>--name=VALUE</c>, or a flag <c>--name</c>.</summary>
public sealed record OptionSpec(string Name, bool TakesValue, string ValueName, string Description);

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
    private readonly Dictionary<string, string?> given;

    private ParsedOptions(Dictionary<string, string?> given) => this.given = given;

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
                throw new UsageException($"unknown option '--{name}'");
            if (given.ContainsKey(name))
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
        }
        return new ParsedOptions(given);
    }
}
