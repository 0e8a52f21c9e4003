using System.Globalization;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The state of a CRM record's sync-filter field (Marketo's Dynamics sync filter, <c>new_synctomkto</c> by default: a
/// Two Options field). Four states, because a missing field and an empty value both mean "sync".
/// </summary>
public enum SyncFilterState
{
    /// <summary>The object has no filter field (or it is not read): the record syncs.</summary>
    NoField,
    /// <summary>The field exists and is empty: the record syncs.</summary>
    Empty,
    /// <summary>Yes: the record syncs.</summary>
    Yes,
    /// <summary>No, set explicitly: the only state that keeps a record out of the sync.</summary>
    No,
}

/// <summary>What the pull does with one changed CRM record, given its filter and whether its local row exists.</summary>
public enum FilteredChangeAction
{
    /// <summary>Syncs and has no local row yet (first sight, or No → Yes): create it now.</summary>
    Create,
    /// <summary>Syncs and has a local row: update it.</summary>
    Update,
    /// <summary>No, and no local row: nothing is written; counted as filtered.</summary>
    Skip,
    /// <summary>Yes → No: the local row is kept as it is (never deleted) and stops getting updates; counted as filtered.</summary>
    LeaveStale,
}

/// <summary>The outcome of a lead qualified into a contact in the CRM (Marketo's qualify table).</summary>
public enum QualifyOutcome
{
    /// <summary>Lead No, contact No: nothing is synced.</summary>
    NothingSynced,
    /// <summary>Lead syncs, contact syncs: the person becomes the contact (one person of type Contact).</summary>
    ContactSynced,
    /// <summary>Lead No, contact syncs: the contact is created locally as a new person; a stale lead row, if any, stays as it is.</summary>
    NewContactCreated,
    /// <summary>Lead syncs, contact No: the lead's own changes are applied to its person, which stays a lead; the contact is not synced.</summary>
    LeadUpdatedContactNotSynced,
}

/// <summary>The outcome of a merge in the CRM: the winner's filter decides (Marketo's merge table).</summary>
public enum MergeOutcome
{
    /// <summary>The winner syncs (it keeps syncing, or starts to).</summary>
    WinnerSyncs,
    /// <summary>The winner does not sync (it keeps not syncing, or stops: its local row, if any, goes stale).</summary>
    WinnerNotSynced,
}

/// <summary>
/// Marketo's Dynamics sync-filter rules, as pure functions (Marketo's pages "Create a
/// custom Dynamics sync filter", "... filter: qualify", "... filter: merge"). Applied on our side, because Dataverse
/// refuses <c>$filter</c> on a change-tracking read: every changed record is read, and these rules decide what the
/// local database does with it.
/// </summary>
public static class SyncFilterRules
{
    /// <summary>The filter field's logical name when none is given.</summary>
    public const string DefaultField = "new_synctomkto";

    /// <summary>
    /// The state of <paramref name="filterField"/> in a record's values. A null field name or a field the record does
    /// not carry is <see cref="SyncFilterState.NoField"/>. A Two Options value arrives as a boolean; text and numbers
    /// ("Yes"/"No", "true"/"false", 1/0) are read too, and anything else counts as set to Yes rather than silently
    /// dropping a record (only an explicit No skips).
    /// </summary>
    public static SyncFilterState Read(IReadOnlyDictionary<string, object?> values, string? filterField)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (string.IsNullOrEmpty(filterField) || !values.TryGetValue(filterField, out var value))
            return SyncFilterState.NoField;
        return value switch
        {
            null => SyncFilterState.Empty,
            bool b => b ? SyncFilterState.Yes : SyncFilterState.No,
            long n => n == 0 ? SyncFilterState.No : SyncFilterState.Yes,
            int n => n == 0 ? SyncFilterState.No : SyncFilterState.Yes,
            decimal d => d == 0 ? SyncFilterState.No : SyncFilterState.Yes,
            string s => ReadText(s),
            _ => SyncFilterState.Yes,
        };
    }

    private static SyncFilterState ReadText(string text)
    {
        var s = text.Trim();
        if (s.Length == 0)
            return SyncFilterState.Empty;
        if (s.Equals("no", StringComparison.OrdinalIgnoreCase) || s.Equals("false", StringComparison.OrdinalIgnoreCase)
            || (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n == 0))
            return SyncFilterState.No;
        return SyncFilterState.Yes;
    }

    /// <summary>True unless the filter is an explicit No: "the only way to tell Marketo to skip a record is to set the field value explicitly to be No".</summary>
    public static bool Syncs(SyncFilterState state) => state != SyncFilterState.No;

    /// <summary>
    /// What to do with a changed record. No → Yes creates or updates at once; Yes → No leaves the local row stale, never
    /// deleted; No with no local row writes nothing.
    /// </summary>
    public static FilteredChangeAction ForChange(SyncFilterState state, bool existsLocally) => Syncs(state)
        ? existsLocally ? FilteredChangeAction.Update : FilteredChangeAction.Create
        : existsLocally ? FilteredChangeAction.LeaveStale : FilteredChangeAction.Skip;

    /// <summary>Marketo's qualify table: the lead's filter and the new contact's filter decide.</summary>
    public static QualifyOutcome ForQualify(SyncFilterState lead, SyncFilterState contact) => (Syncs(lead), Syncs(contact)) switch
    {
        (false, false) => QualifyOutcome.NothingSynced,
        (true, true) => QualifyOutcome.ContactSynced,
        (false, true) => QualifyOutcome.NewContactCreated,
        (true, false) => QualifyOutcome.LeadUpdatedContactNotSynced,
    };

    /// <summary>Marketo's merge table: only the winner's filter counts; the loser's is irrelevant.</summary>
    public static MergeOutcome ForMerge(SyncFilterState loser, SyncFilterState winner) =>
        Syncs(winner) ? MergeOutcome.WinnerSyncs : MergeOutcome.WinnerNotSynced;
}
