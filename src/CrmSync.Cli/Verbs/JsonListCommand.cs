using CrmSync.Engine;
using CrmSync.Cli.Output;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Shell;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// Runs a report handler (error, conflict, duplicate) so that its <c>--json</c> output is always ONE JSON array, also when it
/// lists one item or none (<c>[]</c>): scripts can parse it the same way every time. Every other host call passes through.
/// </summary>
public sealed class JsonListCommand(ICommandHandler inner) : ICommandHandler
{
    public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var collecting = new CollectingHost(host);
        await inner.ExecuteAsync(collecting, cancellationToken).ConfigureAwait(false);
        host.WriteObject(collecting.Items);
    }

    private sealed class CollectingHost(ICommandHost host) : ICommandHost
    {
        private readonly object _gate = new();
        private readonly List<object> _items = [];

        public List<object> Items
        {
            get
            {
                lock (_gate)
                    return _items.ToList();
            }
        }

        public bool ShouldProcess(string target, string action) => host.ShouldProcess(target, action);
        public bool ShouldProcess(ShouldProcessRequest request) => host.ShouldProcess(request);
        public void WriteProgress(ProgressInfo progress) => host.WriteProgress(progress);
        public void WriteVerbose(string message) => host.WriteVerbose(message);
        public void WriteWarning(string message) => host.WriteWarning(message);
        public void WriteDebug(string message) => host.WriteDebug(message);
        public void WriteError(CrmSyncException error) => host.WriteError(error);

        public void WriteObject(object value)
        {
            // The list is written as one object: its items' advice text is spelled here, as the console host spells single objects.
            var rendered = ShellActionOutput.Render(value, CliActionRenderer.Instance);
            lock (_gate)
                _items.Add(rendered);
        }
    }
}
