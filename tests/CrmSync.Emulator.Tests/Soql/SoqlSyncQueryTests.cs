using CrmSync.Emulator.Salesforce.Soql;
using static CrmSync.Emulator.Tests.Soql.SoqlTestData;

namespace CrmSync.Emulator.Tests.Soql;

/// <summary>The queries sync clients actually send (PROTOCOL.md 3.1-3.3), end to end.</summary>
public sealed class SoqlSyncQueryTests
{
    private static readonly Dictionary<string, object?>[] Rows =
    [
        Lead(5, ("SystemModstamp", Utc(2024, 1, 2))),
        Lead(1, ("SystemModstamp", Utc(2023, 12, 31))),
        Lead(4, ("SystemModstamp", Utc(2024, 1, 1))),
        Lead(3, ("SystemModstamp", Utc(2024, 1, 1))),
        Lead(2, ("SystemModstamp", Utc(2024, 1, 3))),
        Lead(6, ("SystemModstamp", Utc(2024, 1, 1)), ("IsDeleted", true), ("MasterRecordId", LeadId(3))),
        Lead(7, ("SystemModstamp", Utc(2024, 1, 2)), ("IsDeleted", true)),
    ];

    [Fact]
    public void Incremental_query_orders_by_systemmodstamp_then_id()
    {
        const string soql = "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z ORDER BY SystemModstamp, Id";

        var result = Run(soql, Rows);

        Assert.Equal([LeadId(5), LeadId(7), LeadId(2)], Column(result, "Id"));
        Assert.Equal([Utc(2024, 1, 2), Utc(2024, 1, 2), Utc(2024, 1, 3)], Column(result, "SystemModstamp"));
        var plan = SoqlPlan.Compile(soql, Schema);
        Assert.True(plan.TryGetLowerBound("systemmodstamp", out var bound));
        Assert.Equal(new SoqlBound("SystemModstamp", Utc(2024, 1, 1), Inclusive: false), bound);
        Assert.False(plan.TryGetUpperBound("SystemModstamp", out _));
        Assert.True(plan.WhereIsConjunction);
        Assert.Equal([new SoqlOrderKey("SystemModstamp", false, true), new SoqlOrderKey("Id", false, true)], plan.OrderBy);
    }

    [Fact]
    public void Keyset_query_resumes_after_the_last_row_of_the_previous_page()
    {
        var soql = $"SELECT Id, SystemModstamp FROM Lead WHERE (SystemModstamp > 2024-01-01T00:00:00Z) OR (SystemModstamp = 2024-01-01T00:00:00Z AND Id > '{LeadId(3)}') ORDER BY SystemModstamp, Id";

        var result = Run(soql, Rows);

        Assert.Equal([LeadId(4), LeadId(6), LeadId(5), LeadId(7), LeadId(2)], Column(result, "Id"));
        var plan = SoqlPlan.Compile(soql, Schema);
        Assert.False(plan.WhereIsConjunction);
        Assert.True(plan.TryGetLowerBound("SystemModstamp", out var bound));
        Assert.Equal(new SoqlBound("SystemModstamp", Utc(2024, 1, 1), Inclusive: true), bound);
        Assert.False(plan.TryGetLowerBound("Id", out _));
    }

    [Fact]
    public void Airbyte_window_gives_both_bounds()
    {
        const string soql = "SELECT Id FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND SystemModstamp < 2024-01-03T00:00:00Z ORDER BY SystemModstamp ASC";

        var result = Run(soql, Rows);

        Assert.Equal([LeadId(4), LeadId(3), LeadId(6), LeadId(5), LeadId(7)], Column(result, "Id"));
        var plan = SoqlPlan.Compile(soql, Schema);
        Assert.True(plan.TryGetLowerBound("SystemModstamp", out var lower));
        Assert.True(plan.TryGetUpperBound("SystemModstamp", out var upper));
        Assert.Equal(new SoqlBound("SystemModstamp", Utc(2024, 1, 1), true), lower);
        Assert.Equal(new SoqlBound("SystemModstamp", Utc(2024, 1, 3), false), upper);
    }

