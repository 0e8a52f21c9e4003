using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;

namespace CrmSync.Engine.Tests.Crm;

public sealed class SoqlBuilderTests
{
    private static readonly CrmObjectSchema Lead = SalesforceFixtureParsingTests.LeadSchema();

    [Fact]
    public void String_literals_escape_quotes_backslashes_and_control_characters()
    {
        Assert.Equal(@"'O\'Brien \\ \"" \n\r\t'", SoqlSyntax.FormatLiteral("O'Brien \\ \" \n\r\t"));
        var q = SoqlBuilder.From(Lead).Select("Id").Where(SoqlCondition.Compare("LastName", SoqlOperator.Equal, "x' OR Name != '")).Build();
        Assert.Equal(@"SELECT Id FROM Lead WHERE LastName = 'x\' OR Name != \''", q);
    }

    [Fact]
    public void Datetimes_are_unquoted_utc_with_milliseconds_and_other_literals_are_typed()
    {
        Assert.Equal("2024-01-02T03:04:05.678Z", SoqlSyntax.FormatLiteral(new DateTimeOffset(2024, 1, 2, 5, 4, 5, 678, TimeSpan.FromHours(2))));
        Assert.Equal("2024-01-02", SoqlSyntax.FormatLiteral(new DateOnly(2024, 1, 2)));
        Assert.Equal("true", SoqlSyntax.FormatLiteral(true));
        Assert.Equal("null", SoqlSyntax.FormatLiteral(null));
        Assert.Equal("12.5", SoqlSyntax.FormatLiteral(12.5m));
        Assert.Equal("42", SoqlSyntax.FormatLiteral(42L));
        Assert.Throws<ArgumentException>(() => SoqlSyntax.FormatLiteral(new object()));
    }

    [Theory]
    [InlineData("Name FROM User--")]
    [InlineData("Id,Name")]
    [InlineData("Id)")]
    [InlineData("")]
    [InlineData("1Field")]
    [InlineData("Field__c; DELETE")]
    [InlineData("Name'")]
    public void Malformed_identifiers_are_rejected(string field)
    {
        var ex = Assert.Throws<CrmSyncException>(() => SoqlBuilder.From(Lead).Select(field).Build());
        Assert.Equal(ErrorIds.InvalidArgument, ex.ErrorId);
    }

    [Fact]
    public void Identifiers_must_exist_in_the_describe_and_take_its_spelling()
    {
        var ex = Assert.Throws<CrmSyncException>(() => SoqlBuilder.From(Lead).Select("Id", "Secret_Field__c").Build());
        Assert.Equal(ErrorIds.CrmFieldNotFound, ex.ErrorId);
        Assert.Contains("Secret_Field__c", ex.Message);
        Assert.Equal("SELECT Id, LastName FROM Lead", SoqlBuilder.From(Lead).Select("id", "LASTNAME", "Id").Build());
        Assert.Throws<CrmSyncException>(() => SoqlBuilder.From(Lead).Select("Id").Where(SoqlCondition.Compare("Nope", SoqlOperator.Equal, 1L)).Build());
    }

    [Fact]
    public void Incremental_query_starts_at_the_watermark_minus_overlap_ordered_by_stamp_and_id()
    {
        var from = new DateTimeOffset(2024, 5, 1, 11, 55, 0, TimeSpan.Zero);
        var q = SalesforceChangeQuery.Build(Lead, ["LastName", "Email"], from, null, 2000, includeDeleted: true);
        Assert.Equal("SELECT Id, SystemModstamp, IsDeleted, MasterRecordId, LastName, Email FROM Lead WHERE SystemModstamp >= 2024-05-01T11:55:00.000Z ORDER BY SystemModstamp, Id LIMIT 2000", q);
        Assert.True(SalesforceChangeQuery.UsesQueryAll(Lead, includeDeleted: true));
        Assert.False(SalesforceChangeQuery.UsesQueryAll(Lead, includeDeleted: false));
    }

    [Fact]
    public void Keyset_continuation_never_loses_or_repeats_equal_stamps()
    {
        var s = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var q = SalesforceChangeQuery.Build(Lead, ["LastName"], null, (s, "00Q000000000001AAA"), 500, includeDeleted: false);
        Assert.Equal("SELECT Id, SystemModstamp, LastName FROM Lead WHERE (SystemModstamp > 2024-05-01T12:00:00.000Z OR (SystemModstamp = 2024-05-01T12:00:00.000Z AND Id > '00Q000000000001AAA')) ORDER BY SystemModstamp, Id LIMIT 500", q);
    }

    [Fact]
    public void Objects_without_a_stamp_page_by_id()
    {
        var schema = Lead with { ModificationStampField = null };
        Assert.Equal("SELECT Id, LastName FROM Lead WHERE Id > '00Q000000000001AAA' ORDER BY Id LIMIT 200",
            SalesforceChangeQuery.Build(schema, ["LastName"], null, (null, "00Q000000000001AAA"), 200, includeDeleted: false));
    }

    [Fact]
    public void Count_and_record_id_checks()
    {
        Assert.Equal("SELECT COUNT() FROM Lead", SoqlBuilder.From(Lead).SelectCount().Build());
        Assert.True(SoqlSyntax.IsValidRecordId("00Q5g00000DYz3mEAD"));
        Assert.True(SoqlSyntax.IsValidRecordId("00Q5g00000DYz3m"));
        Assert.False(SoqlSyntax.IsValidRecordId("00Q5g00000DYz3mEAD,001"));
        Assert.False(SoqlSyntax.IsValidRecordId("../../x"));
    }
}
