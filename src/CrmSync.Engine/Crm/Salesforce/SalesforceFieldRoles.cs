namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// The roles of Salesforce fields: describe does not flag them, they are Salesforce's standard field names. The one
/// place that knows them; the schema reader reports them (<see cref="CrmObjectSchema"/>) and store migration 6 fills the
/// roles of catalogues written before they were stored from the same names (<see cref="ICrmProvider.RolesFromNames"/>).
/// </summary>
internal static class SalesforceFieldRoles
{
    public const string Id = "Id";
    public const string IsDeleted = "IsDeleted";
    public const string MasterRecordId = "MasterRecordId";
    public const string CreatedDate = "CreatedDate";
    public const string IsConverted = "IsConverted";
    public const string ConvertedContactId = "ConvertedContactId";

    /// <summary>The modification stamp, in preference order: SystemModstamp moves on every change, system ones included.</summary>
    private static readonly string[] StampCandidates = ["SystemModstamp", "LastModifiedDate", CreatedDate];

    /// <summary>Fields Salesforce maintains itself: never reported as "not pushed" when a local create carries them.</summary>
    public static IReadOnlySet<string> SystemFields { get; } =
        new HashSet<string>([Id, IsDeleted, "SystemModstamp", CreatedDate, "LastModifiedDate"], StringComparer.OrdinalIgnoreCase);

    /// <summary><paramref name="schema"/> with the roles its field names give.</summary>
    public static CrmObjectSchema Apply(CrmObjectSchema schema)
    {
        string? Name(string n) => schema.FindField(n) is null ? null : n;
        var stamp = StampCandidates.Select(Name).FirstOrDefault(n => n is not null);
        var isConverted = Name(IsConverted);
        var convertedContact = Name(ConvertedContactId);
        return schema with
        {
            PrimaryIdField = Id,
            ModificationStampField = stamp,
            DeletedFlagField = Name(IsDeleted),
            MergedIntoField = Name(MasterRecordId),
            CreatedDateField = Name(CreatedDate),
            ConvertedIntoFields = isConverted is not null && convertedContact is not null ? [isConverted, convertedContact] : [],
        };
    }

    /// <summary>The roles of an object's fields known only by name (a catalogue from before roles were stored).</summary>
    public static IReadOnlyDictionary<string, CrmFieldRole> FromNames(IReadOnlyCollection<string> fieldNames)
    {
        var fields = fieldNames.Select(n => new CrmFieldSchema(n, n, CrmFieldType.Other, "", 0, 0, 0, false, false, true, false, false, false, false, [], [])).ToList();
        var schema = Apply(new CrmObjectSchema("", "", false, false, false, false, false, fields));
        var roles = new Dictionary<string, CrmFieldRole>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in fieldNames)
            if (schema.RolesOf(name) is var r && r != CrmFieldRole.None)
                roles[name] = r;
        return roles;
    }
}
