namespace CrmSync.Emulator.Salesforce.Soql;

/// <summary>
/// Finds a parent record for a relationship path (Owner.Name → the User whose Id is the Lead's OwnerId).
/// Returns the record's fields keyed by canonical field name, or null when there is no such record.
/// </summary>
public delegate IReadOnlyDictionary<string, object?>? SoqlRecordLookup(string objectName, string id);

/// <summary>What a run of a <see cref="SoqlPlan"/> needs besides the rows.</summary>
/// <param name="Now">The current instant; relative date literals (TODAY, LAST_N_DAYS:n) are whole UTC days around it.</param>
/// <param name="LookupRecord">Resolves relationship paths; without it every relationship path reads null.</param>
public sealed record SoqlExecutionContext(DateTimeOffset Now, SoqlRecordLookup? LookupRecord = null)
{
    /// <summary>A context at the time provider's current instant.</summary>
    public static SoqlExecutionContext At(TimeProvider time, SoqlRecordLookup? lookupRecord = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new SoqlExecutionContext(time.GetUtcNow(), lookupRecord);
    }
}

/// <summary>
/// A bound on a field that every row matching the WHERE satisfies (it is implied by the WHERE, not equal to
/// it: the server may range-scan an index from it but must still apply the predicate).
/// <see cref="Value"/> is in the normalized CLR form: UTC <see cref="DateTime"/>, <see cref="DateOnly"/>,
/// decimal, string (18-character for ids) or bool.
/// </summary>
public sealed record SoqlBound(string Field, object Value, bool Inclusive);

/// <summary>One ORDER BY key: the canonical path (<c>SystemModstamp</c>, <c>Owner.Name</c>), direction and null placement.</summary>
public sealed record SoqlOrderKey(string Path, bool Descending, bool NullsFirst);

/// <summary>The result of <see cref="SoqlPlan.Execute"/>: what goes into <c>totalSize</c> and <c>records</c>.</summary>
/// <param name="TotalSize">
/// The number of matching rows after OFFSET/LIMIT; for <c>SELECT COUNT()</c> the count itself (and no records).
/// </param>
/// <param name="Records">The projected rows, in order; the server pages through them (batchSize, nextRecordsUrl).</param>
public sealed record SoqlQueryResult(int TotalSize, IReadOnlyList<SoqlRecord> Records);