    [Fact]
    public void The_tighter_of_two_lower_bounds_wins()
    {
        var plan = SoqlPlan.Compile("SELECT Id FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND SystemModstamp > 2024-02-01T00:00:00Z AND IsDeleted = false", Schema);

        Assert.True(plan.TryGetLowerBound("SystemModstamp", out var bound));
        Assert.Equal(new SoqlBound("SystemModstamp", Utc(2024, 2, 1), false), bound);
    }

    [Fact]
    public void No_bound_when_a_branch_of_an_or_is_unbounded_or_negated()
    {
        Assert.False(SoqlPlan.Compile("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z OR IsDeleted = true", Schema).TryGetLowerBound("SystemModstamp", out _));
        Assert.False(SoqlPlan.Compile("SELECT Id FROM Lead WHERE NOT SystemModstamp < 2024-01-01T00:00:00Z", Schema).TryGetLowerBound("SystemModstamp", out _));
        Assert.False(SoqlPlan.Compile("SELECT Id FROM Lead", Schema).TryGetLowerBound("SystemModstamp", out _));
    }

    [Fact]
    public void Count_of_all_leads()
    {
        var plan = SoqlPlan.Compile("SELECT COUNT() FROM Lead", Schema);

        Assert.Equal(7, plan.Execute(Rows, Context()).TotalSize);
        Assert.Equal("Lead", plan.ObjectName);
        Assert.False(plan.HasWhere);
        Assert.Empty(plan.SelectedPaths);
    }

    [Fact]
    public void Query_all_finds_merged_losers()
    {
        var result = Run("SELECT Id, MasterRecordId FROM Lead WHERE IsDeleted = true AND MasterRecordId != null", Rows);

        var record = Assert.Single(result.Records);
        Assert.Equal(LeadId(6), record.Id);
        Assert.Equal(LeadId(3), record["MasterRecordId"]);
    }

    [Fact]
    public void Plan_facts_for_the_server()
    {
        var plan = SoqlPlan.Compile("SELECT Id, Owner.Name FROM Lead WHERE IsDeleted = false ORDER BY CreatedDate DESC LIMIT 200 OFFSET 100", Schema);

        Assert.Equal("Lead", plan.ObjectName);
        Assert.Equal(200, plan.Limit);
        Assert.Equal(100, plan.Offset);
        Assert.False(plan.IsCount);
        Assert.False(plan.IsAggregate);
        Assert.True(plan.UsesRelationships);
        Assert.False(plan.UsesRelativeDates);
        Assert.Equal(["CreatedDate", "Id", "IsDeleted", "OwnerId"], plan.ReferencedFields.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_plan_runs_many_times_and_its_predicate_stands_alone()
    {
        var plan = SoqlPlan.Compile("SELECT Id FROM Lead WHERE IsDeleted = false AND SystemModstamp >= 2024-01-02T00:00:00Z", Schema);
        var predicate = plan.CreatePredicate(Context());

        Assert.Equal([LeadId(5), LeadId(2)], Rows.Where(predicate).Select(r => r["Id"]));
        Assert.Equal([LeadId(5), LeadId(2)], Column(plan.Execute(Rows, Context()), "Id"));
        Assert.Equal([LeadId(5), LeadId(2)], Column(plan.Execute(Rows, Context()), "Id"));
        Assert.True(SoqlPlan.Compile("SELECT Id FROM Lead", Schema).CreatePredicate(Context())(Rows[0]));
    }

    [Fact]
    public void Select_rows_returns_the_matching_rows_in_order_for_paging_later()
    {
        var plan = SoqlPlan.Compile("SELECT Id FROM Lead WHERE IsDeleted = false ORDER BY SystemModstamp DESC, Id LIMIT 3 OFFSET 1", Schema);

        var rows = plan.SelectRows(Rows, Context());

        Assert.Equal([LeadId(5), LeadId(3), LeadId(4)], rows.Select(r => r["Id"]));
        Assert.Same(Rows[0], rows[0]);
        Assert.Equal(LeadId(5), plan.Project(rows[0], Context()).Id);
        Assert.Equal(4, SoqlPlan.Compile("SELECT COUNT() FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:00Z LIMIT 4", Schema).SelectRows(Rows, Context()).Count);
        Assert.Throws<InvalidOperationException>(() => SoqlPlan.Compile("SELECT COUNT(Id) FROM Lead", Schema).SelectRows(Rows, Context()));
    }
}
