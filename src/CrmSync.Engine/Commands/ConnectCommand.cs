using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Commands;

/// <summary>
/// Connect-CrmSync and <c>crmsync connect</c>: logs in for real with <see cref="Request"/> and, only when the login works,
/// creates or updates the profile and keeps the credentials (see <see cref="ProfileConnector.ConnectAsync"/>). Writes one
/// <see cref="CrmConnectionInfo"/> (no secret in it) and Verbose lines (login host, user, instance, API version; never a
/// secret). No ShouldProcess: connecting destroys nothing (a profile of another org is refused, not overwritten).
/// Errors (thrown): InvalidArgument, InvalidProfileName, DatabasePathInvalid, InsecureTransport, InvalidCredentials,
/// CrmUnreachable, NotACrmEndpoint, ProfileOrganizationMismatch, and the store's and secret store's errors.
/// </summary>
public sealed class ConnectCommand : ICommandHandler
{
    private readonly ProfileConnector _connector;
    private readonly CrmClientOptions _clientOptions;

    /// <param name="connector">Where profiles and credentials are kept.</param>
    /// <param name="request">What to connect. The caller still owns (and disposes) its secrets.</param>
    /// <param name="clientOptions">How the CRM client behaves; null: the defaults. Its events are also written to the host.</param>
    public ConnectCommand(ProfileConnector connector, ConnectionRequest request, CrmClientOptions? clientOptions = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        Request = request ?? throw new ArgumentNullException(nameof(request));
        _clientOptions = clientOptions ?? new CrmClientOptions();
    }

    /// <summary>The request.</summary>
    public ConnectionRequest Request { get; }

    /// <summary>The connection made by the last successful run (null before).</summary>
    public CrmConnectionInfo? Result { get; private set; }

    /// <inheritdoc />
    public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        var options = ProfileConnector.Override(_clientOptions, new HostClientEvents(host, _clientOptions.Events), _clientOptions.ApiUsage);
        var info = await _connector.ConnectAsync(Request, options, host.WriteVerbose, cancellationToken).ConfigureAwait(false);
        Result = info;
        host.WriteObject(info);
    }
}

/// <summary>Writes CRM client events to a command host (Verbose, Debug, Warning) and passes them on.</summary>
internal sealed class HostClientEvents(ICommandHost host, IProgress<CrmClientEvent>? next) : IProgress<CrmClientEvent>
{
    public void Report(CrmClientEvent value)
    {
        switch (value.Level)
        {
            case CrmEventLevel.Warning:
                host.WriteWarning(value.Message);
                break;
            case CrmEventLevel.Verbose:
                host.WriteVerbose(value.Message);
                break;
            default:
                host.WriteDebug(value.Message);
                break;
        }
        next?.Report(value);
    }
}
