using CrmSync.Emulator.Salesforce.Soql;

namespace CrmSync.Emulator.Tests.Soql;

/// <summary>A small Salesforce-like schema (Lead, User, Account) and row builders for the SOQL tests.</summary>
internal static class SoqlTestData
{
    public static readonly SoqlSchema Schema = BuildSchema();

    public static readonly DateTimeOffset Now = new(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);

    public static string LeadId(int n) => $"00Q{n:D12}AAA";

    public static string UserId(int n) => $"005{n:D12}AAA";

    public static string AccountId(int n) => $"001{n:D12}AAA";

    public static DateTime Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, DateTimeKind.Utc);

    /// <summary>A lead row with every field present; <paramref name="set"/> overrides fields.</summary>
    public static Dictionary<string, object?> Lead(int n, params (string Field, object? Value)[] set)
    {
        var row = new Dictionary<string, object?>
        {
            ["Id"] = LeadId(n),
            ["FirstName"] = $"First{n}",
            ["LastName"] = $"Last{n}",
            ["Email"] = $"lead{n}@example.com",
            ["Company"] = $"Company {n}",
            ["Status"] = "Open",
            ["OwnerId"] = null,
            ["ConvertedAccountId"] = null,
            ["MasterRecordId"] = null,
            ["IsDeleted"] = false,
            ["IsConverted"] = false,
            ["NumberOfEmployees"] = null,
            ["AnnualRevenue"] = null,
            ["ConvertedDate"] = null,
            ["CreatedDate"] = Utc(2024, 1, 1),
            ["SystemModstamp"] = Utc(2024, 1, 1),
        };
        foreach (var (field, value) in set)
        {
            row[field] = value;
        }

        return row;
    }

    public static SoqlExecutionContext Context(params IReadOnlyDictionary<string, object?>[] parents) =>
        new(Now, (objectName, id) => parents.FirstOrDefault(p => Equals(p["Id"], id) && ObjectOf(id) == objectName));

    public static SoqlQueryResult Run(string soql, IEnumerable<IReadOnlyDictionary<string, object?>> rows, SoqlExecutionContext? context = null) =>
        SoqlPlan.Compile(soql, Schema).Execute(rows, context ?? Context());

    /// <summary>The values of one field of every result record, in order.</summary>
    public static List<object?> Column(SoqlQueryResult result, string field) => result.Records.Select(r => r[field]).ToList();

    public static SoqlException CompileError(string soql) =>
        Assert.Throws<SoqlException>(() => SoqlPlan.Compile(soql, Schema));

    private static string ObjectOf(string id) => id[..3] switch
    {
        "00Q" => "Lead",
        "005" => "User",
        "001" => "Account",
        _ => "?",
    };

    private static SoqlSchema BuildSchema()
    {
        var schema = new SoqlSchema();
        schema.Add("Lead", [
            new SoqlField("Id", SoqlFieldType.Id),
            new SoqlField("FirstName", SoqlFieldType.String),
            new SoqlField("LastName", SoqlFieldType.String),
            new SoqlField("Email", SoqlFieldType.String),
            new SoqlField("Company", SoqlFieldType.String),
            new SoqlField("Status", SoqlFieldType.String),
            new SoqlField("OwnerId", SoqlFieldType.Reference, "User", "Owner"),
            new SoqlField("ConvertedAccountId", SoqlFieldType.Reference, "Account", "ConvertedAccount"),
            new SoqlField("MasterRecordId", SoqlFieldType.Reference, "Lead", "MasterRecord"),
            new SoqlField("IsDeleted", SoqlFieldType.Boolean),
            new SoqlField("IsConverted", SoqlFieldType.Boolean),
            new SoqlField("NumberOfEmployees", SoqlFieldType.Integer),
            new SoqlField("AnnualRevenue", SoqlFieldType.Currency),
            new SoqlField("ConvertedDate", SoqlFieldType.Date),
            new SoqlField("CreatedDate", SoqlFieldType.DateTime),
            new SoqlField("SystemModstamp", SoqlFieldType.DateTime),
        ]);
        schema.Add("User", [
            new SoqlField("Id", SoqlFieldType.Id),
            new SoqlField("Name", SoqlFieldType.String),
            new SoqlField("Email", SoqlFieldType.String),
            new SoqlField("IsActive", SoqlFieldType.Boolean),
            new SoqlField("ManagerId", SoqlFieldType.Reference, "User", "Manager"),
        ]);
        schema.Add("Account", [
            new SoqlField("Id", SoqlFieldType.Id),
            new SoqlField("Name", SoqlFieldType.String),
            new SoqlField("OwnerId", SoqlFieldType.Reference, "User", "Owner"),
        ]);
        return schema;
    }
}
