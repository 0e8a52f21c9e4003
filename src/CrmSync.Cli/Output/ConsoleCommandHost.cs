using System.Globalization;
using System.Text.Json;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Shell;

namespace CrmSync.Cli.Output;

/// <summary>
/// <see cref="ICommandHost"/> for <c>crmsync</c>: results go to standard output (text or JSON, written by
/// <see cref="Flush"/> once the command is done), everything else to standard error: errors with their ErrorId and
/// recommended action, warnings always, verbose/debug text and progress only with <c>--verbose</c>.
/// The CLI never prompts: ShouldProcess is true unless the host was created with whatIf (a verb's <c>--what-if</c>), which only describes the action.
/// Called on one thread only (<see cref="CommandHostPump"/>).
/// </summary>
public sealed class ConsoleCommandHost : ICommandHost
{
    private readonly CliConsole console;
    private readonly OutputFormat format;
    private readonly bool verbose;
    private readonly bool whatIf;
    private readonly ProgressThrottle progressThrottle;
    private readonly List<object> results = [];

    public ConsoleCommandHost(CliConsole console, OutputFormat format, bool verbose, bool whatIf = false, ProgressThrottle? progressThrottle = null)
    {
        this.console = console ?? throw new ArgumentNullException(nameof(console));
        this.format = format;
        this.verbose = verbose;
        this.whatIf = whatIf;
        this.progressThrottle = progressThrottle ?? new ProgressThrottle();
    }

    /// <summary>How many errors were reported (non-terminating ones and the terminating one, if any).</summary>
    public int ErrorCount { get; private set; }

    /// <summary>The ErrorKinds of the reported errors, in order.</summary>
    public List<ErrorKind> ErrorKinds { get; } = [];

    public bool ShouldProcess(string target, string action)
    {
        if (!whatIf)
            return true;
        console.Error.WriteLine($"What if: Performing the operation \"{Render(action)}\" on target \"{target}\".");
        return false;
    }

    public bool ShouldProcess(ShouldProcessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!whatIf)
            return true;
        console.Error.WriteLine("What if: " + Render(request.Description));
        return false;
    }

    public void WriteProgress(ProgressInfo progress)
    {
        if (!verbose || !progressThrottle.ShouldWrite(progress))
            return;
        string percent = progress.PercentComplete >= 0 ? string.Create(CultureInfo.InvariantCulture, $" {progress.PercentComplete}%") : "";
        string state = progress.Completed ? "completed" : progress.Status;
        console.Error.WriteLine($"PROGRESS: {progress.Activity}: {state}{percent}");
    }

    public void WriteVerbose(string message)
    {
        if (verbose)
            console.Error.WriteLine("VERBOSE: " + Render(message));
    }

    public void WriteWarning(string message) => console.Error.WriteLine("WARNING: " + Render(message));

    public void WriteDebug(string message)
    {
        if (verbose)
            console.Error.WriteLine("DEBUG: " + Render(message));
    }

    public void WriteObject(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        results.Add(ShellActionOutput.Render(value, CliActionRenderer.Instance));
    }

    public void WriteError(CrmSyncException error) => ReportError(error);

    /// <summary>Writes <paramref name="error"/> to standard error: ErrorId, message, target, recommended action.</summary>
    public void ReportError(CrmSyncException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        ErrorCount++;
        ErrorKinds.Add(error.Kind);
        string message = Render(error.Message);
        string? recommendedAction = CliActionRenderer.Instance.RenderText(error.RecommendedAction);
        if (format == OutputFormat.Json)
        {
            var document = new
            {
                errorId = error.ErrorId,
                category = error.Kind.ToString(),
                message,
                target = error.Target?.ToString(),
                recommendedAction,
            };
            console.Error.WriteLine(JsonSerializer.Serialize(document, JsonOutput.Options));
            return;
        }
        console.Error.WriteLine($"crmsync: error {error.ErrorId}: {message}");
        if (error.Target is not null)
            console.Error.WriteLine($"  target: {error.Target}");
        if (!string.IsNullOrWhiteSpace(recommendedAction))
            console.Error.WriteLine($"  recommended action: {recommendedAction}");
    }

    /// <summary><paramref name="text"/> with the engine's action tokens spelled as crmsync command lines.</summary>
    public static string Render(string text) => CliActionRenderer.Instance.RenderText(text) ?? "";

    /// <summary>Writes the collected results to standard output and closes open progress lines.</summary>
    public void Flush()
    {
        foreach (ProgressInfo closing in progressThrottle.CompleteOpenActivities())
            WriteProgress(closing);

        if (results.Count == 0)
            return;
        if (format == OutputFormat.Json)
        {
            console.Output.WriteLine(JsonOutput.Serialize(results));
        }
        else
        {
            for (int i = 0; i < results.Count; i++)
            {
                if (i > 0)
                    console.Output.WriteLine();
                TextOutput.Write(console.Output, results[i]);
            }
        }
        console.Output.Flush();
        results.Clear();
    }
}
