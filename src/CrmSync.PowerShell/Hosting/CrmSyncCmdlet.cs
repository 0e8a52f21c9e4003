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

    /// <summary>
    /// Where every cmdlet gets its handler (<see cref="CommandHandlers"/>, shared with the crmsync verbs), over this
    /// process's environment (CRMSYNC_HOME, secrets of a Scope Process connection).
    /// </summary>
    protected static CommandHandlers Handlers { get; } = new(Environment.GetEnvironmentVariable, PowerShellActionRenderer.Instance);

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
        catch (Exception stopped) when (stopping.IsCancellationRequested && stopped is OperationCanceledException or CrmSyncException)
        {
            // Ctrl+C: however the handler reported its cancellation, the pipeline is stopped, which is not an error record.
            throw new PipelineStoppedException();
        }
        catch (CrmSyncException error)
        {
            ThrowTerminatingError(ErrorRecordFactory.Create(error));
        }
        catch (Exception unexpected) when (unexpected is not RuntimeException)
        {
            // PowerShell's own exceptions (PipelineStoppedException, ActionPreferenceStopException, ...) pass through;
            // anything else, including a cancellation nobody asked for (an HTTP timeout), gets the UnexpectedError id.
            ThrowTerminatingError(ErrorRecordFactory.Create(ErrorRecordFactory.Unexpected(unexpected)));
        }
    }

    /// <inheritdoc />
    protected sealed override void EndProcessing() => base.EndProcessing();

    /// <inheritdoc />
    protected sealed override void StopProcessing()
    {
        // Called on another thread than the pipeline's, possibly while PowerShell is disposing the cmdlet.
        try
        {
            if (!disposed)
                stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the command has already ended: nothing left to stop
        }
    }

    /// <summary>
    /// Runs <paramref name="handler"/> with this cmdlet as its host. Write* and ShouldProcess happen on the pipeline
    /// thread whatever thread the handler calls from; progress bars the handler leaves open are completed. Returns or
    /// throws only after the handler has ended, also when a Write* failed (-ErrorAction Stop, the pipeline stopped).
    /// </summary>
    protected void RunHandler(ICommandHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var host = new CmdletCommandHost(this, progressThrottle);
        bool finished = false;
        try
        {
            SettledCommandRun.Run(host, handler.ExecuteAsync, StopToken);
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
                catch (Exception) when (!finished)
                {
                    // the original failure is the one to report, not a failure to close a progress bar
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="path"/> (absolute, relative to the current PowerShell location, ~, or a provider-qualified path) as a
    /// full file-system path. A path on another provider (a location in Env:, Cert:, a registry drive) is refused with
    /// InvalidArgument instead of being handed to SQLite or File as if it were a file.
    /// </summary>
    protected string ResolveFileSystemPath(string path, string parameterName)
    {
        string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
        if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"-{parameterName} '{path}' is not a file-system path (it is on the {provider.Name} provider).",
                "Give an absolute path, or Set-Location to a file-system folder first.", path);
        return resolved;
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
