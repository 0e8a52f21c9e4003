using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Conflicts;

/// <summary>Which kind of record collided: it decides Marketo's default rule.</summary>
public enum ConflictRecordKind
{
    /// <summary>A person of type Lead (two-way): the local change wins by default.</summary>
    Lead,
    /// <summary>A person of type Contact (two-way): the CRM wins by default.</summary>
    Contact,
    /// <summary>Another two-way object (Campaign, CampaignMember): the CRM wins by default, as for contacts.</summary>
    OtherTwoWay,
    /// <summary>A one-way object (CRM to local): the CRM always wins.</summary>
    OneWay,
}

/// <summary>The outcome of one collision.</summary>
public enum ConflictResolution
{
    /// <summary>The local value stays and is pushed.</summary>
    LocalWins,
    /// <summary>The CRM's value is written locally and the local change is not pushed.</summary>
    CrmWins,
    /// <summary>The field does not sync (rule None): nothing changes on either side.</summary>
    NotSynced,
}

/// <summary>A resolved collision: who wins and the rule that decided, as written to the conflict journal.</summary>
public sealed record ConflictDecision(ConflictResolution Resolution, string Rule)
{
    /// <summary>The journal's winner, or null for <see cref="ConflictResolution.NotSynced"/>.</summary>
    public ConflictWinner? Winner => Resolution switch
    {
        ConflictResolution.LocalWins => ConflictWinner.Local,
        ConflictResolution.CrmWins => ConflictWinner.Crm,
        _ => null,
    };
}

/// <summary>
/// The collision rule table (PRODUCT.md, "Conflicts"): when the same field changed locally and in the CRM within one cycle.
/// <list type="table">
/// <listheader><term>mapping rule</term><description>winner</description></listheader>
/// <item><term>None</term><description>nobody: the field does not sync, nothing changes.</description></item>
/// <item><term>any other rule on a one-way object</term><description>the CRM (one-way objects are never pushed).</description></item>
/// <item><term>TwoWay (Marketo's default)</term><description>Lead: local; Contact and the other two-way objects: the CRM.</description></item>
/// <item><term>PreferCrmUnlessBlank</term><description>the CRM, unless its value is blank (NULL or empty text): then local.</description></item>
/// <item><term>AlwaysCrm</term><description>the CRM.</description></item>
/// <item><term>AlwaysLocal</term><description>local.</description></item>
/// </list>
/// Pure: no I/O, so every cell is unit-tested.
/// </summary>
public static class ConflictResolver
{
    /// <summary>Rule names written to the journal's <c>rule</c> column.</summary>
    public static class RuleNames
    {
        public const string MarketoLeadLocalWins = "TwoWay: Lead, local wins (Marketo)";
        public const string MarketoContactCrmWins = "TwoWay: Contact, CRM wins (Marketo)";
        public const string MarketoTwoWayObjectCrmWins = "TwoWay: CRM wins";
        public const string OneWayCrmWins = "One-way object: CRM wins (Marketo)";
        public const string PreferCrm = "PreferCrmUnlessBlank: CRM wins";
        public const string PreferCrmBlank = "PreferCrmUnlessBlank: CRM blank, local wins";
        public const string AlwaysCrm = "AlwaysCrm";
        public const string AlwaysLocal = "AlwaysLocal";
        public const string None = "None: not synced";
    }

    /// <summary>Decides a collision on one field.</summary>
    /// <param name="kind">The kind of record.</param>
    /// <param name="rule">The field mapping's rule.</param>
    /// <param name="crmValue">The CRM's new value (only its blankness matters, for PreferCrmUnlessBlank).</param>
    public static ConflictDecision Resolve(ConflictRecordKind kind, FieldMappingRule rule, object? crmValue)
    {
        if (rule == FieldMappingRule.None)
            return new(ConflictResolution.NotSynced, RuleNames.None);
        if (kind == ConflictRecordKind.OneWay)
            return new(ConflictResolution.CrmWins, RuleNames.OneWayCrmWins);
        return rule switch
        {
            FieldMappingRule.TwoWay => kind switch
            {
                ConflictRecordKind.Lead => new(ConflictResolution.LocalWins, RuleNames.MarketoLeadLocalWins),
                ConflictRecordKind.Contact => new(ConflictResolution.CrmWins, RuleNames.MarketoContactCrmWins),
                _ => new(ConflictResolution.CrmWins, RuleNames.MarketoTwoWayObjectCrmWins),
            },
            FieldMappingRule.PreferCrmUnlessBlank => IsBlank(crmValue)
                ? new(ConflictResolution.LocalWins, RuleNames.PreferCrmBlank)
                : new(ConflictResolution.CrmWins, RuleNames.PreferCrm),
            FieldMappingRule.AlwaysCrm => new(ConflictResolution.CrmWins, RuleNames.AlwaysCrm),
            FieldMappingRule.AlwaysLocal => new(ConflictResolution.LocalWins, RuleNames.AlwaysLocal),
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown mapping rule."),
        };
    }

    /// <summary>The kind of a record of an object whose person kind is <paramref name="personKind"/> (<see cref="PersonKind"/>; null for a non-person).</summary>
    public static ConflictRecordKind KindOf(string? personKind, bool isTwoWay) =>
        !isTwoWay ? ConflictRecordKind.OneWay
        : string.Equals(personKind, PersonKind.Lead, StringComparison.OrdinalIgnoreCase) ? ConflictRecordKind.Lead
        : string.Equals(personKind, PersonKind.Contact, StringComparison.OrdinalIgnoreCase) ? ConflictRecordKind.Contact
        : ConflictRecordKind.OtherTwoWay;

    /// <summary>Blank as the sync means it: NULL or empty text (the pull's PreferCrmUnlessBlank uses the same test).</summary>
    public static bool IsBlank(object? value) => value is null or DBNull || value is string { Length: 0 };
}
