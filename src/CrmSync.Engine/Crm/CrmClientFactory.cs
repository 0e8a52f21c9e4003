using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Crm.Salesforce;

namespace CrmSync.Engine.Crm;

/// <summary>Builds the client for a connection's CRM.</summary>
public static class CrmClientFactory
{
    /// <summary>
    /// Creates a client; nothing is sent until the first call (call <see cref="ICrmSession.LoginAsync"/> to check the credentials).
    /// Settings are validated here: plain http to a host that is not loopback is refused before any request.
    /// </summary>
    public static ICrmClient Create(CrmConnectionSettings settings, CrmClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Kind switch
        {
            CrmKind.Salesforce => new SalesforceClient(settings, options ?? new CrmClientOptions()),
            CrmKind.Dynamics => new DataverseClient(settings, options ?? new CrmClientOptions()),
            _ => throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"This build of CrmSync cannot connect to {settings.Kind} yet; only Salesforce and Dynamics 365 are available.",
                "Connect to Salesforce, or use a CrmSync version that supports " + settings.Kind + ".", settings.Kind),
        };
    }
}
