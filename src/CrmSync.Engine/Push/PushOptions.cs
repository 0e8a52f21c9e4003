using CrmSync.Engine.Schema;

namespace CrmSync.Engine.Push;

/// <summary>How the push phase writes local changes to the CRM. The defaults suit production.</summary>
public sealed record PushOptions
{
    /// <summary>
    /// The External ID field creates are upserted on (on the person objects, and on the group object when groups are created
    /// locally). Null (the default) takes the CRM's own (<see cref="SyncedObjectCatalog.ExternalIdField"/>, from its provider).
    /// </summary>
    public string? ExternalIdField { get; init; }

    /// <summary>Records per CRM write request (at most the writer's maximum, 200 on Salesforce).</summary>
    public int BatchSize { get; init; } = 200;

    /// <summary>The wait before the first retry of a transient per-record failure; doubled for every further attempt.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest wait between retries of a transient failure.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Attempts after which a record that keeps failing transiently is given up (state Failed, record-level error).</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>
    /// The value a person created locally gets for the fields its CRM requires on create when they are empty, on its first
    /// push only (<see cref="Crm.CrmPersonObject.RequiredOnCreate"/>). Marketo documents the same placeholder: "[not provided]".
    /// </summary>
    public string RequiredFieldPlaceholder { get; init; } = "[not provided]";

    /// <summary>Most record-level "local edit not pushed" errors written per object and field per cycle (a warning sums up the rest).</summary>
    public int MaxReportedEditsPerField { get; init; } = 100;

    /// <summary>How long pushed (Done) outbox entries are kept before a push deletes them.</summary>
    public TimeSpan DoneRetention { get; init; } = TimeSpan.FromDays(7);

    internal void Validate()
    {
        if (ExternalIdField is not null)
            ArgumentException.ThrowIfNullOrWhiteSpace(ExternalIdField, nameof(ExternalIdField));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBaseDelay, TimeSpan.Zero, nameof(RetryBaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryDelay, RetryBaseDelay, nameof(MaxRetryDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentException.ThrowIfNullOrWhiteSpace(RequiredFieldPlaceholder, nameof(RequiredFieldPlaceholder));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxReportedEditsPerField, nameof(MaxReportedEditsPerField));
        ArgumentOutOfRangeException.ThrowIfLessThan(DoneRetention, TimeSpan.Zero, nameof(DoneRetention));
    }
}
