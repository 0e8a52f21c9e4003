using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.PowerShell.Tests.Commands;

public sealed class CommandHostPumpTests
{
    [Fact]
    public void Calls_from_worker_threads_are_made_on_the_calling_thread_in_order()
    {
        var host = new FakeCommandHost();
        int callingThread = Environment.CurrentManagedThreadId;
        int workerThread = -1;

        CommandHostPump.Run(host, async (h, ct) =>
        {
            workerThread = Environment.CurrentManagedThreadId;
            h.WriteVerbose("one");
            await Task.Yield();
            // a callback from yet another thread, as a background page fetch would make
            await Task.Run(() => h.WriteProgress(new ProgressInfo(1, "Pulling", "page 1")), ct);
            h.WriteObject("result");
            h.WriteWarning("careful");
        }, CancellationToken.None);

        Assert.NotEqual(callingThread, workerThread);
        Assert.Equal(["Verbose:one", "Progress:page 1", "Object", "Warning:careful"], host.Calls);
        Assert.All(host.CallThreads, t => Assert.Equal(callingThread, t));
    }

    [Fact]
    public void ShouldProcess_is_answered_on_the_calling_thread_and_its_answer_reaches_the_worker()
    {
        var host = new FakeCommandHost { Answer = false };
        bool? answer = null;

        CommandHostPump.Run(host, (h, _) =>
        {
            answer = h.ShouldProcess("profile 'prod'", "Create field Lead.Score__c");
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.False(answer);
        Assert.Equal(["ShouldProcess:profile 'prod':Create field Lead.Score__c"], host.Calls);
        Assert.Equal(Environment.CurrentManagedThreadId, host.CallThreads.Single());
    }

    [Fact]
    public void The_handlers_CrmSyncException_reaches_the_caller_unwrapped_after_earlier_calls_were_made()
    {
        var host = new FakeCommandHost();
        var thrown = Assert.Throws<CrmSyncException>(() => CommandHostPump.Run(host, (h, _) =>
        {
            h.WriteVerbose("before");
            throw new CrmSyncException(ErrorIds.DatabaseLocked, ErrorKind.ResourceBusy, "locked", "Retry later.");
        }, CancellationToken.None));

        Assert.Equal(ErrorIds.DatabaseLocked, thrown.ErrorId);
        Assert.Equal(["Verbose:before"], host.Calls);
    }

    [Fact]
    public void Cancelling_the_token_cancels_the_handler()
    {
        using var stop = new CancellationTokenSource();
        var host = new FakeCommandHost { OnCall = call => { if (call == "Verbose:started") stop.Cancel(); } };

        Assert.ThrowsAny<OperationCanceledException>(() => CommandHostPump.Run(host, async (h, ct) =>
        {
            h.WriteVerbose("started");
            await Task.Delay(Timeout.Infinite, ct);
        }, stop.Token));
    }

    [Fact]
    public async Task When_a_host_call_fails_the_handler_is_cancelled_and_the_failure_propagates()
    {
        var host = new FakeCommandHost { OnCall = call => { if (call == "Object") throw new InvalidOperationException("pipeline stopped"); } };
        var handlerSawCancellation = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        var thrown = Assert.Throws<InvalidOperationException>(() => CommandHostPump.Run(host, async (h, ct) =>
        {
            h.WriteObject("first");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                handlerSawCancellation.SetResult(true);
                throw;
            }
        }, CancellationToken.None));

        Assert.Equal("pipeline stopped", thrown.Message);
        Assert.True(await handlerSawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_worker_blocked_in_ShouldProcess_is_released_when_the_confirmation_fails()
    {
        var host = new FakeCommandHost { OnCall = call => { if (call.StartsWith("ShouldProcess", StringComparison.Ordinal)) throw new InvalidOperationException("no console"); } };
        var workerOutcome = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);

        Assert.Throws<InvalidOperationException>(() => CommandHostPump.Run(host, (h, _) =>
        {
            try
            {
                h.ShouldProcess("t", "a");
                workerOutcome.SetResult(new Exception("ShouldProcess returned"));
            }
            catch (Exception e)
            {
                workerOutcome.SetResult(e);
                throw;
            }
            return Task.CompletedTask;
        }, CancellationToken.None));

        Exception outcome = await workerOutcome.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual("ShouldProcess returned", outcome.Message);
    }

    [Fact]
    public async Task A_host_call_after_the_handler_returned_is_refused()
    {
        var host = new FakeCommandHost();
        ICommandHost? leaked = null;
        CommandHostPump.Run(host, (h, _) => { leaked = h; return Task.CompletedTask; }, CancellationToken.None);

        Exception? thrown = null;
        await Task.Run(() => { try { leaked!.WriteVerbose("late"); } catch (Exception e) { thrown = e; } });

        Assert.IsType<InvalidOperationException>(thrown);
        Assert.Empty(host.Calls);
    }
}
