using CrmSync.Emulator.Salesforce.Soql;
using static CrmSync.Emulator.Tests.Soql.SoqlTestData;

namespace CrmSync.Emulator.Tests.Soql;

/// <summary>
/// Error codes and messages as Salesforce writes them. The expected texts come from captured Salesforce
/// responses (restforce issues, Salesforce CLI output, MuleSoft templates) quoted in the protocol notes.
/// </summary>
public sealed class SoqlErrorTests
{
    private const string CustomFieldHint =
        "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

    [Fact]
    public void Unknown_field_matches_salesforce_exactly()
    {
        var error = CompileError("SELECT Foo__c FROM Lead");

        Assert.Equal("INVALID_FIELD", error.ErrorCode);
        Assert.Equal(
            "\nSELECT Foo__c FROM Lead\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo__c' on entity 'Lead'. " + CustomFieldHint,
            error.Message);
        Assert.Equal((1, 8), (error.Row, error.Column));
    }

    [Fact]
    public void Unknown_object_is_invalid_type()
    {
        var error = CompileError("SELECT Id FROM Contact123");

        Assert.Equal("INVALID_TYPE", error.ErrorCode);
        Assert.Equal(
            "\nSELECT Id FROM Contact123\n               ^\nERROR at Row:1:Column:16\nsObject type 'Contact123' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
            error.Message);
    }

    [Fact]
    public void A_long_line_is_cut_to_a_window_around_the_error_as_salesforce_does()
    {
        // Salesforce CLI, captured: the part after FlowDefinition is not shown.
        var schema = new SoqlSchema();
        schema.Add("FlowDefinition", [new SoqlField("Id", SoqlFieldType.Id), new SoqlField("Status", SoqlFieldType.String)]);

        var error = Assert.Throws<SoqlException>(() => SoqlPlan.Compile(
            "SELECT Id, ApiName, Status FROM FlowDefinition WHERE ApiName IN ('AGENT_SearchAccounts','AGENT_SearchContacts')",
            schema));

        Assert.Equal(
            "\nSELECT Id, ApiName, Status FROM FlowDefinition\n           ^\nERROR at Row:1:Column:12\nNo such column 'ApiName' on entity 'FlowDefinition'. " + CustomFieldHint,
            error.Message);
    }

    [Fact]
    public void A_long_select_list_shows_the_neighbouring_fields_only()
    {
        var schema = new SoqlSchema();
        schema.Add("OCE__ActivityPlan__c", new[] { "Id", "OCE__Status__c", "CreatedById", "OCE__ActualCap__c", "Name", "OCE__JobId__c" }
            .Select(n => new SoqlField(n, SoqlFieldType.String)));

        var error = Assert.Throws<SoqlException>(() => SoqlPlan.Compile(
            "SELECT Id,OCE__Status__c,CreatedById,OCE__ActualCap__c,TPI_Product__c,Name,OCE__JobId__c FROM OCE__ActivityPlan__c",
            schema));

        Assert.StartsWith(
            "\nCreatedById,OCE__ActualCap__c,TPI_Product__c,Name,OCE__JobId__c\n                              ^\nERROR at Row:1:Column:56\nNo such column 'TPI_Product__c' on entity 'OCE__ActivityPlan__c'.",
            error.Message);
    }

    [Fact]
    public void A_long_where_line_is_cut_around_the_error_as_salesforce_does()
    {
        // Captured: "'0014000000p6XlS' AND LastName LIKE 'test' OR email LIKE 'test' ERROR at Row:3 … unexpected token: OR".
        var error = CompileError("SELECT Id, Email, Name\nFROM Contact\nWHERE AccountId = '0014000000p6XlS' AND LastName LIKE 'test' OR email LIKE 'test'");

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.Equal(
            "\n'0014000000p6XlS' AND LastName LIKE 'test' OR email LIKE 'test'\n                                           ^\nERROR at Row:3:Column:62\nunexpected token: 'OR'",
            error.Message);
    }

    [Fact]
    public void A_multi_line_query_shows_the_row_of_the_error()
    {
        var error = CompileError("SELECT Id\nFROM Lead\nWHERE Foo = 1");

        Assert.Equal("\nWHERE Foo = 1\n      ^\nERROR at Row:3:Column:7\nNo such column 'Foo' on entity 'Lead'. " + CustomFieldHint, error.Message);
    }

    [Fact]
    public void Unknown_field_behind_a_relationship_names_the_parent_entity()
    {
        var error = CompileError("SELECT Id, Owner.Foo FROM Lead");

        Assert.Equal("INVALID_FIELD", error.ErrorCode);
        Assert.Equal("\nSELECT Id, Owner.Foo FROM Lead\n                 ^\nERROR at Row:1:Column:18\nNo such column 'Foo' on entity 'User'. " + CustomFieldHint, error.Message);
    }

