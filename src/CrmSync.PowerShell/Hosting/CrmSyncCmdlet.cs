using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// The root of every CrmSync cmdlet. A cmdlet overrides <see cref="ExecuteCmdlet"/> only (once per pipeline record);
/// everything else is handled here, once:
/// <list type="bullet">
/// <item><see cref="CrmSyncException"/> from a handler becomes a terminating ErrorRecord (the run is invalid);
/// an exception the engine did not classify becomes one with ErrorId UnexpectedError.</item>
/// <item>Ctrl+C (<see cref="StopProcessing"/>) cancels <see cref="StopToken"/>, which is handed to every handler.</item>
/// <item><see cref="RunHandler"/> runs a handler off the pipeline thread and drains its host calls back onto it.</item>
/// </list>
/// </summary>
public abstract class CrmSyncCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly ProgressThrottle progressThrottle = new();
    private bool disposed;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken StopToken => stopping.Token;

    /// <summary>The cmdlet's work for one pipeline record. The single override point.</summary>
    protected abstract void ExecuteCmdlet();

    /// <inheritdoc />
    protected sealed override void BeginProcessing() => base.BeginProcessing();

    /// <inheritdoc />
    protected sealed override void ProcessRecord()
    {
        try
        {
            ExecuteCmdlet();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (CrmSyncException error)
        {
            ThrowTerminatingError(ErrorRecordFactory.Create(error));
        }
        catch (Exception unexpected) when (unexpected is not RuntimeException and not OperationCanceledException)
        {
            // PowerShell's own exceptions (PipelineStoppedException, ActionPreferenceStopException, ...) pass through.
            ThrowTerminatingError(ErrorRecordFactory.Create(ErrorRecordFactory.Unexpected(unexpected)));
        }
    }

    /// <inheritdoc />
    protected sealed override void EndProcessing() => base.EndProcessing();

    /// <inheritdoc />
    protected sealed override void StopProcessing()
    {
        if (!disposed)
            stopping.Cancel();
    }

    /// <summary>
    /// Runs <paramref name="handler"/> with this cmdlet as its host. Write* and ShouldProcess happen on the pipeline
    /// thread whatever thread the handler calls from; progress bars the handler leaves open are completed.
    /// </summary>
    protected void RunHandler(ICommandHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var host = new CmdletCommandHost(this, progressThrottle);
        bool finished = false;
        try
        {
            CommandHostPump.Run(host, handler, StopToken);
            finished = true;
        }
        finally
        {
            // After a stop, PowerShell refuses every further Write*; otherwise close the bars, also after a failure.
            if (!stopping.IsCancellationRequested)
            {
                try
                {
                    host.CompleteProgress();
                }
                catch (PipelineStoppedException) when (!finished)
                {
                    // the original failure is the one to report
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
