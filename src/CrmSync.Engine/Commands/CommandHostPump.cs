using System.Collections.Concurrent;

namespace CrmSync.Engine.Commands;

/// <summary>
/// Runs a handler on a worker thread while the calling thread (a PowerShell pipeline thread, or the CLI's main
/// thread) drains every host call the handler makes, in order. PowerShell allows Write* and ShouldProcess only on
/// the pipeline thread; engine callbacks (progress from a background page fetch, a Polly retry notice) may come
/// from any thread, so they are queued here and replayed on the thread that called <see cref="Run"/>.
/// </summary>
/// <remarks>
/// ShouldProcess from the worker blocks the worker until the calling thread has asked the user.
/// If a host call throws on the calling thread (for example PowerShell's PipelineStoppedException), the handler's
/// token is cancelled, later host calls from the worker fail with <see cref="OperationCanceledException"/>, and the
/// exception propagates to the caller of <see cref="Run"/>.
/// </remarks>
public static class CommandHostPump
{
    /// <summary>Runs <paramref name="handler"/> and returns when it has finished and all its host calls were made.</summary>
    public static void Run(ICommandHost host, ICommandHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Run(host, handler.ExecuteAsync, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool; host calls are made on the calling thread.</summary>
    public static void Run(ICommandHost host, Func<ICommandHost, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(work);

        var calls = new BlockingCollection<Action>();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queued = new QueuedCommandHost(host, calls, linked.Token, Environment.CurrentManagedThreadId);

        Task running = Task.Run(() => work(queued, linked.Token), CancellationToken.None);
        // After the work's last call was queued, the drain loop below ends once the queue is empty.
        running.ContinueWith(_ => calls.CompleteAdding(), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        try
        {
            foreach (Action call in calls.GetConsumingEnumerable())
                call();
        }
        catch
        {
            // The calling side gave up (pipeline stopped, a write failed): stop the work and refuse its further calls.
            linked.Cancel();
            queued.Close();
            throw;
        }

        // Rethrows the handler's own exception (CrmSyncException, OperationCanceledException) unwrapped.
        running.GetAwaiter().GetResult();
    }

    /// <summary>The host the worker sees: every call is queued for the calling thread.</summary>
    private sealed class QueuedCommandHost : ICommandHost
    {
        private readonly ICommandHost target;
        private readonly BlockingCollection<Action> calls;
        private readonly CancellationToken cancellationToken;
        private readonly int callingThreadId;
        private volatile bool closed;

        public QueuedCommandHost(ICommandHost target, BlockingCollection<Action> calls, CancellationToken cancellationToken, int callingThreadId)
        {
            this.target = target;
            this.calls = calls;
            this.cancellationToken = cancellationToken;
            this.callingThreadId = callingThreadId;
        }

        public void Close()
        {
            closed = true;
            calls.CompleteAdding();
        }

        public bool ShouldProcess(string target, string action) => Ask(host => host.ShouldProcess(target, action));

        public bool ShouldProcess(ShouldProcessRequest request) => Ask(host => host.ShouldProcess(request));

        private bool Ask(Func<ICommandHost, bool> question)
        {
            // Only reachable from a host call that is itself being drained: answering inline avoids a deadlock.
            if (Environment.CurrentManagedThreadId == callingThreadId && !closed && !calls.IsAddingCompleted)
                return question(target);

            var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Post(() =>
            {
                try
                {
                    answer.SetResult(question(target));
                }
                catch (Exception e)
                {
                    answer.SetException(e);
                    throw;
                }
            });
            try
            {
                return answer.Task.WaitAsync(cancellationToken).GetAwaiter().GetResult();
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The command was stopped while waiting for confirmation.", cancellationToken);
            }
        }

        public void WriteProgress(ProgressInfo progress) => Post(() => target.WriteProgress(progress));
        public void WriteVerbose(string message) => Post(() => target.WriteVerbose(message));
        public void WriteWarning(string message) => Post(() => target.WriteWarning(message));
        public void WriteDebug(string message) => Post(() => target.WriteDebug(message));
        public void WriteObject(object value) => Post(() => target.WriteObject(value));
        public void WriteError(CrmSyncException error) => Post(() => target.WriteError(error));

        private void Post(Action call)
        {
            try
            {
                calls.Add(call);
                return;
            }
            catch (InvalidOperationException) when (calls.IsAddingCompleted)
            {
                // fall through: the queue is closed
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException(
                "A host call was made after the command had finished; handlers must await all their work before returning.");
        }
    }
}
