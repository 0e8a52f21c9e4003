using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>Marketo's Dynamics sync-filter tables (create, transitions, qualify, merge), row by row.</summary>
public sealed class SyncFilterRulesTests
{
    private const string Field = SyncFilterRules.DefaultField;

    private static Dictionary<string, object?> With(object? value) => new(StringComparer.Ordinal) { [Field] = value, ["lastname"] = "Ames" };

    [Fact]
    public void A_missing_field_an_empty_value_and_yes_sync_only_an_explicit_no_skips()
    {
        var noField = new Dictionary<string, object?> { ["lastname"] = "Ames" };

        Assert.Equal(SyncFilterState.NoField, SyncFilterRules.Read(noField, Field));
        Assert.Equal(SyncFilterState.NoField, SyncFilterRules.Read(With(false), null)); // no filter field configured
        Assert.Equal(SyncFilterState.Empty, SyncFilterRules.Read(With(null), Field));
        Assert.Equal(SyncFilterState.Yes, SyncFilterRules.Read(With(true), Field));
        Assert.Equal(SyncFilterState.No, SyncFilterRules.Read(With(false), Field));

        Assert.True(SyncFilterRules.Syncs(SyncFilterState.NoField));
        Assert.True(SyncFilterRules.Syncs(SyncFilterState.Empty));
        Assert.True(SyncFilterRules.Syncs(SyncFilterState.Yes));
        Assert.False(SyncFilterRules.Syncs(SyncFilterState.No));
    }

    [Theory]
    [InlineData("No", SyncFilterState.No)]
    [InlineData("false", SyncFilterState.No)]
    [InlineData("0", SyncFilterState.No)]
    [InlineData(" ", SyncFilterState.Empty)]
    [InlineData("Yes", SyncFilterState.Yes)]
    [InlineData("TRUE", SyncFilterState.Yes)]
    [InlineData("1", SyncFilterState.Yes)]
    [InlineData("maybe", SyncFilterState.Yes)] // not an explicit No: never drop a record on a value we do not understand
    public void Text_values_are_read_and_only_a_clear_no_counts_as_no(string text, SyncFilterState expected) =>
        Assert.Equal(expected, SyncFilterRules.Read(With(text), Field));

    [Fact]
    public void Numbers_read_as_zero_no_anything_else_yes()
    {
        Assert.Equal(SyncFilterState.No, SyncFilterRules.Read(With(0L), Field));
        Assert.Equal(SyncFilterState.Yes, SyncFilterRules.Read(With(1L), Field));
        Assert.Equal(SyncFilterState.No, SyncFilterRules.Read(With(0m), Field));
        Assert.Equal(SyncFilterState.Yes, SyncFilterRules.Read(With(1), Field));
    }

    [Theory]
    // first sight
    [InlineData(SyncFilterState.NoField, false, FilteredChangeAction.Create)]
    [InlineData(SyncFilterState.Empty, false, FilteredChangeAction.Create)]
    [InlineData(SyncFilterState.Yes, false, FilteredChangeAction.Create)]
    [InlineData(SyncFilterState.No, false, FilteredChangeAction.Skip)]
    // a known record changes
    [InlineData(SyncFilterState.Yes, true, FilteredChangeAction.Update)]
    [InlineData(SyncFilterState.Empty, true, FilteredChangeAction.Update)]
    [InlineData(SyncFilterState.No, true, FilteredChangeAction.LeaveStale)] // Yes -> No: stale, never deleted
    public void Changes_follow_the_filter_and_whether_the_person_exists(SyncFilterState state, bool exists, FilteredChangeAction expected) =>
        Assert.Equal(expected, SyncFilterRules.ForChange(state, exists));

    [Fact]
    public void No_to_yes_creates_at_once_when_the_record_was_never_synced()
    {
        var before = SyncFilterRules.ForChange(SyncFilterRules.Read(With(false), Field), existsLocally: false);
        var after = SyncFilterRules.ForChange(SyncFilterRules.Read(With(true), Field), existsLocally: false);

        Assert.Equal(FilteredChangeAction.Skip, before);
        Assert.Equal(FilteredChangeAction.Create, after);
    }

    [Theory]
    [InlineData(SyncFilterState.No, SyncFilterState.No, QualifyOutcome.NothingSynced)]
    [InlineData(SyncFilterState.Yes, SyncFilterState.Yes, QualifyOutcome.ContactSynced)]
    [InlineData(SyncFilterState.No, SyncFilterState.Yes, QualifyOutcome.NewContactCreated)]
    [InlineData(SyncFilterState.Yes, SyncFilterState.No, QualifyOutcome.LeadUpdatedContactNotSynced)]
    // missing or empty filters count as True
    [InlineData(SyncFilterState.NoField, SyncFilterState.Empty, QualifyOutcome.ContactSynced)]
    [InlineData(SyncFilterState.No, SyncFilterState.NoField, QualifyOutcome.NewContactCreated)]
    public void Qualify_follows_marketos_table(SyncFilterState lead, SyncFilterState contact, QualifyOutcome expected) =>
        Assert.Equal(expected, SyncFilterRules.ForQualify(lead, contact));

    [Theory]
    [InlineData(SyncFilterState.Yes, SyncFilterState.Yes, MergeOutcome.WinnerSyncs)]
    [InlineData(SyncFilterState.No, SyncFilterState.No, MergeOutcome.WinnerNotSynced)]
    [InlineData(SyncFilterState.No, SyncFilterState.Yes, MergeOutcome.WinnerSyncs)]
    [InlineData(SyncFilterState.Yes, SyncFilterState.No, MergeOutcome.WinnerNotSynced)]
    [InlineData(SyncFilterState.No, SyncFilterState.Empty, MergeOutcome.WinnerSyncs)]
    public void Merge_is_decided_by_the_winner_alone(SyncFilterState loser, SyncFilterState winner, MergeOutcome expected) =>
        Assert.Equal(expected, SyncFilterRules.ForMerge(loser, winner));
}
