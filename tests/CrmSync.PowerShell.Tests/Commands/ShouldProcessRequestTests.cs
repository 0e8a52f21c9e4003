using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.PowerShell.Tests.Commands;

/// <summary>
/// The long ShouldProcess form (PowerShell's ShouldProcess(verboseDescription, verboseWarning, caption)) reaches the host
/// through the pump intact and on the calling thread; hosts that do not implement it get the short form.
/// </summary>
public sealed class ShouldProcessRequestTests
{
    private static readonly ShouldProcessRequest Request =
        new("profile 'p'", "Create 2 fields", "Performing...\n  Lead.A\n  Lead.B", "Apply?", "Sync-CrmField");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_pump_hands_the_full_request_to_the_host_on_the_calling_thread(bool answer)
    {
        var host = new LongFormHost { Answer = answer };
        bool? seen = null;

        CommandHostPump.Run(host, (h, _) =>
        {
            seen = h.ShouldProcess(Request);
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal(answer, seen);
        Assert.Equal([Request], host.Requests);
        Assert.Empty(host.ShortForm);
        Assert.Equal([Environment.CurrentManagedThreadId], host.Threads);
    }

    [Fact]
    public void A_host_without_the_long_form_is_asked_the_short_form()
    {
        ICommandHost host = new ShortFormHost();
        Assert.False(host.ShouldProcess(Request));
        Assert.Equal([("profile 'p'", "Create 2 fields")], ((ShortFormHost)host).Asked);
    }

    private sealed class LongFormHost : ICommandHost
    {
        public bool Answer { get; init; }
        public List<ShouldProcessRequest> Requests { get; } = [];
        public List<(string, string)> ShortForm { get; } = [];
        public List<int> Threads { get; } = [];

        public bool ShouldProcess(string target, string action)
        {
            ShortForm.Add((target, action));
            return Answer;
        }

        public bool ShouldProcess(ShouldProcessRequest request)
        {
            Requests.Add(request);
            Threads.Add(Environment.CurrentManagedThreadId);
            return Answer;
        }

        public void WriteProgress(ProgressInfo progress) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteObject(object value) { }
        public void WriteError(CrmSyncException error) { }
    }

    private sealed class ShortFormHost : ICommandHost
    {
        public List<(string, string)> Asked { get; } = [];

        public bool ShouldProcess(string target, string action)
        {
            Asked.Add((target, action));
            return false;
        }

        public void WriteProgress(ProgressInfo progress) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteObject(object value) { }
        public void WriteError(CrmSyncException error) { }
    }
}
