using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary>Runs a handler whose every ShouldProcess is put to the person at the terminal as a y/N question (default no).</summary>
public sealed class ConfirmingHandler : ICommandHandler
{
    private readonly ICommandHandler inner;
    private readonly CliConsole console;

    public ConfirmingHandler(ICommandHandler inner, CliConsole console)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.console = console ?? throw new ArgumentNullException(nameof(console));
    }

    /// <summary>How many questions were declined.</summary>
    public int Declined { get; private set; }

    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken) =>
        inner.ExecuteAsync(new AskingHost(host, this), cancellationToken);

    private bool Ask(string question)
    {
        console.Error.Write($"{question} [y/N] ");
        console.Error.Flush();
        string? answer = console.Input.ReadLine();
        bool yes = answer is not null && (answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase) ||
                                          answer.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase));
        if (!yes)
        {
            Declined++;
            console.Error.WriteLine("Not confirmed; nothing was changed.");
        }
        return yes;
    }

    /// <summary>
    /// Passes every call on; ShouldProcess first goes through the outer host (which, through the pump, also drains every
    /// earlier message to the terminal), then asks.
    /// </summary>
    private sealed class AskingHost(ICommandHost host, ConfirmingHandler owner) : ICommandHost
    {
        public bool ShouldProcess(string target, string action) =>
            host.ShouldProcess(target, action) && owner.Ask($"{action} on {target}?");

        public bool ShouldProcess(ShouldProcessRequest request) =>
            host.ShouldProcess(request) && owner.Ask(ConsoleCommandHost.Render(request.Description + Environment.NewLine + request.Warning));

        public void WriteProgress(ProgressInfo progress) => host.WriteProgress(progress);
        public void WriteVerbose(string message) => host.WriteVerbose(message);
        public void WriteWarning(string message) => host.WriteWarning(message);
        public void WriteDebug(string message) => host.WriteDebug(message);
        public void WriteObject(object value) => host.WriteObject(value);
        public void WriteError(Engine.CrmSyncException error) => host.WriteError(error);
    }
}
