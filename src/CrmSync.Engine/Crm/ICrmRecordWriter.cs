namespace CrmSync.Engine.Crm;

/// <summary>One record to write: <see cref="Id"/> for updates, the external key among <see cref="Values"/> for upserts.
/// Values use the same neutral types as <see cref="CrmRecord.Values"/>.</summary>
public sealed record CrmRecordChange(string? Id, IReadOnlyDictionary<string, object?> Values);

/// <summary>One error the CRM reported for a record.</summary>
/// <param name="Code">The CRM's error code (Salesforce statusCode/errorCode, Dynamics hex code).</param>
/// <param name="IsTransient">True when retrying later may succeed (a locked row, a rolled-back batch).</param>
public sealed record CrmWriteError(string Code, string Message, IReadOnlyList<string> Fields, bool IsTransient)
{
    /// <summary>
    /// How long the CRM asked to wait before this record is sent again (a throttled part of a Dynamics $batch: its 429
    /// Retry-After), or null when it did not say. Retry the record no sooner than this.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>The outcome for the record at <see cref="Index"/> of the request.</summary>
/// <param name="Created">For upserts: true when a record was created, false when updated; null when unknown or not an upsert.</param>
public sealed record CrmWriteResult(int Index, string? Id, bool Success, bool? Created, IReadOnlyList<CrmWriteError> Errors)
{
    /// <summary>True when the record failed and every error is transient: retry it with backoff.</summary>
    public bool IsTransientFailure => !Success && Errors.Count > 0 && Errors.All(e => e.IsTransient);

    /// <summary>The longest <see cref="CrmWriteError.RetryAfter"/> of the record's errors, or null when none asked for a wait.</summary>
    public TimeSpan? RetryAfter => Errors.Select(e => e.RetryAfter).Where(t => t is not null).DefaultIfEmpty(null).Max();
}

/// <summary>
/// Writes many records at a time (Salesforce sObject Collections of 200; Dynamics $batch). Per-record failures come back as
/// results, in request order, and never throw; only failures of the whole run (credentials, API limit, unreachable) throw
/// <see cref="CrmSyncException"/>. Creates without an external key are never retried automatically; upserts, updates and
/// deletes are.
/// </summary>
public interface ICrmRecordWriter
{
    /// <summary>Records per request the CRM accepts; larger inputs are split.</summary>
    int MaxBatchSize { get; }

    Task<IReadOnlyList<CrmWriteResult>> CreateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken);

    /// <summary>Each record needs <see cref="CrmRecordChange.Id"/>; send only the changed fields.</summary>
    Task<IReadOnlyList<CrmWriteResult>> UpdateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken);

    /// <summary>Creates or updates by <paramref name="externalIdField"/>, whose value each record carries: idempotent across crashes.</summary>
    Task<IReadOnlyList<CrmWriteResult>> UpsertAsync(string objectName, string externalIdField, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken);

    Task<IReadOnlyList<CrmWriteResult>> DeleteAsync(string objectName, IReadOnlyList<string> ids, CancellationToken cancellationToken);
}
