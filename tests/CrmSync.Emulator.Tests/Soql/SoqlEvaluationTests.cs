using CrmSync.Emulator.Salesforce.Soql;
using static CrmSync.Emulator.Tests.Soql.SoqlTestData;

namespace CrmSync.Emulator.Tests.Soql;

public sealed class SoqlEvaluationTests
{
    private static List<object?> Ids(SoqlQueryResult result) => Column(result, "Id");

    [Fact]
    public void String_equality_ignores_case_and_inequality_keeps_nulls()
    {
        Dictionary<string, object?>[] rows = [Lead(1, ("Status", "Open")), Lead(2, ("Status", "OPEN")), Lead(3, ("Status", "Closed")), Lead(4, ("Status", null))];

        Assert.Equal([LeadId(1), LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE Status = 'open'", rows)));
        Assert.Equal([LeadId(3), LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE Status != 'oPeN'", rows)));
        Assert.Equal([LeadId(3), LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE Status <> 'open'", rows)));
        Assert.Equal([LeadId(3), LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE NOT Status = 'open'", rows)));
    }

    [Fact]
    public void Null_and_empty_string_comparisons()
    {
        Dictionary<string, object?>[] rows = [Lead(1, ("Email", null)), Lead(2, ("Email", "")), Lead(3, ("Email", "a@b.c"))];

        Assert.Equal([LeadId(1), LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE Email = null", rows)));
        Assert.Equal([LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE Email != null", rows)));
        Assert.Equal([LeadId(1), LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE Email = ''", rows)));
        Assert.Empty(Ids(Run("SELECT Id FROM Lead WHERE Email > null", rows)));
        Assert.Empty(Ids(Run("SELECT Id FROM Lead WHERE Email < 'zzz' AND Email = null", rows)));
    }

    [Fact]
    public void A_field_missing_from_a_row_reads_as_null()
    {
        var sparse = new Dictionary<string, object?> { ["Id"] = LeadId(1), ["LastName"] = "Solo" };

        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE Email = null AND IsDeleted = false", [sparse])));
        Assert.Null(Run("SELECT Id, Email FROM Lead", [sparse]).Records[0]["Email"]);
    }

    [Fact]
    public void Range_comparisons_on_strings_ignore_case()
    {
        Dictionary<string, object?>[] rows = [Lead(1, ("LastName", "adams")), Lead(2, ("LastName", "Baker")), Lead(3, ("LastName", "carter"))];

        Assert.Equal([LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE LastName >= 'B'", rows)));
        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE LastName < 'b'", rows)));
    }

    [Theory]
    [InlineData("'acme%'", new[] { 1, 2 })]
    [InlineData("'%CORP'", new[] { 2, 3, 4 })]
    [InlineData("'_cme%'", new[] { 1, 2 })]
    [InlineData("'%e c%'", new[] { 2 })]
    [InlineData("'acme'", new[] { 1 })]
    [InlineData(@"'100\%%'", new[] { 3 })]
    [InlineData("'100%'", new[] { 3, 5 })]
    [InlineData(@"'%\_%'", new[] { 6 })]
    [InlineData("'%'", new[] { 1, 2, 3, 4, 5, 6 })]
    public void Like_matches_wildcards_case_insensitively(string pattern, int[] expected)
    {
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("Company", "ACME")), Lead(2, ("Company", "Acme Corp")), Lead(3, ("Company", "100% Corp")),
            Lead(4, ("Company", "Initech corp")), Lead(5, ("Company", "1000 Ltd")), Lead(6, ("Company", "snake_case")),
            Lead(7, ("Company", null)),
        ];

        Assert.Equal(expected.Select(LeadId).Cast<object?>(), Ids(Run($"SELECT Id FROM Lead WHERE Company LIKE {pattern}", rows)));
    }

    [Fact]
    public void In_and_not_in_with_null_semantics()
    {
        Dictionary<string, object?>[] rows = [Lead(1, ("Status", "Open")), Lead(2, ("Status", "Working")), Lead(3, ("Status", "Closed")), Lead(4, ("Status", null))];

        Assert.Equal([LeadId(1), LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE Status IN ('open', 'WORKING')", rows)));
        Assert.Equal([LeadId(3), LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE Status NOT IN ('open', 'WORKING')", rows)));
        Assert.Equal([LeadId(1), LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE Status IN ('Open', null)", rows)));
        Assert.Equal([LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE Status NOT IN ('Open', null)", rows)));
    }

    [Fact]
    public void Numbers_compare_across_clr_types()
    {
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("NumberOfEmployees", 5), ("AnnualRevenue", 1000.50m)),
            Lead(2, ("NumberOfEmployees", 50L), ("AnnualRevenue", 999.99)),
            Lead(3, ("NumberOfEmployees", null), ("AnnualRevenue", 2000L)),
        ];

        Assert.Equal([LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE NumberOfEmployees > 10", rows)));
        Assert.Equal([LeadId(1), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE AnnualRevenue >= 1000.5", rows)));
        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE NumberOfEmployees IN (5, 6)", rows)));
        Assert.Equal([LeadId(1), LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE AnnualRevenue < 1500 AND AnnualRevenue > -1", rows)));
    }

    [Fact]
    public void Datetime_literals_in_any_offset_compare_in_utc()
    {
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("SystemModstamp", Utc(2024, 1, 1, 0, 0, 0))),
            Lead(2, ("SystemModstamp", new DateTimeOffset(2024, 1, 1, 1, 0, 0, TimeSpan.FromHours(-5)))),
            Lead(3, ("SystemModstamp", DateTime.SpecifyKind(new DateTime(2023, 12, 31, 23, 0, 0), DateTimeKind.Unspecified))),
        ];

        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE SystemModstamp = 2024-01-01T02:00:00+02:00", rows)));
        Assert.Equal([LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-01T00:30:00-00:00", rows)));
        Assert.Equal([LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE SystemModstamp < 2024-01-01T00:00:00Z", rows)));
        Assert.Equal([LeadId(1), LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE SystemModstamp >= 2023-12-31T19:00:00-05:00", rows)));
    }

    [Fact]
    public void Date_fields_compare_with_date_literals()
    {
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("ConvertedDate", new DateOnly(2024, 3, 1))),
            Lead(2, ("ConvertedDate", new DateOnly(2024, 3, 2))),
            Lead(3, ("ConvertedDate", null)),
        ];

        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE ConvertedDate = 2024-03-01", rows)));
        Assert.Equal([LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE ConvertedDate > 2024-03-01", rows)));
        Assert.Equal([LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE ConvertedDate != 2024-03-01", rows)));
    }

    [Fact]
    public void Relative_date_literals_are_whole_utc_days_around_now()
    {
        // Now is 2024-06-15T12:00:00Z.
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("CreatedDate", Utc(2024, 6, 15, 0, 0, 0))),
            Lead(2, ("CreatedDate", Utc(2024, 6, 14, 23, 59, 59))),
            Lead(3, ("CreatedDate", Utc(2024, 6, 13, 0, 0, 0))),
            Lead(4, ("CreatedDate", Utc(2024, 6, 16, 0, 0, 0))),
            Lead(5, ("CreatedDate", Utc(2024, 6, 12, 23, 0, 0)), ("ConvertedDate", new DateOnly(2024, 6, 14))),
        ];

        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE CreatedDate = TODAY", rows)));
        Assert.Equal([LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE CreatedDate = YESTERDAY", rows)));
        Assert.Equal([LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE CreatedDate > TODAY", rows)));
        Assert.Equal([LeadId(2), LeadId(3), LeadId(5)], Ids(Run("SELECT Id FROM Lead WHERE CreatedDate < TODAY", rows)));
        Assert.Equal([LeadId(1), LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:2", rows)));
        Assert.Equal([LeadId(5)], Ids(Run("SELECT Id FROM Lead WHERE ConvertedDate = YESTERDAY", rows)));
        Assert.True(SoqlPlan.Compile("SELECT Id FROM Lead WHERE CreatedDate = TODAY", Schema).UsesRelativeDates);
    }

    [Fact]
    public void Booleans_and_null_checkboxes()
    {
        Dictionary<string, object?>[] rows = [Lead(1, ("IsConverted", true)), Lead(2, ("IsConverted", false)), Lead(3, ("IsConverted", null))];

        Assert.Equal([LeadId(1)], Ids(Run("SELECT Id FROM Lead WHERE IsConverted = TRUE", rows)));
        Assert.Equal([LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE IsConverted = false", rows)));
    }

    [Fact]
    public void Ids_compare_exactly_and_a_15_character_id_matches_its_18_character_form()
    {
        const string id18 = "00Q5e00000AbCdEEAV";
        Dictionary<string, object?>[] rows = [Lead(1, ("Id", id18)), Lead(2)];

        Assert.Equal([id18], Ids(Run("SELECT Id FROM Lead WHERE Id = '00Q5e00000AbCdE'", rows)));
        Assert.Equal([id18], Ids(Run($"SELECT Id FROM Lead WHERE Id = '{id18}'", rows)));
        Assert.Empty(Ids(Run("SELECT Id FROM Lead WHERE Id = '00Q5e00000ABCDE'", rows)));
    }

    [Fact]
    public void Logical_operators_follow_the_parentheses()
    {
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("Status", "A"), ("Company", "X")), Lead(2, ("Status", "A"), ("Company", "Y")),
            Lead(3, ("Status", "B"), ("Company", "X")), Lead(4, ("Status", "B"), ("Company", "Y")),
        ];

        Assert.Equal([LeadId(1), LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE (Status = 'A' AND Company = 'X') OR (Company = 'Y' AND Status = 'B')", rows)));
        Assert.Equal([LeadId(1), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE Company = 'X' AND (Status = 'A' OR Status = 'B')", rows)));
        Assert.Equal([LeadId(1), LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE Status = 'A' OR Status = 'Q' OR Company = 'X'", rows)));
        Assert.Equal([LeadId(4)], Ids(Run("SELECT Id FROM Lead WHERE NOT (Status = 'A' OR Company = 'X')", rows)));
        Assert.Equal([LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE (NOT Company = 'X') AND Status = 'A'", rows)));
    }

    [Fact]
    public void Order_by_several_keys_with_salesforce_null_placement_and_stable_ties()
    {
        Dictionary<string, object?>[] rows =
        [
            Lead(1, ("Company", "b"), ("NumberOfEmployees", 1)),
            Lead(2, ("Company", null), ("NumberOfEmployees", 2)),
            Lead(3, ("Company", "A"), ("NumberOfEmployees", null)),
            Lead(4, ("Company", "a"), ("NumberOfEmployees", 7)),
            Lead(5, ("Company", "B"), ("NumberOfEmployees", 1)),
        ];

        // ASC: nulls first; case-insensitive; ties keep arrival order.
        Assert.Equal([LeadId(2), LeadId(3), LeadId(4), LeadId(1), LeadId(5)], Ids(Run("SELECT Id FROM Lead ORDER BY Company", rows)));
        // DESC: nulls last.
        Assert.Equal([LeadId(1), LeadId(5), LeadId(3), LeadId(4), LeadId(2)], Ids(Run("SELECT Id FROM Lead ORDER BY Company DESC", rows)));
        Assert.Equal([LeadId(3), LeadId(4), LeadId(1), LeadId(5), LeadId(2)], Ids(Run("SELECT Id FROM Lead ORDER BY Company ASC NULLS LAST", rows)));
        Assert.Equal([LeadId(2), LeadId(1), LeadId(5), LeadId(3), LeadId(4)], Ids(Run("SELECT Id FROM Lead ORDER BY Company DESC NULLS FIRST", rows)));
        // Second key breaks the ties of the first; DESC on the second key puts its nulls last.
        Assert.Equal([LeadId(2), LeadId(4), LeadId(3), LeadId(1), LeadId(5)], Ids(Run("SELECT Id FROM Lead ORDER BY Company NULLS FIRST, NumberOfEmployees DESC", rows)));
        Assert.Equal([LeadId(4), LeadId(2), LeadId(5), LeadId(1), LeadId(3)], Ids(Run("SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC, Id DESC", rows)));
    }

    [Fact]
    public void The_comparer_orders_like_execute()
    {
        var plan = SoqlPlan.Compile("SELECT Id FROM Lead ORDER BY Company DESC, NumberOfEmployees", Schema);
        IReadOnlyDictionary<string, object?>[] rows =
        [
            Lead(1, ("Company", "b"), ("NumberOfEmployees", 2)), Lead(2, ("Company", null)), Lead(3, ("Company", "B"), ("NumberOfEmployees", 1)),
        ];

        var sorted = rows.OrderBy(r => r, plan.CreateComparer(Context())).Select(r => r["Id"]).ToList();

        Assert.Equal([LeadId(3), LeadId(1), LeadId(2)], sorted);
        Assert.Equal(sorted, Ids(plan.Execute(rows, Context())));
    }

    [Fact]
    public void Limit_and_offset()
    {
        var rows = Enumerable.Range(1, 10).Select(n => Lead(n)).ToArray();

        Assert.Equal([LeadId(10), LeadId(9), LeadId(8)], Ids(Run("SELECT Id FROM Lead ORDER BY Id DESC LIMIT 3", rows)));
        Assert.Equal([LeadId(3), LeadId(4)], Ids(Run("SELECT Id FROM Lead ORDER BY Id LIMIT 2 OFFSET 2", rows)));
        Assert.Equal([LeadId(10)], Ids(Run("SELECT Id FROM Lead OFFSET 9", rows)));
        Assert.Empty(Ids(Run("SELECT Id FROM Lead LIMIT 0", rows)));
        Assert.Empty(Ids(Run("SELECT Id FROM Lead LIMIT 5 OFFSET 20", rows)));
        var limited = Run("SELECT Id FROM Lead LIMIT 4", rows);
        Assert.Equal(4, limited.TotalSize);
    }

    [Fact]
    public void Count_returns_only_the_total()
    {
        var rows = Enumerable.Range(1, 7).Select(n => Lead(n, ("IsConverted", n % 2 == 0))).ToArray();

        var all = Run("SELECT COUNT() FROM Lead", rows);
        Assert.Equal(7, all.TotalSize);
        Assert.Empty(all.Records);
        Assert.Equal(3, Run("select count() from lead where IsConverted = true", rows).TotalSize);
        Assert.Equal(5, Run("SELECT COUNT() FROM Lead LIMIT 5", rows).TotalSize);
        Assert.Equal(0, Run("SELECT COUNT() FROM Lead WHERE LastName = 'nobody'", rows).TotalSize);
        Assert.True(SoqlPlan.Compile("SELECT COUNT() FROM Lead", Schema).IsCount);
    }

    [Fact]
    public void Count_of_a_field_is_one_aggregate_result()
    {
        var rows = new[] { Lead(1), Lead(2, ("Email", null)), Lead(3) };

        var result = Run("SELECT COUNT(Id), COUNT(Email) withEmail FROM Lead", rows);

        var record = Assert.Single(result.Records);
        Assert.Equal(1, result.TotalSize);
        Assert.Equal("AggregateResult", record.ObjectType);
        Assert.Null(record.Id);
        Assert.Equal([new("expr0", 3L), new("withEmail", 2L)], record.Fields);
        Assert.Equal(["expr0", "withEmail"], SoqlPlan.Compile("SELECT COUNT(Id), COUNT(Email) withEmail FROM Lead", Schema).SelectedPaths);
    }

    [Fact]
    public void Projection_uses_select_order_and_canonical_casing()
    {
        var result = Run("select systemmodstamp, ID, lastname, lead.email from LEAD", [Lead(1)]);

        var record = Assert.Single(result.Records);
        Assert.Equal("Lead", record.ObjectType);
        Assert.Equal(LeadId(1), record.Id);
        Assert.Equal(["SystemModstamp", "Id", "LastName", "Email"], record.Fields.Select(f => f.Key));
        Assert.Equal(Utc(2024, 1, 1), record["SystemModstamp"]);
    }

    [Fact]
    public void Relationship_paths_nest_parent_records_and_read_null_when_unresolved()
    {
        var owner = new Dictionary<string, object?> { ["Id"] = UserId(1), ["Name"] = "Ann Owner", ["Email"] = "ann@example.com", ["ManagerId"] = UserId(2) };
        var manager = new Dictionary<string, object?> { ["Id"] = UserId(2), ["Name"] = "Max Manager", ["Email"] = null, ["ManagerId"] = null };
        Dictionary<string, object?>[] rows = [Lead(1, ("OwnerId", UserId(1))), Lead(2, ("OwnerId", UserId(9))), Lead(3)];

        var result = Run("SELECT Id, Owner.Name, LastName, owner.email, Owner.Manager.Name FROM Lead", rows, Context(owner, manager));

        var first = result.Records[0];
        Assert.Equal(["Id", "Owner", "LastName"], first.Fields.Select(f => f.Key));
        var nested = Assert.IsType<SoqlRecord>(first["Owner"]);
        Assert.Equal("User", nested.ObjectType);
        Assert.Equal(UserId(1), nested.Id);
        Assert.Equal(["Name", "Email", "Manager"], nested.Fields.Select(f => f.Key));
        Assert.Equal("ann@example.com", nested["Email"]);
        Assert.Equal("Max Manager", Assert.IsType<SoqlRecord>(nested["Manager"])["Name"]);
        Assert.Null(result.Records[1]["Owner"]);
        Assert.Null(result.Records[2]["Owner"]);
        Assert.Equal(["Id", "Owner.Name", "LastName", "Owner.Email", "Owner.Manager.Name"], SoqlPlan.Compile("SELECT Id, Owner.Name, LastName, owner.email, Owner.Manager.Name FROM Lead", Schema).SelectedPaths);

        var withoutLookup = Run("SELECT Id, Owner.Name FROM Lead", rows, new SoqlExecutionContext(Now));
        Assert.All(withoutLookup.Records, r => Assert.Null(r["Owner"]));
    }

    [Fact]
    public void Relationship_paths_filter_and_sort()
    {
        var ann = new Dictionary<string, object?> { ["Id"] = UserId(1), ["Name"] = "Ann" };
        var bob = new Dictionary<string, object?> { ["Id"] = UserId(2), ["Name"] = "bob" };
        Dictionary<string, object?>[] rows = [Lead(1, ("OwnerId", UserId(2))), Lead(2, ("OwnerId", UserId(1))), Lead(3)];
        var context = Context(ann, bob);

        Assert.Equal([LeadId(2)], Ids(Run("SELECT Id FROM Lead WHERE Owner.Name = 'ANN'", rows, context)));
        Assert.Equal([LeadId(1), LeadId(3)], Ids(Run("SELECT Id FROM Lead WHERE Owner.Name != 'Ann'", rows, context)));
        Assert.Equal([LeadId(1), LeadId(2), LeadId(3)], Ids(Run("SELECT Id FROM Lead ORDER BY Owner.Name DESC", rows, context)));
        Assert.True(SoqlPlan.Compile("SELECT Id FROM Lead WHERE Owner.Name = 'x'", Schema).UsesRelationships);
        Assert.Contains("OwnerId", SoqlPlan.Compile("SELECT Id FROM Lead WHERE Owner.Name = 'x'", Schema).ReferencedFields);
    }

    [Fact]
    public void Rows_with_a_value_of_the_wrong_clr_type_fail_loudly()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Run("SELECT Id FROM Lead WHERE NumberOfEmployees > 1", [Lead(1, ("NumberOfEmployees", "12"))]));

        Assert.Contains("NumberOfEmployees", error.Message);
    }
}
