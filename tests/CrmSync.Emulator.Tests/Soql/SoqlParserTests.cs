using CrmSync.Emulator.Salesforce.Soql;
using CrmSync.Emulator.Salesforce.Soql.Syntax;

namespace CrmSync.Emulator.Tests.Soql;

public sealed class SoqlParserTests
{
    [Fact]
    public void Select_list_holds_fields_paths_and_counts()
    {
        var query = SoqlParser.Parse("SELECT Id, Owner.Name, Account.Owner.Email FROM Lead");

        var paths = query.Select.Cast<SoqlFieldSelectSyntax>().Select(s => s.Path.Segments).ToList();
        Assert.Equal(["Id"], paths[0]);
        Assert.Equal(["Owner", "Name"], paths[1]);
        Assert.Equal(["Account", "Owner", "Email"], paths[2]);
        Assert.Equal([11, 17], query.Select[1] is SoqlFieldSelectSyntax f ? f.Path.SegmentOffsets : []);
        Assert.Equal("Lead", query.From.Text);
    }

    [Fact]
    public void Count_without_and_with_argument_and_alias()
    {
        var bare = Assert.IsType<SoqlCountSelectSyntax>(Assert.Single(SoqlParser.Parse("SELECT COUNT() FROM Lead").Select));
        Assert.Null(bare.Argument);

        var counted = SoqlParser.Parse("select count(Id) total, COUNT(Email) FROM Lead").Select.Cast<SoqlCountSelectSyntax>().ToList();
        Assert.Equal("Id", counted[0].Argument!.Text);
        Assert.Equal("total", counted[0].Alias);
        Assert.Null(counted[1].Alias);
    }

    [Fact]
    public void Keywords_are_case_insensitive()
    {
        var query = SoqlParser.Parse("sElEcT Id FrOm Lead wHeRe Name = 'x' aNd IsDeleted = FALSE oRdEr bY Name DeSc NuLlS fIrSt LiMiT 5 oFfSeT 2");

        Assert.IsType<SoqlAndSyntax>(query.Where);
        var order = Assert.Single(query.OrderBy);
        Assert.True(order.Descending);
        Assert.True(order.NullsFirst);
        Assert.Equal(5, query.Limit);
        Assert.Equal(2, query.Offset);
    }

    [Fact]
    public void Parentheses_decide_the_tree_and_and_or_chains_flatten()
    {
        var left = SoqlParser.Parse("SELECT Id FROM Lead WHERE (A = 1 AND B = 2) OR C = 3").Where;
        var or = Assert.IsType<SoqlOrSyntax>(left);
        Assert.IsType<SoqlAndSyntax>(or.Operands[0]);
        Assert.IsType<SoqlComparisonSyntax>(or.Operands[1]);

        var right = SoqlParser.Parse("SELECT Id FROM Lead WHERE A = 1 AND (B = 2 OR C = 3) AND D = 4").Where;
        var and = Assert.IsType<SoqlAndSyntax>(right);
        Assert.Equal(3, and.Operands.Count);
        Assert.IsType<SoqlOrSyntax>(and.Operands[1]);
    }

    [Fact]
    public void Not_binds_tighter_than_and_and_or()
    {
        var where = SoqlParser.Parse("SELECT Id FROM Lead WHERE (NOT A = 1) AND B = 2").Where;
        var and = Assert.IsType<SoqlAndSyntax>(where);
        var not = Assert.IsType<SoqlNotSyntax>(and.Operands[0]);
        Assert.Equal("A", Assert.IsType<SoqlComparisonSyntax>(not.Operand).Field.Text);

        var grouped = Assert.IsType<SoqlNotSyntax>(SoqlParser.Parse("SELECT Id FROM Lead WHERE NOT (A = 1 OR B = 2)").Where);
        Assert.IsType<SoqlOrSyntax>(grouped.Operand);
    }

