using System.Text;
using System.Text.RegularExpressions;

namespace CrmSync.Engine.Shell;

/// <summary>
/// What a user can do with CrmSync, named without a shell: the PowerShell module says <c>Connect-CrmSync</c>,
/// the <c>crmsync</c> CLI says <c>crmsync connect</c>.
/// </summary>
public enum CrmSyncAction
{
    Connect,
    Disconnect,
    SyncFields,
    GetFields,
    GetMapping,
    SetMapping,
    MappingHelp,
    Start,
    Stop,
    Status,
    Errors,
    Conflicts,
    Duplicates,
    GetNotification,
    SetNotification,
    TestConnection,
    ExportMapping,
}

/// <summary>A parameter of an action; each shell spells it its own way (<c>-ExcludeField</c>, <c>--exclude</c>).</summary>
public enum ActionParameter
{
    Profile,
    LoginUrl,
    Scope,
    RetryNow,
    ExcludeField,
    ResetExclusions,
    ResetFieldSelection,
    Disable,
    SmtpServer,
    Recipient,
    Credential,
    Path,
    Verbose,
    DatabasePath,
    Object,
    Field,
    Column,
    Rule,
    Enable,
    Continuous,
    Interval,
    Purge,
    Retention,
    Last,
    RemoveCredential,
    ClientId,
    ClientSecret,
    ClientCredentials,
    TenantId,
    Url,
    TlsMode,
    TrustedCertificatePath,
    NotifyEmail,
    Sandbox,
    /// <summary>The sync user's password: inside -Credential for the module, an environment variable or standard input for the CLI.</summary>
    Password,
    /// <summary>The CRM object and field of one mapping: -Object and -Field for the module, --set OBJECT.FIELD for the CLI.</summary>
    ObjectAndField,
    NoClobber,
    Force,
}

/// <summary>One parameter of a <see cref="ShellAction"/>: a switch when <see cref="Value"/> is null.</summary>
public sealed record ActionArgument(ActionParameter Parameter, string? Value);

/// <summary>
/// An action named in an engine message. Its text (<see cref="ToString"/>) is a token such as
/// <c>[[connect profile=prod]]</c> that a shell's <see cref="ShellActionRenderer"/> replaces by its own command line;
/// unrendered (a log, an exception caught elsewhere) the token still says which action and which arguments are meant.
/// </summary>
public sealed record ShellAction(CrmSyncAction Action, IReadOnlyList<ActionArgument> Arguments)
{
    public static ShellAction Connect => new(CrmSyncAction.Connect);
    public static ShellAction Disconnect => new(CrmSyncAction.Disconnect);
    public static ShellAction SyncFields => new(CrmSyncAction.SyncFields);
    public static ShellAction GetFields => new(CrmSyncAction.GetFields);
    public static ShellAction GetMapping => new(CrmSyncAction.GetMapping);
    public static ShellAction SetMapping => new(CrmSyncAction.SetMapping);
    public static ShellAction MappingHelp => new(CrmSyncAction.MappingHelp);
    public static ShellAction ExportMapping => new(CrmSyncAction.ExportMapping);
    public static ShellAction Start => new(CrmSyncAction.Start);
    public static ShellAction Stop => new(CrmSyncAction.Stop);
    public static ShellAction Status => new(CrmSyncAction.Status);
    public static ShellAction Errors => new(CrmSyncAction.Errors);
    public static ShellAction Conflicts => new(CrmSyncAction.Conflicts);
    public static ShellAction Duplicates => new(CrmSyncAction.Duplicates);
    public static ShellAction GetNotification => new(CrmSyncAction.GetNotification);
    public static ShellAction SetNotification => new(CrmSyncAction.SetNotification);
    public static ShellAction TestConnection => new(CrmSyncAction.TestConnection);

