namespace CrmSync.Engine.Crm;

/// <summary>
/// Everything the engine needs from one CRM org, over one signed-in session and one resilience pipeline.
/// Build one with <see cref="CrmClientFactory"/>; dispose it to release connections and forget its copies of the secrets.
/// </summary>
public interface ICrmClient : IDisposable
{
    CrmKind Kind { get; }

    ICrmSession Session { get; }

    ICrmSchemaReader Schema { get; }

    ICrmChangeSource Changes { get; }

    ICrmRecordWriter Writer { get; }

    /// <summary>Asks the CRM for its current API allowance (costs a call); null when the CRM has no such allowance.</summary>
    Task<CrmApiUsage?> GetApiUsageAsync(CancellationToken cancellationToken);
}