    [Fact]
    public void Unknown_relationship()
    {
        var error = CompileError("SELECT Id, Boss.Name FROM Lead");

        Assert.Equal("INVALID_FIELD", error.ErrorCode);
        Assert.EndsWith(
            "ERROR at Row:1:Column:12\nDidn't understand relationship 'Boss' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.",
            error.Message);
    }

    [Fact]
    public void A_quoted_datetime_is_refused_with_salesforce_wording()
    {
        var error = CompileError("SELECT Id FROM Lead WHERE SystemModstamp > '2024-01-01'");

        Assert.Equal("INVALID_FIELD", error.ErrorCode);
        Assert.Equal(
            "\nSELECT Id FROM Lead WHERE SystemModstamp > '2024-01-01'\n                          ^\nERROR at Row:1:Column:27\nvalue of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes",
            error.Message);
    }

    [Theory]
    [InlineData("SELECT Id FROM Lead WHERE IsDeleted = 'true'", "IsDeleted", "boolean", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE NumberOfEmployees > '5'", "NumberOfEmployees", "int", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE AnnualRevenue > '5'", "AnnualRevenue", "currency", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE ConvertedDate = '2024-01-01'", "ConvertedDate", "date", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-01", "SystemModstamp", "dateTime", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE ConvertedDate > 2024-01-01T00:00:00Z", "ConvertedDate", "date", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE IsDeleted = 1", "IsDeleted", "boolean", "not ")]
    [InlineData("SELECT Id FROM Lead WHERE LastName = 5", "LastName", "string", "")]
    [InlineData("SELECT Id FROM Lead WHERE LastName = true", "LastName", "string", "")]
    [InlineData("SELECT Id FROM Lead WHERE LastName = TODAY", "LastName", "string", "")]
    [InlineData("SELECT Id FROM Lead WHERE Id = 5", "Id", "id", "")]
    [InlineData("SELECT Id FROM Lead WHERE OwnerId IN ('005000000000001AAA', 7)", "OwnerId", "reference", "")]
    [InlineData("SELECT Id FROM Lead WHERE Owner.Name = 1", "Name", "string", "")]
    public void Literal_of_the_wrong_type(string soql, string field, string type, string not)
    {
        var error = CompileError(soql);

        Assert.Equal("INVALID_FIELD", error.ErrorCode);
        Assert.EndsWith($"\nvalue of filter criterion for field '{field}' must be of type {type} and should {not}be enclosed in quotes", error.Message);
    }

    [Theory]
    [InlineData("SELECT Id FROM Lead WHERE Id = '123'", "123")]
    [InlineData("SELECT Id FROM Lead WHERE OwnerId = '005-000000000001'", "005-000000000001")]
    public void A_malformed_id_is_an_invalid_filter(string soql, string id)
    {
        var error = CompileError(soql);

        Assert.Equal("INVALID_QUERY_FILTER_OPERATOR", error.ErrorCode);
        Assert.EndsWith($"\ninvalid ID field: {id}", error.Message);
    }

    [Fact]
    public void Like_on_a_non_text_field_is_an_invalid_operator()
    {
        var error = CompileError("SELECT Id FROM Lead WHERE Id LIKE '00Q%'");

        Assert.Equal("INVALID_QUERY_FILTER_OPERATOR", error.ErrorCode);
        Assert.EndsWith("\ninvalid operator on id field: Id", error.Message);
    }

    [Fact]
    public void Offset_above_2000_is_outside_the_valid_range()
    {
        var error = CompileError("SELECT Id FROM Lead ORDER BY Id LIMIT 10 OFFSET 2001");

        Assert.Equal("NUMBER_OUTSIDE_VALID_RANGE", error.ErrorCode);
        Assert.Equal("Maximum SOQL offset allowed is 2000", error.Message);
        Assert.Equal(2000, SoqlPlan.Compile("SELECT Id FROM Lead LIMIT 10 OFFSET 2000", Schema).Offset);
    }

    [Theory]
    [InlineData("SELECT Id, COUNT() FROM Lead", "COUNT() must be the only element in the SELECT list.")]
    [InlineData("SELECT Name, COUNT(Id) FROM User", "Field must be grouped or aggregated: Name")]
    [InlineData("SELECT COUNT(Id) FROM Lead ORDER BY LastName", "Ordered field must be grouped or aggregated: LastName")]
    [InlineData("SELECT Id, LastName, id FROM Lead", "duplicate field selected: Id")]
    public void Select_list_shape_errors_are_malformed(string soql, string explanation)
    {
        var error = CompileError(soql);

        Assert.Equal("MALFORMED_QUERY", error.ErrorCode);
        Assert.EndsWith("\n" + explanation, error.Message);
    }

    [Fact]
    public void Unknown_field_in_where_and_order_by_are_reported_too()
    {
        Assert.EndsWith("No such column 'Nope' on entity 'Lead'. " + CustomFieldHint, CompileError("SELECT Id FROM Lead WHERE Nope = null").Message);
        Assert.Contains("ERROR at Row:1:Column:30", CompileError("SELECT Id FROM Lead ORDER BY Nope").Message);
    }
}
