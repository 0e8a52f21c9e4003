using CrmSync.Engine.Commands;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// Runs a handler through <see cref="CommandHostPump"/> and returns (or throws) only once the handler itself has ended.
/// </summary>
/// <remarks>
/// When a host call fails on the pipeline thread (WriteError under -ErrorAction Stop throws ActionPreferenceStopException,
/// any Write* after Ctrl+C throws PipelineStoppedException), the pump cancels the handler and rethrows at once, while the
/// handler may still be unwinding on its worker thread with the profile's database open and its run lock held. A cmdlet
/// must not return before that: the next command (often the very next line of a script) would find the database busy or
/// the lock held. The handler sees a cancelled token and every further host call fails, so it ends promptly.
/// </remarks>
internal static class SettledCommandRun
{
    /// <summary>
    /// Runs <paramref name="work"/> (a handler's <see cref="ICommandHandler.ExecuteAsync"/>) with <paramref name="host"/>;
    /// see the remarks of <see cref="SettledCommandRun"/>.
    /// </summary>
    public static void Run(ICommandHost host, Func<ICommandHost, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(work);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool started = false;
        try
        {
            CommandHostPump.Run(host, async (queued, token) =>
            {
                Volatile.Write(ref started, true);
                try
                {
                    await work(queued, token).ConfigureAwait(false);
                }
                finally
                {
                    ended.TrySetResult();
                }
            }, cancellationToken);
        }
        catch when (Volatile.Read(ref started))
        {
            // The pump has already cancelled the handler's token; wait for it to unwind, then report the original failure.
            ended.Task.Wait(CancellationToken.None);
            throw;
        }
    }
}
