using CrmSync.Engine.Conflicts;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Conflicts;

public sealed class ConflictResolverTests
{
    public static TheoryData<ConflictRecordKind, FieldMappingRule, bool, ConflictResolution> Table()
    {
        var data = new TheoryData<ConflictRecordKind, FieldMappingRule, bool, ConflictResolution>();
        foreach (var kind in Enum.GetValues<ConflictRecordKind>())
            foreach (var rule in Enum.GetValues<FieldMappingRule>())
                foreach (var crmBlank in new[] { false, true })
                    data.Add(kind, rule, crmBlank, Expected(kind, rule, crmBlank));
        return data;
    }

    // The rule table of PRODUCT.md "Conflicts", written out cell by cell.
    private static ConflictResolution Expected(ConflictRecordKind kind, FieldMappingRule rule, bool crmBlank) => (kind, rule, crmBlank) switch
    {
        (_, FieldMappingRule.None, _) => ConflictResolution.NotSynced,
        (ConflictRecordKind.OneWay, _, _) => ConflictResolution.CrmWins,
        (ConflictRecordKind.Lead, FieldMappingRule.TwoWay, _) => ConflictResolution.LocalWins,
        (ConflictRecordKind.Contact, FieldMappingRule.TwoWay, _) => ConflictResolution.CrmWins,
        (ConflictRecordKind.OtherTwoWay, FieldMappingRule.TwoWay, _) => ConflictResolution.CrmWins,
        (_, FieldMappingRule.PreferCrmUnlessBlank, true) => ConflictResolution.LocalWins,
        (_, FieldMappingRule.PreferCrmUnlessBlank, false) => ConflictResolution.CrmWins,
        (_, FieldMappingRule.AlwaysCrm, _) => ConflictResolution.CrmWins,
        (_, FieldMappingRule.AlwaysLocal, _) => ConflictResolution.LocalWins,
        _ => throw new InvalidOperationException("uncovered cell"),
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_rule_kind_and_blankness_resolves_as_the_table_says(ConflictRecordKind kind, FieldMappingRule rule, bool crmBlank, ConflictResolution expected)
    {
        var blankValues = new object?[] { null, "" };
        var values = crmBlank ? blankValues : new object?[] { "CRM value", 0L, 12.5 };
        foreach (var value in values)
        {
            var decision = ConflictResolver.Resolve(kind, rule, value);
            Assert.Equal(expected, decision.Resolution);
            Assert.False(string.IsNullOrWhiteSpace(decision.Rule));
            Assert.Equal(expected switch
            {
                ConflictResolution.LocalWins => ConflictWinner.Local,
                ConflictResolution.CrmWins => ConflictWinner.Crm,
                _ => (ConflictWinner?)null,
            }, decision.Winner);
        }
    }

    [Fact]
    public void The_table_has_a_cell_for_every_combination()
    {
        Assert.Equal(Enum.GetValues<ConflictRecordKind>().Length * Enum.GetValues<FieldMappingRule>().Length * 2, Table().Count);
    }

    [Theory]
    [InlineData("Lead", true, ConflictRecordKind.Lead)]
    [InlineData("Contact", true, ConflictRecordKind.Contact)]
    [InlineData("CampaignMember", true, ConflictRecordKind.OtherTwoWay)]
    [InlineData("Campaign", true, ConflictRecordKind.OtherTwoWay)]
    [InlineData("Account", false, ConflictRecordKind.OneWay)]
    [InlineData("Lead", false, ConflictRecordKind.OneWay)]
    public void The_kind_follows_the_object_and_its_direction(string objectName, bool twoWay, ConflictRecordKind expected) =>
        Assert.Equal(expected, ConflictResolver.KindOf(objectName, twoWay));

    [Fact]
    public void The_default_rules_name_Marketo()
    {
        Assert.Contains("Marketo", ConflictResolver.Resolve(ConflictRecordKind.Lead, FieldMappingRule.TwoWay, "x").Rule, StringComparison.Ordinal);
        Assert.Contains("Marketo", ConflictResolver.Resolve(ConflictRecordKind.Contact, FieldMappingRule.TwoWay, "x").Rule, StringComparison.Ordinal);
        Assert.Contains("Marketo", ConflictResolver.Resolve(ConflictRecordKind.OneWay, FieldMappingRule.TwoWay, "x").Rule, StringComparison.Ordinal);
    }
}
