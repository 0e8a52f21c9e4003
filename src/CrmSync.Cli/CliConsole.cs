namespace CrmSync.Cli;

/// <summary>
/// What the CLI talks to: standard output (results only), standard error (errors, warnings, verbose text),
/// standard input (secrets, later) and the environment (CRMSYNC_HOME, secrets). Tests pass their own.
/// </summary>
public sealed class CliConsole
{
    public CliConsole(TextWriter output, TextWriter error, TextReader input, Func<string, string?> getEnvironmentVariable)
    {
        Output = output ?? throw new ArgumentNullException(nameof(output));
        Error = error ?? throw new ArgumentNullException(nameof(error));
        Input = input ?? throw new ArgumentNullException(nameof(input));
        GetEnvironmentVariable = getEnvironmentVariable ?? throw new ArgumentNullException(nameof(getEnvironmentVariable));
    }

    /// <summary>Results: the table or the JSON document, nothing else.</summary>
    public TextWriter Output { get; }

    /// <summary>Errors, warnings and (with --verbose) progress and verbose text.</summary>
    public TextWriter Error { get; }

    /// <summary>Secrets are read from here (never from arguments).</summary>
    public TextReader Input { get; }

    public Func<string, string?> GetEnvironmentVariable { get; }
}
