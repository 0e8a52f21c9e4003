using CrmSync.Cli.Output;
using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary>Runs a command handler for a verb and turns its outcome into an exit code.</summary>
public static class CommandRunner
{
    /// <summary>
    /// Runs <paramref name="handler"/> with <paramref name="host"/>: exit 0 when it succeeded without errors,
    /// 3 when it failed because something was not found, 2 when an argument value was invalid, 1 otherwise.
    /// </summary>
    public static int Run(ICommandHandler handler, ConsoleCommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            CommandHostPump.Run(host, handler, cancellationToken);
            host.Flush();
            return host.ErrorCount == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }
        catch (CrmSyncException error)
        {
            host.Flush();
            host.ReportError(error);
            return ExitCodeFor(error.Kind);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            host.Flush();
            host.ReportError(new CrmSyncException(ErrorIds.SyncCancelled, ErrorKind.OperationStopped,
                "The command was cancelled (Ctrl+C).", "Run the command again; work already committed is kept."));
            return ExitCodes.Failure;
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            host.Flush();
            host.ReportError(new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
                $"crmsync failed unexpectedly: {unexpected.Message}",
                "Run the command again with --verbose; if it fails again, report it with this output.", inner: unexpected));
            return ExitCodes.Failure;
        }
    }

    /// <summary>The exit code for a command that failed with an error of <paramref name="kind"/>.</summary>
    public static int ExitCodeFor(ErrorKind kind) => kind switch
    {
        ErrorKind.ObjectNotFound => ExitCodes.NotFound,
        ErrorKind.InvalidArgument => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };
}
