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
        return CrmProviders.For(settings.Kind).CreateClient(settings, options ?? new CrmClientOptions());
    }
}
