using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Opens the signed-in CRM client of a saved profile for Sync-CrmField and crmsync sync-field (<see cref="ProfileConnector.OpenClientAsync(string, string?, CrmClientOptions, CancellationToken)"/>)
/// and disposes it when the command is done.
/// </summary>
public sealed class SchemaReaderLease : IDisposable
{
    private readonly ProfileConnector connector;
    private readonly string? databasePath;
    private ICrmClient? client;

    /// <summary>A lease over <paramref name="connector"/>; <paramref name="databasePath"/> is the profile's explicit database file, if any.</summary>
    public SchemaReaderLease(ProfileConnector connector, string? databasePath)
    {
        this.connector = connector ?? throw new ArgumentNullException(nameof(connector));
        this.databasePath = databasePath;
    }

    /// <summary>Logs in with the profile's saved connection and returns its schema reader.</summary>
    public async Task<ICrmSchemaReader> OpenAsync(ProfileInfo profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        client?.Dispose();
        client = await connector.OpenClientAsync(profile.Name, databasePath, new CrmClientOptions(), cancellationToken).ConfigureAwait(false);
        return client.Schema;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        client?.Dispose();
        client = null;
    }
}
