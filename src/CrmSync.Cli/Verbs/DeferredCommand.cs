using CrmSync.Engine.Commands;

namespace CrmSync.Cli.Verbs;

/// <summary>Builds the handler inside the run, so that errors while locating the data folder are reported like any other.</summary>
public sealed class DeferredCommand(Func<ICommandHandler> create) : ICommandHandler
{
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken) => create().ExecuteAsync(host, cancellationToken);
}
