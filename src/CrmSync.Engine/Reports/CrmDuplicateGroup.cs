namespace CrmSync.Engine.Reports;

/// <summary>Why persons were grouped as likely duplicates.</summary>
public enum CrmDuplicateRule
{
    /// <summary>The same e-mail address, trimmed and compared case-insensitively.</summary>
    Email,
    /// <summary>The same normalised first and last name and the same normalised company.</summary>
    NameAndCompany,
}

/// <summary>Which rules Find-CrmDuplicate applies.</summary>
public enum CrmDuplicateRuleSelection
{
    /// <summary>Both rules; a pair of persons may then appear in an e-mail group and in a name-and-company group.</summary>
    All,
    /// <summary>Only <see cref="CrmDuplicateRule.Email"/>.</summary>
    Email,
    /// <summary>Only <see cref="CrmDuplicateRule.NameAndCompany"/>.</summary>
    NameAndCompany,
}

/// <summary>One person in a <see cref="CrmDuplicateGroup"/>, with the values the rules looked at (as stored, not normalised).</summary>
public sealed record CrmDuplicateMember
{
    /// <summary>The local row key (<c>person._row_id</c>).</summary>
    public required long RowId { get; init; }
    /// <summary>Lead, Contact, or null for a person created locally and not yet pushed.</summary>
    public string? CrmType { get; init; }
    /// <summary>The CRM id, or null when not in the CRM yet.</summary>
    public string? CrmId { get; init; }
    /// <summary>The e-mail address.</summary>
    public string? Email { get; init; }
    /// <summary>The first name.</summary>
    public string? FirstName { get; init; }
    /// <summary>The last name.</summary>
    public string? LastName { get; init; }
    /// <summary>The company the name-and-company rule used: the Company field, or for a Contact its Account's name.</summary>
    public string? Company { get; init; }
    /// <summary>The CRM modification stamp of the last pulled version, or null for a person never pulled.</summary>
    public DateTimeOffset? CrmModifiedAt { get; init; }
    /// <summary>True when the record was deleted in the CRM (listed only with -IncludeDeleted).</summary>
    public bool IsDeletedInCrm { get; init; }
    /// <summary>The CRM id this person was merged into (listed only with -IncludeDeleted), or null.</summary>
    public string? MergedInto { get; init; }
}

/// <summary>
/// A group of two or more persons that look like duplicates under one rule. Find-CrmDuplicate only reports them;
/// CrmSync never merges persons.
/// </summary>
public sealed record CrmDuplicateGroup
{
    /// <summary>The profile (binds to -Profile down the pipeline).</summary>
    public required string Profile { get; init; }
    /// <summary>The rule that grouped the persons.</summary>
    public required CrmDuplicateRule Rule { get; init; }
    /// <summary>The normalised value they share: the e-mail address, or <c>first last|company</c>.</summary>
    public required string Key { get; init; }
    /// <summary>How many persons share the key.</summary>
    public int Count => Members.Count;
    /// <summary>The persons, in local row order.</summary>
    public required IReadOnlyList<CrmDuplicateMember> Members { get; init; }
}