    [Theory]
    [InlineData("SELECT Id FROM Lead WHERE A = 1 AND B = 2 OR C = 3", "OR", 43)]
    [InlineData("SELECT Id FROM Lead WHERE A = 1 OR B = 2 AND C = 3", "AND", 42)]
    [InlineData("SELECT Id FROM Lead WHERE (A = 1 AND B = 2 OR C = 3)", "OR", 44)]
    [InlineData("SELECT Id FROM Lead WHERE A = 1 AND NOT B = 2", "NOT", 37)]
    public void Mixing_and_with_or_without_parentheses_is_rejected_like_salesforce(string soql, string token, int column)
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse(soql));

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.EndsWith($"\nERROR at Row:1:Column:{column}\nunexpected token: '{token}'", error.Message);
    }

    [Fact]
    public void All_comparison_operators()
    {
        var where = (SoqlAndSyntax)SoqlParser.Parse("SELECT Id FROM Lead WHERE A = 1 AND B != 1 AND C <> 1 AND D < 1 AND E <= 1 AND F > 1 AND G >= 1").Where!;

        Assert.Equal(
            [
                SoqlComparisonOperator.Equal, SoqlComparisonOperator.NotEqual, SoqlComparisonOperator.NotEqual,
                SoqlComparisonOperator.Less, SoqlComparisonOperator.LessOrEqual, SoqlComparisonOperator.Greater,
                SoqlComparisonOperator.GreaterOrEqual,
            ],
            where.Operands.Cast<SoqlComparisonSyntax>().Select(c => c.Operator));
    }

    [Fact]
    public void In_not_in_and_like()
    {
        var where = (SoqlAndSyntax)SoqlParser.Parse("SELECT Id FROM Lead WHERE Status IN ('Open', 'Closed') AND Id NOT IN ('a') AND Name LIKE 'Ac%'").Where!;

        var @in = Assert.IsType<SoqlInSyntax>(where.Operands[0]);
        Assert.False(@in.Negated);
        Assert.Equal(["Open", "Closed"], @in.Values.Select(v => v.Value));
        Assert.True(Assert.IsType<SoqlInSyntax>(where.Operands[1]).Negated);
        Assert.Equal("Ac%", Assert.IsType<SoqlLikeSyntax>(where.Operands[2]).Pattern.Value);
    }

    [Theory]
    [InlineData(@"'O\'Brien'", "O'Brien")]
    [InlineData(@"'back\\slash'", @"back\slash")]
    [InlineData(@"'line\nbreak'", "line\nbreak")]
    [InlineData(@"'tab\tbed'", "tab\tbed")]
    [InlineData(@"'say \""hi\""'", "say \"hi\"")]
    [InlineData(@"'100\%'", "100%")]
    [InlineData(@"'under\_score'", "under_score")]
    [InlineData(@"'\u00e9t\u00E9'", "été")]
    [InlineData("''", "")]
    public void String_escapes_decode(string literal, string expected)
    {
        var comparison = (SoqlComparisonSyntax)SoqlParser.Parse($"SELECT Id FROM Lead WHERE Name = {literal}").Where!;

        Assert.Equal(SoqlLiteralKind.String, comparison.Value.Kind);
        Assert.Equal(expected, comparison.Value.Value);
    }

    [Fact]
    public void An_unknown_escape_is_malformed()
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse(@"SELECT Id FROM Lead WHERE Name = 'a\qb'"));

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.EndsWith(@"Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.", error.Message);
    }

    [Theory]
    [InlineData("42", 42)]
    [InlineData("-7", -7)]
    [InlineData("+3", 3)]
    [InlineData("3.25", 3.25)]
    [InlineData("-0.5", -0.5)]
    public void Numbers(string literal, double expected)
    {
        var comparison = (SoqlComparisonSyntax)SoqlParser.Parse($"SELECT Id FROM Lead WHERE N = {literal}").Where!;

        Assert.Equal(SoqlLiteralKind.Number, comparison.Value.Kind);
        Assert.Equal((decimal)expected, comparison.Value.Value);
    }

    [Theory]
    [InlineData("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.0000000Z")]
    [InlineData("2024-01-01T02:30:00+02:30", "2024-01-01T00:00:00.0000000Z")]
    [InlineData("2023-12-31T19:00:00-05:00", "2024-01-01T00:00:00.0000000Z")]
    [InlineData("2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00.1230000Z")]
    public void Datetime_literals_are_normalized_to_utc(string literal, string expectedUtc)
    {
        var comparison = (SoqlComparisonSyntax)SoqlParser.Parse($"SELECT Id FROM Lead WHERE SystemModstamp > {literal}").Where!;

        Assert.Equal(SoqlLiteralKind.DateTime, comparison.Value.Kind);
        var value = Assert.IsType<DateTime>(comparison.Value.Value);
        Assert.Equal(DateTimeKind.Utc, value.Kind);
        Assert.Equal(expectedUtc, value.ToString("O"));
    }

    [Fact]
    public void Date_true_false_null_and_relative_dates()
    {
        var where = (SoqlAndSyntax)SoqlParser.Parse(
            "SELECT Id FROM Lead WHERE D = 2024-02-29 AND B = true AND C = FALSE AND E = null AND F = TODAY AND G > LAST_N_DAYS:30").Where!;
        var values = where.Operands.Cast<SoqlComparisonSyntax>().Select(c => c.Value).ToList();

        Assert.Equal(new DateOnly(2024, 2, 29), values[0].Value);
        Assert.Equal(true, values[1].Value);
        Assert.Equal(false, values[2].Value);
        Assert.Equal(SoqlLiteralKind.Null, values[3].Kind);
        Assert.Equal(new SoqlRelativeDate("TODAY", 0), values[4].Value);
        Assert.Equal(new SoqlRelativeDate("LAST_N_DAYS", 30), values[5].Value);
    }

    [Fact]
    public void Order_by_several_keys_keeps_explicit_null_placement_only()
    {
        var order = SoqlParser.Parse("SELECT Id FROM Lead ORDER BY SystemModstamp, Id ASC, Name DESC, Email ASC NULLS LAST, Company DESC NULLS FIRST").OrderBy;

        Assert.Equal(
            [(false, (bool?)null), (false, null), (true, null), (false, false), (true, true)],
            order.Select(o => (o.Descending, o.NullsFirst)));
    }

    [Fact]
    public void Object_names_may_be_words_soql_reserves()
    {
        Assert.Equal("Order", SoqlParser.Parse("SELECT Id FROM Order").From.Text);
    }

    [Theory]
    [InlineData("SELECT Id FROM Lead WHERE", "unexpected token: <EOF>", 26)]
    [InlineData("SELECT Id Lead", "unexpected token: 'Lead'", 11)]
    [InlineData("SELECT FROM Lead", "unexpected token: 'FROM'", 8)]
    [InlineData("SELECT Id FROM Lead LIMIT -1", "unexpected token: '-1'", 27)]
    [InlineData("SELECT Id FROM Lead LIMIT 1.5", "unexpected token: '1.5'", 27)]
    [InlineData("SELECT Id FROM Lead WHERE Name == 'x'", "unexpected token: '='", 33)]
    [InlineData("SELECT Id FROM Lead GROUP BY Name", "unexpected token: 'GROUP'", 21)]
    [InlineData("SELECT Id FROM Lead WHERE Name = \"x\"", "unexpected token: '\"'", 34)]
    [InlineData("SELECT Id FROM Lead WHERE Id IN (SELECT LeadId FROM CampaignMember)", "unexpected token: 'SELECT'", 34)]
    [InlineData("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00", "unexpected token: '2024-01-01T00:00:00'", 44)]
    [InlineData("SELECT Id FROM Lead WHERE ConvertedDate = 2024-13-01", "unexpected token: '2024-13-01'", 43)]
    public void Syntax_errors_are_malformed_query_with_position(string soql, string explanation, int column)
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse(soql));

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.Equal(1, error.Row);
        Assert.Equal(column, error.Column);
        Assert.EndsWith($"\nERROR at Row:1:Column:{column}\n{explanation}", error.Message);
    }

    [Theory]
    [InlineData("INCLUDES")]
    [InlineData("excludes")]
    public void Includes_and_excludes_are_rejected_as_unsupported(string op)
    {
        var error = Assert.Throws<SoqlException>(() => SoqlParser.Parse($"SELECT Id FROM Lead WHERE Interests__c {op} ('a')"));

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.Contains("not supported", error.Message);
    }
}
