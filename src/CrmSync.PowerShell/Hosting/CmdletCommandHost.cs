using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Shell;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// <see cref="ICommandHost"/> over a running cmdlet: each call maps onto the cmdlet's own ShouldProcess / Write*
/// method. Must be called on the pipeline thread only (<see cref="CommandHostPump"/> guarantees that).
/// Progress is rate-limited by a <see cref="ProgressThrottle"/>; <see cref="CompleteProgress"/> closes every bar.
/// </summary>
internal sealed class CmdletCommandHost : ICommandHost
{
    private readonly Cmdlet cmdlet;
    private readonly ProgressThrottle throttle;

    public CmdletCommandHost(Cmdlet cmdlet, ProgressThrottle throttle)
    {
        this.cmdlet = cmdlet;
        this.throttle = throttle;
    }

    private static PowerShellActionRenderer Renderer => PowerShellActionRenderer.Instance;

    public bool ShouldProcess(string target, string action) => cmdlet.ShouldProcess(target, Renderer.RenderText(action));

    public bool ShouldProcess(ShouldProcessRequest request) =>
        cmdlet.ShouldProcess(Renderer.RenderText(request.Description), Renderer.RenderText(request.Warning), Renderer.RenderText(request.Caption));

    public void WriteProgress(ProgressInfo progress)
    {
        if (throttle.ShouldWrite(progress))
            cmdlet.WriteProgress(ToRecord(progress));
    }

    /// <summary>Writes a Completed record for every progress bar the command left open.</summary>
    public void CompleteProgress()
    {
        foreach (ProgressInfo closing in throttle.CompleteOpenActivities())
            cmdlet.WriteProgress(ToRecord(closing));
    }

    public void WriteVerbose(string message) => cmdlet.WriteVerbose(Renderer.RenderText(message));
    public void WriteWarning(string message) => cmdlet.WriteWarning(Renderer.RenderText(message));
    public void WriteDebug(string message) => cmdlet.WriteDebug(Renderer.RenderText(message));
    public void WriteObject(object value) => cmdlet.WriteObject(ShellActionOutput.Render(value, Renderer), enumerateCollection: false);
    public void WriteError(CrmSyncException error) => cmdlet.WriteError(ErrorRecordFactory.Create(error));

    private static ProgressRecord ToRecord(ProgressInfo progress)
    {
        // ProgressRecord refuses empty activity or status text.
        string activity = string.IsNullOrWhiteSpace(progress.Activity) ? "CrmSync" : progress.Activity;
        string status = string.IsNullOrWhiteSpace(progress.Status) ? (progress.Completed ? "Completed" : "Working") : progress.Status;
        return new ProgressRecord(progress.ActivityId, activity, status)
        {
            PercentComplete = Math.Clamp(progress.PercentComplete, -1, 100),
            SecondsRemaining = progress.SecondsRemaining,
            CurrentOperation = progress.CurrentOperation,
            RecordType = progress.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
    }
}
