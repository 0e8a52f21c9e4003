using System.Text.RegularExpressions;

namespace CrmSync.Engine.Tests.Architecture;

/// <summary>
/// Issue 11, done: outside Crm/Salesforce/, no engine, CLI or PowerShell source names a Salesforce object, field or header;
/// the sync reads them through the provider (<c>ICrmProvider</c>: synced objects, person rules, external key, field roles,
/// change-source capabilities). Zero matches are allowed anywhere else, with the exceptions below, each for its reason.
/// </summary>
public sealed partial class SalesforceNamesTests
{
    [GeneratedRegex("""(SystemModstamp|MasterRecordId|IsConverted|ConvertedContactId|Sforce-Limit-Info|CrmSync_Key__c|__c\b|"(Lead|Contact|CampaignMember|LastName|Company|IsDeleted)"|'(Lead|Contact)')""")]
    private static partial Regex SalesforceName();

    private static readonly string[] Scanned = ["src/CrmSync.Engine", "src/CrmSync.Cli", "src/CrmSync.PowerShell"];

    /// <summary>Where Salesforce names belong, and why.</summary>
    private static readonly string[] Allowed =
    [
        "src/CrmSync.Engine/Crm/Salesforce/", // the Salesforce adapter and provider: the one place that knows Salesforce
        "src/CrmSync.Cli/Demo/Salesforce/",   // `crmsync demo` drives the emulator's Salesforce org through its admin API (objects, SOQL)
        // The local person vocabulary (_crm_type = Lead or Contact, PRODUCT.md) is neutral by design: every CRM's person rules
        // map their objects to these two kinds. They are spelled once, here; everything else uses the constants.
        "src/CrmSync.Engine/Crm/PersonKind.cs",
    ];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.sln")))
                return dir.FullName;
        throw new InvalidOperationException("CrmSync.sln not found above " + AppContext.BaseDirectory);
    }

    private static Dictionary<string, int> Scan()
    {
        var root = RepositoryRoot();
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var folder in Scanned)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (Allowed.Any(a => relative.StartsWith(a, StringComparison.Ordinal)) || relative.Contains("/bin/", StringComparison.Ordinal)
                    || relative.Contains("/obj/", StringComparison.Ordinal))
                    continue;
                var count = SalesforceName().Matches(File.ReadAllText(file)).Count;
                if (count > 0)
                    found[relative] = count;
            }
        return found;
    }

    [Fact]
    public void No_source_outside_the_salesforce_folder_names_a_salesforce_object_field_or_header()
    {
        var found = Scan();

        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src/CrmSync.Engine/Crm/Salesforce"), "*.cs")); // the scan sees the tree
        Assert.True(found.Count == 0, "Salesforce names outside Crm/Salesforce/ (go through the provider instead):\n"
                                      + string.Join("\n", found.Select(f => $"{f.Key}: {f.Value}")));
    }

    [Fact]
    public void The_pattern_finds_the_names_it_is_meant_to_find()
    {
        foreach (var text in new[] { "SystemModstamp", "x.MasterRecordId", "\"Lead\"", "'Contact'", "Score__c", "Sforce-Limit-Info", "\"IsDeleted\"" })
            Assert.Matches(SalesforceName(), text);
        foreach (var text in new[] { "record.IsDeleted", "Leads", "person", "ModifiedAt" })
            Assert.DoesNotMatch(SalesforceName(), text);
    }
}
