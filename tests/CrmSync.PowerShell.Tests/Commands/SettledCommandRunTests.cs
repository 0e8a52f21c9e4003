using CrmSync.Engine;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Tests.Commands;

/// <summary>
/// A cmdlet returns only after its handler has ended: under -ErrorAction Stop PowerShell's WriteError throws on the
/// pipeline thread, and the handler (holding the database and the run lock) must have unwound before the next command runs.
/// </summary>
public sealed class SettledCommandRunTests
{
    private static CrmSyncException RecordError() =>
        new(ErrorIds.UnexpectedError, ErrorKind.WriteError, "one record failed", "retry", target: "00Q1");

    [Fact]
    public void When_WriteError_throws_the_failure_propagates_only_after_the_handler_has_unwound()
    {
        // stands in for ActionPreferenceStopException, which WriteError throws under -ErrorAction Stop
        var host = new FakeCommandHost { OnCall = call => { if (call.StartsWith("Error", StringComparison.Ordinal)) throw new InvalidOperationException("stop"); } };
        bool unwound = false;

        var thrown = Assert.Throws<InvalidOperationException>(() => SettledCommandRun.Run(host, async (h, ct) =>
        {
            try
            {
                h.WriteError(RecordError());
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                // releasing the database and the run lock takes a few continuations
                for (int i = 0; i < 50; i++)
                    await Task.Yield();
                Volatile.Write(ref unwound, true);
            }
        }, CancellationToken.None));

        Assert.Equal("stop", thrown.Message);
        Assert.True(Volatile.Read(ref unwound), "the cmdlet returned while its handler was still running");
    }

    [Fact]
    public void A_handler_that_succeeds_returns_normally_with_its_calls_made()
    {
        var host = new FakeCommandHost();
        SettledCommandRun.Run(host, (h, _) =>
        {
            h.WriteObject("result");
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Equal(["result"], host.Output);
    }

    [Fact]
    public void The_handlers_own_exception_reaches_the_caller_unwrapped()
    {
        var host = new FakeCommandHost();
        var thrown = Assert.Throws<CrmSyncException>(() => SettledCommandRun.Run(host, (_, _) => throw RecordError(), CancellationToken.None));
        Assert.Equal(ErrorIds.UnexpectedError, thrown.ErrorId);
    }

    [Fact]
    public void A_stop_cancels_the_handler_and_surfaces_as_a_cancellation()
    {
        using var stop = new CancellationTokenSource();
        var host = new FakeCommandHost { OnCall = _ => stop.Cancel() };
        Assert.ThrowsAny<OperationCanceledException>(() => SettledCommandRun.Run(host, async (h, ct) =>
        {
            h.WriteVerbose("working");
            await Task.Delay(Timeout.Infinite, ct);
        }, stop.Token));
    }
}
