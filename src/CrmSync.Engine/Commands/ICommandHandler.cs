namespace CrmSync.Engine.Commands;

/// <summary>
/// One command's logic (Get-CrmSyncStatus, <c>crmsync status</c>, ...), shared by the cmdlet, the CLI and tests.
/// A handler reports only through <see cref="ICommandHost"/>, throws <see cref="CrmSyncException"/> when the
/// whole run is invalid, and honours <paramref name="cancellationToken"/> (Ctrl+C, StopProcessing).
/// </summary>
public interface ICommandHandler
{
    Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken);
}
