using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Cli.Verbs;

/// <summary>Opens the signed-in CRM client of a saved profile for <c>sync-field</c> and disposes it when the command is done.</summary>
internal sealed class SchemaReaderLease(ProfileConnector connector, string? databasePath) : IDisposable
{
    private ICrmClient? client;

    /// <summary>Logs in with the profile's saved connection and returns its schema reader.</summary>
    public async Task<ICrmSchemaReader> OpenAsync(ProfileInfo profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        client?.Dispose();
        client = await connector.OpenClientAsync(profile.Name, databasePath, new CrmClientOptions(), cancellationToken).ConfigureAwait(false);
        return client.Schema;
    }

    public void Dispose()
    {
        client?.Dispose();
        client = null;
    }
}
