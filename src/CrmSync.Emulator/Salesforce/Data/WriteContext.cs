namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>Who writes and with which permissions.</summary>
/// <param name="UserId">The acting user (becomes CreatedById/LastModifiedById).</param>
/// <param name="Restricted">Field-level security of the restricted user applies.</param>
/// <param name="System">Bypass createable/updateable checks (seeding and test setup only).</param>
public sealed record WriteContext(string UserId, bool Restricted = false, bool System = false);

/// <summary>Outcome of a single-record write.</summary>
/// <param name="Id">Record id when known.</param>
/// <param name="Errors">Errors; empty on success.</param>
/// <param name="Created">For upserts: whether a record was created.</param>
/// <param name="Matches">For upserts that matched several records: their ids (HTTP 300).</param>
public sealed record WriteOutcome(string? Id, IReadOnlyList<SaveError> Errors, bool? Created = null, IReadOnlyList<string>? Matches = null)
{
    /// <summary>Whether the write succeeded.</summary>
    public bool Success => Errors.Count == 0 && Matches is null;

    /// <summary>A failed outcome.</summary>
    public static WriteOutcome Fail(string? id, params SaveError[] errors) => new(id, errors);
}

/// <summary>Input of a lead conversion (the partner API's LeadConvert).</summary>
public sealed record LeadConvertRequest
{
    /// <summary>The lead to convert.</summary>
    public required string LeadId { get; init; }
    /// <summary>The lead status to set; must be a converted status ("Closed - Converted").</summary>
    public string ConvertedStatus { get; init; } = "Closed - Converted";
    /// <summary>Existing account to attach to (else one is created from Company).</summary>
    public string? AccountId { get; init; }
    /// <summary>Existing contact to merge into (else one is created).</summary>
    public string? ContactId { get; init; }
    /// <summary>Skip creating an opportunity.</summary>
    public bool DoNotCreateOpportunity { get; init; }
    /// <summary>Name of the created opportunity.</summary>
    public string? OpportunityName { get; init; }
    /// <summary>Owner of the created records.</summary>
    public string? OwnerId { get; init; }
    /// <summary>Overwrite the contact's LeadSource when converting into an existing contact.</summary>
    public bool OverwriteLeadSource { get; init; }
}

/// <summary>Result of a lead conversion.</summary>
/// <param name="LeadId">The converted lead.</param>
/// <param name="AccountId">The account.</param>
/// <param name="ContactId">The contact.</param>
/// <param name="OpportunityId">The opportunity, or null.</param>
/// <param name="Errors">Errors; empty on success.</param>
public sealed record LeadConvertResult(string LeadId, string? AccountId, string? ContactId, string? OpportunityId, IReadOnlyList<SaveError> Errors)
{
    /// <summary>Whether it succeeded.</summary>
    public bool Success => Errors.Count == 0;
}

/// <summary>Result of a merge.</summary>
/// <param name="Id">The master record.</param>
/// <param name="MergedRecordIds">The records merged away (now deleted, MasterRecordId = master).</param>
/// <param name="UpdatedRelatedIds">Child records re-pointed to the master.</param>
/// <param name="Errors">Errors; empty on success.</param>
public sealed record MergeResult(string Id, IReadOnlyList<string> MergedRecordIds, IReadOnlyList<string> UpdatedRelatedIds, IReadOnlyList<SaveError> Errors)
{
    /// <summary>Whether it succeeded.</summary>
    public bool Success => Errors.Count == 0;
}

/// <summary>One entry of the delete log.</summary>
/// <param name="SObject">Record type.</param>
/// <param name="Id">Record id.</param>
/// <param name="DeletedDate">When it was deleted.</param>
public sealed record DeletedEntry(string SObject, string Id, DateTime DeletedDate);