    private static readonly Regex TokenPattern = new(
        @"\[\[(?<action>[a-z-]+)(?:\s+(?<name>[a-z-]+)(?:=(?:""(?<quoted>[^""]*)""|(?<value>[^\s\]""]+)))?)*\]\]",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public ShellAction(CrmSyncAction action) : this(action, []) { }

    /// <summary>This action with one more argument (a switch when <paramref name="value"/> is null).</summary>
    public ShellAction With(ActionParameter parameter, string? value = null) =>
        this with { Arguments = [.. Arguments, new ActionArgument(parameter, value)] };

    /// <summary>This action for the profile <paramref name="profile"/>.</summary>
    public ShellAction Profile(string profile) => With(ActionParameter.Profile, profile);

    /// <summary><paramref name="parameter"/> of this action named on its own (<c>-Object</c> of Set-CrmFieldMapping).</summary>
    public ShellParameter Parameter(ActionParameter parameter) => new(parameter, Action);

    public override string ToString()
    {
        var text = new StringBuilder("[[").Append(Kebab(Action.ToString()));
        foreach (ActionArgument argument in Arguments)
        {
            text.Append(' ').Append(Kebab(argument.Parameter.ToString()));
            if (argument.Value is not null)
                text.Append("=\"").Append(argument.Value.Replace("\"", "'", StringComparison.Ordinal)).Append('"');
        }
        return text.Append("]]").ToString();
    }

    /// <summary>
    /// Replaces every action token in <paramref name="text"/> by <paramref name="render"/>'s command line; text
    /// without tokens (or null) comes back unchanged.
    /// </summary>
    public static string? RenderIn(string? text, Func<ShellAction, string> render) =>
        RenderIn(text, render, parameter => parameter.ToString());

    /// <summary>
    /// Replaces every action token in <paramref name="text"/> by <paramref name="render"/>'s command line and every
    /// parameter token by <paramref name="renderParameter"/>'s spelling; text without tokens (or null) comes back unchanged.
    /// </summary>
    public static string? RenderIn(string? text, Func<ShellAction, string> render, Func<ShellParameter, string> renderParameter)
    {
        ArgumentNullException.ThrowIfNull(render);
        ArgumentNullException.ThrowIfNull(renderParameter);
        if (text is null || !text.Contains("[[", StringComparison.Ordinal))
            return text;
        text = ShellParameter.RenderIn(text, renderParameter);
        return TokenPattern.Replace(text, match =>
        {
            if (!Enum.TryParse(match.Groups["action"].Value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out CrmSyncAction action))
                return match.Value;
            var arguments = new List<ActionArgument>();
            var names = match.Groups["name"].Captures;
            foreach (Capture name in names)
            {
                if (!Enum.TryParse(name.Value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out ActionParameter parameter))
                    return match.Value;
                arguments.Add(new ActionArgument(parameter, ValueAfter(match, name)));
            }
            return render(new ShellAction(action, arguments));
        });
    }

    // The value (quoted or bare) whose capture starts right after "name=", if any.
    private static string? ValueAfter(Match match, Capture name)
    {
        int at = name.Index + name.Length + 1;
        foreach (Capture quoted in match.Groups["quoted"].Captures)
            if (quoted.Index == at + 1)
                return quoted.Value;
        foreach (Capture value in match.Groups["value"].Captures)
            if (value.Index == at)
                return value.Value;
        return null;
    }

    internal static string Kebab(string pascal)
    {
        var text = new StringBuilder();
        foreach (char c in pascal)
        {
            if (char.IsUpper(c) && text.Length > 0)
                text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}

/// <summary>
/// A parameter named on its own in an engine message ("Give -DatabasePath a file on a local disk"). Its text
/// (<see cref="ToString"/>) is a token such as <c>[[param database-path]]</c>, or <c>[[param object of=set-mapping]]</c> when
/// the spelling depends on the action; each shell's <see cref="ShellActionRenderer"/> spells it (<c>-DatabasePath</c>,
/// <c>--database</c>).
/// </summary>
public sealed record ShellParameter(ActionParameter Parameter, CrmSyncAction? Of = null)
{
    private static readonly Regex TokenPattern = new(
        @"\[\[param (?<name>[a-z-]+)(?: of=(?<action>[a-z-]+))?\]\]", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary><paramref name="parameter"/> named without an action.</summary>
    public static ShellParameter For(ActionParameter parameter) => new(parameter);

    public override string ToString() =>
        "[[param " + ShellAction.Kebab(Parameter.ToString()) + (Of is { } action ? " of=" + ShellAction.Kebab(action.ToString()) : "") + "]]";

    /// <summary>Replaces every parameter token in <paramref name="text"/> by <paramref name="render"/>'s spelling.</summary>
    internal static string RenderIn(string text, Func<ShellParameter, string> render) =>
        !text.Contains("[[param ", StringComparison.Ordinal) ? text : TokenPattern.Replace(text, match =>
        {
            if (!Enum.TryParse(match.Groups["name"].Value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out ActionParameter parameter))
                return match.Value;
            CrmSyncAction? of = null;
            if (match.Groups["action"].Success)
            {
                if (!Enum.TryParse(match.Groups["action"].Value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out CrmSyncAction action))
                    return match.Value;
                of = action;
            }
            return render(new ShellParameter(parameter, of));
        });
}

/// <summary>Spells <see cref="ShellAction"/>s and <see cref="ShellParameter"/>s in the words of one shell.</summary>
public abstract class ShellActionRenderer
{
    /// <summary>The command line of <paramref name="action"/> in this shell.</summary>
    public abstract string Render(ShellAction action);

    /// <summary>How this shell names <paramref name="parameter"/> in a sentence (<c>-DatabasePath</c>, <c>--database</c>).</summary>
    public abstract string RenderParameter(ShellParameter parameter);

    /// <summary><paramref name="text"/> with every action and parameter token spelled in this shell.</summary>
    public string? RenderText(string? text) => ShellAction.RenderIn(text, Render, RenderParameter);

    /// <summary><paramref name="error"/> with its message and recommended action spelled in this shell (itself when it has no tokens).</summary>
    public CrmSyncException RenderError(CrmSyncException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        string message = RenderText(error.Message)!;
        string recommended = RenderText(error.RecommendedAction) ?? "";
        if (message == error.Message && recommended == (error.RecommendedAction ?? ""))
            return error;
        return new CrmSyncException(error.ErrorId, error.Kind, message, recommended, error.Target, error.InnerException);
    }
}

/// <summary>Renders the action tokens inside the engine's output objects that carry advice text.</summary>
public static class ShellActionOutput
{
    /// <summary><paramref name="value"/> with the advice text it carries spelled by <paramref name="renderer"/>.</summary>
    public static object Render(object value, ShellActionRenderer renderer)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        return value switch
        {
            Sync.SyncStatus { LastError: { } error } status => status with
            {
                LastError = error with
                {
                    Message = renderer.RenderText(error.Message)!,
                    RecommendedAction = renderer.RenderText(error.RecommendedAction),
                },
            },
            Schema.FieldPlanEntry { Note: { } note } entry => entry with { Note = renderer.RenderText(note) },
            Sync.SyncRunResult result => result with
            {
                Warnings = [.. result.Warnings.Select(w => renderer.RenderText(w)!)],
                Error = result.Error is null ? null : renderer.RenderError(result.Error),
            },
            Reports.CrmSyncErrorInfo info => info with { Message = renderer.RenderText(info.Message)! },
            _ => value,
        };
    }
}
