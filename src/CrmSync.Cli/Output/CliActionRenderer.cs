using CrmSync.Engine.Connections;
using CrmSync.Engine.Shell;

namespace CrmSync.Cli.Output;

/// <summary>Spells engine actions as <c>crmsync</c> command lines: <c>crmsync connect --profile prod</c>.</summary>
public sealed class CliActionRenderer : ShellActionRenderer
{
    /// <summary>The one instance (the renderer holds no state).</summary>
    public static CliActionRenderer Instance { get; } = new();

    /// <inheritdoc/>
    public override string Render(ShellAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var words = new List<string> { "crmsync", Verb(action.Action) };
        if (action.Action == CrmSyncAction.MappingHelp)
            words.Add("--help");
        foreach (ActionArgument argument in action.Arguments)
            words.AddRange(Option(action.Action, argument));
        return string.Join(' ', words);
    }

    /// <summary>The verb that performs <paramref name="action"/>.</summary>
    public static string Verb(CrmSyncAction action) => action switch
    {
        CrmSyncAction.Connect => "connect",
        CrmSyncAction.Disconnect => "disconnect",
        CrmSyncAction.SyncFields => "sync-field",
        CrmSyncAction.GetFields => "field",
        CrmSyncAction.GetMapping or CrmSyncAction.SetMapping or CrmSyncAction.MappingHelp or CrmSyncAction.ExportMapping => "mapping",
        CrmSyncAction.Start => "start",
        CrmSyncAction.Stop => "stop",
        CrmSyncAction.Status => "status",
        CrmSyncAction.Errors => "error",
        CrmSyncAction.Conflicts => "conflict",
        CrmSyncAction.Duplicates => "duplicate",
        CrmSyncAction.GetNotification or CrmSyncAction.SetNotification => "notification",
        CrmSyncAction.TestConnection => "test-connection",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "This action has no crmsync verb yet."),
    };

    // The option words of one argument: the names of the verbs' options in Verbs/*Verb.cs.
    private static IEnumerable<string> Option(CrmSyncAction action, ActionArgument argument)
    {
        string? value = argument.Value is null ? null : Quote(argument.Value);
        return argument.Parameter switch
        {
            ActionParameter.Profile => ["--profile", value ?? "<name>"],
            ActionParameter.LoginUrl => ["--login-url", value ?? "<url>"],
            ActionParameter.Scope => ["--scope", (value ?? "<scope>").ToLowerInvariant()],
            ActionParameter.RetryNow => ["--retry-now"],
            ActionParameter.ExcludeField => value is null ? ["--exclude"] : ["--exclude", value],
            ActionParameter.ResetExclusions => ["--reset-exclusions"],
            ActionParameter.ResetFieldSelection => ["--reset-field-selection"],
            ActionParameter.Disable => ["--set", "<Object.Field>", "--disable"],
            ActionParameter.SmtpServer => ["--smtp-server", value ?? "<host>"],
            ActionParameter.Recipient => ["--recipient", value ?? "<address>"],
            ActionParameter.Credential => ["--smtp-user", value ?? "<user>"],
            ActionParameter.Path => [action == CrmSyncAction.SetMapping ? "--import" : "--export", value ?? "<path>"],
            ActionParameter.Verbose => ["--verbose"],
            _ => value is null ? [OptionName(argument.Parameter, action)] : [OptionName(argument.Parameter, action), value],
        };
    }

    /// <inheritdoc/>
    public override string RenderParameter(ShellParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return OptionName(parameter.Parameter, parameter.Of);
    }

    /// <summary>
    /// How a sentence names <paramref name="parameter"/> (of <paramref name="action"/>, when its spelling depends on it): the
    /// option of the verbs in Verbs/*Verb.cs, or the environment variable the CLI reads a secret from.
    /// </summary>
    internal static string OptionName(ActionParameter parameter, CrmSyncAction? action = null) => parameter switch
    {
        ActionParameter.DatabasePath => "--database",
        ActionParameter.ExcludeField => "--exclude",
        ActionParameter.Credential => action == CrmSyncAction.Connect ? "--username" : "--smtp-user",
        ActionParameter.Path => action == CrmSyncAction.SetMapping ? "--import" : "--export",
        ActionParameter.ObjectAndField => "--set OBJECT.FIELD",
        ActionParameter.Object or ActionParameter.Field when action == CrmSyncAction.SetMapping => "--set OBJECT.FIELD",
        ActionParameter.TrustedCertificatePath => "--trusted-certificate",
        // Secrets never come from arguments: the CLI reads them from the environment (or standard input).
        ActionParameter.ClientSecret => ProfileConnector.ClientSecretVariable,
        ActionParameter.Password => $"{ProfileConnector.PasswordVariable} (or --password-stdin)",
        _ => "--" + Kebab(parameter.ToString()),
    };

    private static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    // Placeholders (<host>) and plain words stay as they are; a value with blanks is quoted for POSIX shells.
    private static string Quote(string value) =>
        value.StartsWith('<') || !value.Any(char.IsWhiteSpace) ? value : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
