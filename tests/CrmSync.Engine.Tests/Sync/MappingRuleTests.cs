using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Sync;

public sealed class MappingRuleTests
{
    [Fact]
    public async Task The_pull_honours_the_mapping_rules_disabled_mappings_and_none()
    {
        using var bed = new SyncTestBed();
        var mappings = new FieldMappingService(bed.Store, SyncedObjectCatalog.Salesforce);
        mappings.Set(new FieldMappingChange("Lead", "LastName") { Rule = FieldMappingRule.AlwaysLocal });
        mappings.Set(new FieldMappingChange("Lead", "Company") { Rule = FieldMappingRule.PreferCrmUnlessBlank });
        mappings.Set(new FieldMappingChange("Lead", "Email") { Enabled = false });
        mappings.Set(new FieldMappingChange("Lead", "NumberOfEmployees") { Rule = FieldMappingRule.None });
        bed.Lead("00Q000000000001AAA", "Ames", "ames@example.com", company: "Acme", employees: 10);

        await bed.CycleAsync();

        var row = bed.Row("person", "00Q000000000001AAA");
        Assert.Equal("Ames", row["LastName"]); // a new row takes the CRM value even for AlwaysLocal
        Assert.Equal("Acme", row["Company"]);
        Assert.Null(row["Email"]); // disabled: not synced
        Assert.Null(row["NumberOfEmployees"]); // rule None: not synced
        Assert.DoesNotContain("Email", bed.Source.LastRequestedFields["Lead"]);

        bed.Execute("UPDATE person SET LastName = 'Ames (local)' WHERE _crm_id = '00Q000000000001AAA'");
        bed.Lead("00Q000000000001AAA", "Ames-CRM", "new@example.com", company: null, employees: 20);
        await bed.CycleAsync();

        row = bed.Row("person", "00Q000000000001AAA");
        Assert.Equal("Ames (local)", row["LastName"]); // AlwaysLocal: the local value stays
        Assert.Equal("Acme", row["Company"]); // PreferCrmUnlessBlank: a blank CRM value does not erase it
        Assert.Null(row["Email"]);

        bed.Lead("00Q000000000001AAA", "Ames-CRM", company: "Acme Corp");
        await bed.CycleAsync();
        Assert.Equal("Acme Corp", bed.Row("person", "00Q000000000001AAA")["Company"]);
    }
}
