namespace CrmSync.Cli.Verbs;

/// <summary>One <c>crmsync</c> verb: its name, its options, and how it runs its command handler.</summary>
public interface ICliVerb
{
    string Name { get; }

    /// <summary>One line for the verb list.</summary>
    string Summary { get; }

    /// <summary>A paragraph for <c>crmsync help &lt;verb&gt;</c>.</summary>
    string Description { get; }

    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the verb with already-parsed options; returns the exit code.</summary>
    int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken);
}
