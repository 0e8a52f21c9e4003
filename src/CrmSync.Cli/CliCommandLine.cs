using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using CrmSync.Cli.Verbs;

namespace CrmSync.Cli;

/// <summary>
/// The <c>crmsync</c> command line as a System.CommandLine tree: one command per verb with the options of its
/// <see cref="ICliVerb.Options"/> table, <c>help [verb]</c>, <c>--version</c>, the recursive <c>-h/--help</c> (generated help
/// for every verb) and the <c>[suggest]</c> directive (tab completion). Parse errors are rendered by <see cref="CliApplication"/>
/// in crmsync's own words (exit 2); this class only builds the tree and names what is wrong.
/// </summary>
internal sealed class CliCommandLine
{
    /// <summary>
    /// Options that would put a secret on the command line, where other users can read it in the process list. They are
    /// refused by name, before anything is parsed, so the secret is never echoed in an error message.
    /// </summary>
    internal static readonly IReadOnlySet<string> SecretOptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "password", "security-token", "token", "client-secret", "secret", "smtp-password",
    };

    private static readonly ParserConfiguration Parsing = new()
    {
        // "@file" stays an ordinary argument: crmsync reads no response files (the hand-written parser never did).
        ResponseFileTokenReplacer = null,
    };

    private readonly Dictionary<Command, (ICliVerb Verb, IReadOnlyDictionary<string, Option> Options)> verbs = [];
    private readonly Option<bool> version = new("--version") { Description = "print the version", Arity = ArgumentArity.Zero };

    public CliCommandLine(IReadOnlyList<ICliVerb> verbList, Func<string, string?> getEnvironmentVariable, Func<ICliVerb, ParsedOptions, int> runVerb,
        Func<string?, int> runHelp, Func<ParseResult, int> runRoot)
    {
        ArgumentNullException.ThrowIfNull(verbList);
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        Root = new RootCommand("crmsync keeps a local SQLite marketing database in sync with a CRM.");

        // System.CommandLine's own --version prints the assembly's informational version and accepts extra arguments;
        // crmsync prints the engine's version and refuses anything after it.
        foreach (var builtIn in Root.Options.OfType<VersionOption>().ToList())
            Root.Options.Remove(builtIn);
        Root.Options.Add(version);
        var help = Root.Options.OfType<System.CommandLine.Help.HelpOption>().Single();
        help.Action = new VerbHelpAction((System.CommandLine.Help.HelpAction)help.Action!, this);
        Root.SetAction(runRoot);

        foreach (ICliVerb verb in verbList)
        {
            var command = new Command(verb.Name, $"{verb.Summary}\n\n{verb.Description}");
            var options = new Dictionary<string, Option>(StringComparer.Ordinal);
            foreach (OptionSpec spec in verb.Options)
            {
                Option option = CreateOption(spec, getEnvironmentVariable);
                command.Options.Add(option);
                options.Add(spec.Name, option);
            }
            command.SetAction(result => runVerb(verb, new ParsedOptions(result, options)));
            verbs.Add(command, (verb, options));
            Root.Subcommands.Add(command);
        }

        var helpVerb = new Argument<string?>("verb")
        {
            Description = "the verb to describe",
            Arity = ArgumentArity.ZeroOrOne,
        };
        helpVerb.CompletionSources.Add(verbList.Select(v => v.Name).ToArray());
        var helpCommand = new Command("help", "Shows the overview, or the help of one verb (the same as 'crmsync <verb> --help').") { helpVerb };
        helpCommand.SetAction(result => runHelp(result.GetValue(helpVerb)));
        Root.Subcommands.Add(helpCommand);
    }

    public RootCommand Root { get; }

    /// <summary>True when <c>--version</c> was given.</summary>
    public bool VersionRequested(ParseResult result) => result.GetResult(version) is { Implicit: false };

    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Parsing);

    /// <summary>The verb a parse result is about, if any.</summary>
    public ICliVerb? VerbOf(ParseResult result) => verbs.TryGetValue(result.CommandResult.Command, out var entry) ? entry.Verb : null;

    /// <summary>
    /// What is wrong with a command line, in crmsync's words (null when nothing is): a secret option, an unknown verb or
    /// option, a value given to a flag, a missing, empty or repeated value, a stray argument. Checked before anything runs.
    /// </summary>
    public UsageProblem? Problem(IReadOnlyList<string> args, ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(result);
        foreach (string arg in args)
        {
            if (OptionName(arg) is { } name && SecretOptions.Contains(name))
                return new(VerbOf(result), $"'--{name}' is refused: secrets are never taken from command-line arguments, which other users can read in the " +
                       "process list. Set CRMSYNC_PASSWORD, CRMSYNC_SECURITY_TOKEN and CRMSYNC_CLIENT_SECRET (CRMSYNC_SMTP_PASSWORD for " +
                       "'crmsync notification'), or pipe them with --password-stdin (--smtp-password-stdin); see 'crmsync help connect'.");
        }
        if (result.Errors.Count == 0)
            return null;

        // The first argument names the verb (or is --help, --version or a [directive]): anything else there, such as
        // 'crmsync --profile x status', is an unknown verb, whatever System.CommandLine would make of the rest.
        string head = args[0];
        bool known = head.StartsWith('[') || Root.Subcommands.Any(c => c.Name == head) ||
                     Root.Options.Any(o => o.Name == head || o.Aliases.Contains(head));
        if (!known)
            return new(null, $"unknown verb '{(OptionName(head) is { } headOption ? "--" + headOption : head)}'");

        ICliVerb? verb = VerbOf(result);
        if (verb is not null)
        {
            foreach (string arg in args)
            {
                if (arg.Contains('=', StringComparison.Ordinal) && OptionName(arg) is { } name &&
                    verb.Options.FirstOrDefault(o => o.Name == name) is { TakesValue: false })
                    return new(verb, $"option '--{name}' takes no value");
            }
        }
        if (result.UnmatchedTokens.Count > 0)
        {
            string token = result.UnmatchedTokens[0];
            if (result.CommandResult.Command == Root && VersionRequested(result))
                return new(null, "--version takes no arguments");
            if (result.CommandResult.Command == Root)
                return new(null, $"unknown verb '{token}'");
            return new(verb, token.StartsWith('-') ? $"unknown option '{(OptionName(token) is { } name ? "--" + name : token)}'" : $"unexpected argument '{token}'");
        }
        ParseError first = result.Errors[0];
        return new(verb, first.SymbolResult switch
        {
            OptionResult { Option.Arity.MinimumNumberOfValues: > 0, Tokens.Count: 0 } missing => NeedsValue(missing.Option),
            OptionResult { Option.Arity.MaximumNumberOfValues: 1, Tokens.Count: > 1 } repeated => $"option '{repeated.Option.Name}' was given more than once",
            _ => first.Message,
        });
    }

    /// <summary>What is wrong with a command line, and the verb it was for (null when no verb was recognised).</summary>
    public sealed record UsageProblem(ICliVerb? Verb, string Message);

    private static Option CreateOption(OptionSpec spec, Func<string, string?> getEnvironmentVariable)
    {
        string name = "--" + spec.Name;
        Option option = !spec.TakesValue ? new Option<bool>(name) { Arity = ArgumentArity.Zero }
            : spec.Repeatable ? new Option<string[]>(name) { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false }
            : new Option<string>(name) { Arity = ArgumentArity.ExactlyOne };
        option.Description = spec.Description;
        if (spec.TakesValue)
            option.HelpName = spec.ValueName;
        if (spec.Completions.Count > 0)
            option.CompletionSources.Add(spec.Completions.ToArray());
        if (spec.CompletionsFrom is { } read)
            option.CompletionSources.Add(_ => read(getEnvironmentVariable));
        option.Validators.Add(given =>
        {
            if (!spec.Repeatable && given.IdentifierTokenCount > 1)
            {
                given.AddError($"option '{name}' was given more than once");
                return;
            }
            foreach (Token token in given.Tokens)
            {
                // "--profile --json": the hand-written parser never took an option for a value, and neither does crmsync now.
                if (token.Value.StartsWith("--", StringComparison.Ordinal))
                    given.AddError(NeedsValue(option));
                else if (token.Value.Length == 0)
                    given.AddError($"option '{name}' needs a non-empty value ({spec.ValueName})");
            }
        });
        return option;
    }

    private static string NeedsValue(Option option) => $"option '{option.Name}' needs a value ({option.HelpName})";

    /// <summary>The option name of <c>--name</c> or <c>--name=value</c>; null for anything else.</summary>
    private static string? OptionName(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            return null;
        int equals = arg.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? arg[2..] : arg[2..equals];
    }

    /// <summary>
    /// <c>-h/--help</c>: the overview for <c>crmsync</c> itself; for a verb, System.CommandLine's generated help (its
    /// description, usage and every option) followed by the exit codes.
    /// </summary>
    private sealed class VerbHelpAction(System.CommandLine.Help.HelpAction generated, CliCommandLine owner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            if (parseResult.CommandResult.Command == owner.Root)
            {
                CliApplication.WriteHelp(output);
                return ExitCodes.Success;
            }
            generated.Invoke(parseResult);
            if (owner.VerbOf(parseResult) is not null)
                CliApplication.WriteExitCodes(output);
            return ExitCodes.Success;
        }
    }
}
