using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Tests.Reports;

/// <summary>An in-memory <see cref="ICrmSchemaReader"/> serving fixed describes (a copy of the Schema tests' approach, trimmed to what reports need).</summary>
internal sealed class ReportSchemaReader(IEnumerable<CrmObjectSchema> objects) : ICrmSchemaReader
{
    private readonly Dictionary<string, CrmObjectSchema> _objects = objects.ToDictionary(o => o.Name, StringComparer.OrdinalIgnoreCase);

    public Task<IReadOnlyList<CrmObjectSummary>> ListObjectsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CrmObjectSummary>>(_objects.Values
            .Select(o => new CrmObjectSummary(o.Name, o.Label, o.Custom, o.Createable, o.Updateable, o.Deletable, o.Queryable, o.SupportsChangeTracking))
            .ToList());

    public Task<CrmObjectSchema> DescribeAsync(string objectName, CancellationToken cancellationToken) =>
        _objects.TryGetValue(objectName, out var schema)
            ? Task.FromResult(schema)
            : throw new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.ObjectNotFound, $"The requested resource does not exist: {objectName}",
                "Check the object name.", objectName);
}

/// <summary>Salesforce-like describes of Lead, Contact and Account with the fields the duplicate rules read.</summary>
internal static class ReportSchemas
{
    private static CrmFieldSchema F(string name, CrmFieldType type, string native, bool createable = true, bool updateable = true,
        bool externalId = false, params string[] referenceTo) =>
        new(name, name, type, native, type is CrmFieldType.String or CrmFieldType.Email ? 80 : 0, 0, 0, createable, updateable, true,
            name.EndsWith("__c", StringComparison.Ordinal), false, externalId, externalId, referenceTo, []);

    private static CrmFieldSchema Id() => F("Id", CrmFieldType.Id, "id", createable: false, updateable: false);
    private static CrmFieldSchema IsDeleted() => F("IsDeleted", CrmFieldType.Boolean, "boolean", createable: false, updateable: false);
    private static CrmFieldSchema CreatedDate() => F("CreatedDate", CrmFieldType.DateTime, "datetime", createable: false, updateable: false);
    private static CrmFieldSchema SystemModstamp() => F("SystemModstamp", CrmFieldType.DateTime, "datetime", createable: false, updateable: false);

    private static CrmObjectSchema Obj(string name, IReadOnlyList<CrmFieldSchema> fields) =>
        new(name, name, false, true, true, true, true, fields)
        {
            SupportsChangeTracking = true,
            ModificationStampField = "SystemModstamp",
            DeletedFlagField = "IsDeleted",
            MergedIntoField = fields.Any(f => f.Name == "MasterRecordId") ? "MasterRecordId" : null,
            // as the Salesforce schema reader reports them (field roles are data: Sync-CrmField stores them in the catalog)
            CreatedDateField = fields.Any(f => f.Name == "CreatedDate") ? "CreatedDate" : null,
            ConvertedIntoFields = fields.Any(f => f.Name == "IsConverted") && fields.Any(f => f.Name == "ConvertedContactId") ? ["IsConverted", "ConvertedContactId"] : [],
        };

    public static CrmObjectSchema Lead() => Obj("Lead",
    [
        Id(), IsDeleted(),
        F("MasterRecordId", CrmFieldType.Reference, "reference", createable: false, updateable: false, referenceTo: ["Lead"]),
        F("FirstName", CrmFieldType.String, "string"),
        F("LastName", CrmFieldType.String, "string"),
        F("Company", CrmFieldType.String, "string"),
        F("Email", CrmFieldType.Email, "email"),
        F("IsConverted", CrmFieldType.Boolean, "boolean", updateable: false),
        F("ConvertedContactId", CrmFieldType.Reference, "reference", createable: false, updateable: false, referenceTo: ["Contact"]),
        CreatedDate(), SystemModstamp(),
        F("CrmSync_Key__c", CrmFieldType.String, "string", externalId: true),
    ]);

    public static CrmObjectSchema Contact() => Obj("Contact",
    [
        Id(), IsDeleted(),
        F("MasterRecordId", CrmFieldType.Reference, "reference", createable: false, updateable: false, referenceTo: ["Contact"]),
        F("AccountId", CrmFieldType.Reference, "reference", referenceTo: ["Account"]),
        F("FirstName", CrmFieldType.String, "string"),
        F("LastName", CrmFieldType.String, "string"),
        F("Email", CrmFieldType.Email, "email"),
        CreatedDate(), SystemModstamp(),
        F("CrmSync_Key__c", CrmFieldType.String, "string", externalId: true),
    ]);

    public static CrmObjectSchema Account() => Obj("Account",
    [
        Id(), IsDeleted(),
        F("Name", CrmFieldType.String, "string"),
        CreatedDate(), SystemModstamp(),
    ]);

    /// <summary>Lead, Contact and Account.</summary>
    public static ReportSchemaReader Org(bool withAccount = true) =>
        new(withAccount ? [Lead(), Contact(), Account()] : [Lead(), Contact()]);
}
