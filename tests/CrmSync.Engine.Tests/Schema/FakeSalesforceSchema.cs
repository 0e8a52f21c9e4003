using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Tests.Schema;

/// <summary>
/// An in-memory <see cref="ICrmSchemaReader"/> with Salesforce-like describes (field names, native types and
/// createable/updateable/calculated flags as a real org reports them). Tests mutate <see cref="Objects"/> between runs to
/// simulate schema changes, and <see cref="Hidden"/> to simulate objects the sync user cannot see.
/// </summary>
internal sealed class FakeSchemaReader : ICrmSchemaReader
{
    public FakeSchemaReader(IEnumerable<CrmObjectSchema> objects, IEnumerable<CrmObjectSummary>? extraListed = null)
    {
        foreach (var o in objects)
            Objects[o.Name] = o;
        ExtraListed = extraListed?.ToList() ?? [];
    }

    /// <summary>The describable objects by name.</summary>
    public Dictionary<string, CrmObjectSchema> Objects { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Objects listed by describeGlobal that tests expect to be ignored (not synced).</summary>
    public List<CrmObjectSummary> ExtraListed { get; }

    /// <summary>Objects listed but whose describe fails with CrmObjectNotFound (a permission race).</summary>
    public HashSet<string> DescribeFails { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Described { get; } = [];

    public Task<IReadOnlyList<CrmObjectSummary>> ListObjectsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<CrmObjectSummary> list = Objects.Values
            .Select(o => new CrmObjectSummary(o.Name, o.Label, o.Custom, o.Createable, o.Updateable, o.Deletable, o.Queryable, o.SupportsChangeTracking))
            .Concat(ExtraListed)
            .ToList();
        return Task.FromResult(list);
    }

    public Task<CrmObjectSchema> DescribeAsync(string objectName, CancellationToken cancellationToken)
    {
        Described.Add(objectName);
        if (DescribeFails.Contains(objectName) || !Objects.TryGetValue(objectName, out var schema))
            throw new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.ObjectNotFound,
                $"The requested resource does not exist: {objectName}", "Check the object name.", objectName);
        return Task.FromResult(schema);
    }
}

/// <summary>Realistic Salesforce describes for the synced objects.</summary>
internal static class SalesforceSchemas
{
    public static CrmFieldSchema F(string name, CrmFieldType type, string native, string? label = null, bool createable = true,
        bool updateable = true, bool calculated = false, bool custom = false, bool externalId = false, params string[] referenceTo) =>
        new(name, label ?? name, type, native, type is CrmFieldType.String or CrmFieldType.Email or CrmFieldType.Phone ? 80 : 0,
            type is CrmFieldType.Currency or CrmFieldType.Double or CrmFieldType.Percent ? 18 : 0,
            type is CrmFieldType.Currency ? 2 : 0, createable, updateable, true, custom || name.EndsWith("__c", StringComparison.Ordinal),
            calculated, externalId, externalId, referenceTo, []);

    private static CrmFieldSchema Id() => F("Id", CrmFieldType.Id, "id", "Record ID", createable: false, updateable: false);
    private static CrmFieldSchema IsDeleted() => F("IsDeleted", CrmFieldType.Boolean, "boolean", "Deleted", createable: false, updateable: false);
    private static CrmFieldSchema CreatedDate() => F("CreatedDate", CrmFieldType.DateTime, "datetime", "Created Date", createable: false, updateable: false);
    private static CrmFieldSchema SystemModstamp() => F("SystemModstamp", CrmFieldType.DateTime, "datetime", "System Modstamp", createable: false, updateable: false);
    private static CrmFieldSchema OwnerId() => F("OwnerId", CrmFieldType.Reference, "reference", "Owner ID", referenceTo: ["User"]);
    private static CrmFieldSchema Key() => F("CrmSync_Key__c", CrmFieldType.String, "string", "CrmSync Key", externalId: true);

    public static CrmObjectSchema Obj(string name, IReadOnlyList<CrmFieldSchema> fields, bool custom = false, bool queryable = true, bool replicateable = true) =>
        new(name, name, custom, true, true, true, queryable, fields)
        {
            SupportsChangeTracking = replicateable,
            ModificationStampField = fields.Any(f => f.Name == "SystemModstamp") ? "SystemModstamp" : null,
            DeletedFlagField = fields.Any(f => f.Name == "IsDeleted") ? "IsDeleted" : null,
            MergedIntoField = fields.Any(f => f.Name == "MasterRecordId") ? "MasterRecordId" : null,
            // as the Salesforce schema reader reports them (field roles are data: Sync-CrmField stores them in the catalog)
            CreatedDateField = fields.Any(f => f.Name == "CreatedDate") ? "CreatedDate" : null,
            ConvertedIntoFields = fields.Any(f => f.Name == "IsConverted") && fields.Any(f => f.Name == "ConvertedContactId") ? ["IsConverted", "ConvertedContactId"] : [],
        };

    public static CrmObjectSchema Lead(bool restricted = false) => Obj("Lead",
    [
        Id(), IsDeleted(),
        F("MasterRecordId", CrmFieldType.Reference, "reference", "Master Record ID", createable: false, updateable: false, referenceTo: ["Lead"]),
        F("LastName", CrmFieldType.String, "string", "Last Name"),
        F("FirstName", CrmFieldType.String, "string", "First Name"),
        F("Name", CrmFieldType.String, "string", "Full Name", createable: false, updateable: false),
        F("Company", CrmFieldType.String, "string", "Company"),
        F("Email", CrmFieldType.Email, "email", "Email"),
        F("Phone", CrmFieldType.Phone, "phone", "Phone"),
        F("Status", CrmFieldType.Picklist, "picklist", "Lead Status"),
        F("LeadSource", CrmFieldType.Picklist, "picklist", "Lead Source"),
        F("Street", CrmFieldType.TextArea, "textarea", "Street"),
        F("City", CrmFieldType.String, "string", "City"),
        F("Address", CrmFieldType.Other, "address", "Address", createable: false, updateable: false),
        .. restricted ? Array.Empty<CrmFieldSchema>() : [F("AnnualRevenue", CrmFieldType.Currency, "currency", "Annual Revenue")],
        F("NumberOfEmployees", CrmFieldType.Integer, "int", "Employees"),
        F("HasOptedOutOfEmail", CrmFieldType.Boolean, "boolean", "Email Opt Out"),
        F("IsConverted", CrmFieldType.Boolean, "boolean", "Converted", updateable: false),
        F("ConvertedContactId", CrmFieldType.Reference, "reference", "Converted Contact ID", createable: false, updateable: false, referenceTo: ["Contact"]),
        OwnerId(), CreatedDate(),
        F("LastModifiedDate", CrmFieldType.DateTime, "datetime", "Last Modified Date", createable: false, updateable: false),
        SystemModstamp(),
        .. restricted ? Array.Empty<CrmFieldSchema>() : [F("SSN__c", CrmFieldType.String, "string", "Social Security Number")],
        F("Internal_Score__c", CrmFieldType.Double, "double", "Internal Score"),
        F("Lead_Age__c", CrmFieldType.Double, "double", "Lead Age", createable: false, updateable: true, calculated: true),
        F("Priority__c", CrmFieldType.Picklist, "picklist", "Priority"),
        Key(),
    ]);

    public static CrmObjectSchema Contact(bool restricted = false) => Obj("Contact",
    [
        Id(), IsDeleted(),
        F("MasterRecordId", CrmFieldType.Reference, "reference", "Master Record ID", createable: false, updateable: false, referenceTo: ["Contact"]),
        F("AccountId", CrmFieldType.Reference, "reference", "Account ID", referenceTo: ["Account"]),
        F("LastName", CrmFieldType.String, "string", "Last Name"),
        F("FirstName", CrmFieldType.String, "string", "First Name"),
        F("Name", CrmFieldType.String, "string", "Full Name", createable: false, updateable: false),
        F("Email", CrmFieldType.Email, "email", "Email"),
        F("Phone", CrmFieldType.Phone, "phone", "Business Phone"),
        F("MailingStreet", CrmFieldType.TextArea, "textarea", "Mailing Street"),
        F("MailingCity", CrmFieldType.String, "string", "Mailing City"),
        F("MailingAddress", CrmFieldType.Other, "address", "Mailing Address", createable: false, updateable: false),
        F("Birthdate", CrmFieldType.Date, "date", "Birthdate"),
        F("Status", CrmFieldType.String, "string", "Contact Status"),
        F("HasOptedOutOfEmail", CrmFieldType.Boolean, "boolean", "Email Opt Out"),
        OwnerId(), CreatedDate(), SystemModstamp(),
        F("Priority__c", CrmFieldType.Boolean, "boolean", "Priority"),
        .. restricted ? Array.Empty<CrmFieldSchema>() : [F("Internal_Notes__c", CrmFieldType.TextArea, "textarea", "Internal Notes")],
        Key(),
    ]);

    public static CrmObjectSchema Account() => Obj("Account",
    [
        Id(), IsDeleted(),
        F("Name", CrmFieldType.String, "string", "Account Name"),
        F("Industry", CrmFieldType.Picklist, "picklist", "Industry"),
        F("AnnualRevenue", CrmFieldType.Currency, "currency", "Annual Revenue"),
        F("NumberOfEmployees", CrmFieldType.Integer, "int", "Employees"),
        F("Website", CrmFieldType.Url, "url", "Website"),
        F("BillingAddress", CrmFieldType.Other, "address", "Billing Address", createable: false, updateable: false),
        OwnerId(), CreatedDate(), SystemModstamp(),
        F("Internal_Rating__c", CrmFieldType.Picklist, "picklist", "Internal Rating"),
    ]);

    public static CrmObjectSchema Opportunity() => Obj("Opportunity",
    [
        Id(), IsDeleted(),
        F("AccountId", CrmFieldType.Reference, "reference", "Account ID", referenceTo: ["Account"]),
        F("Name", CrmFieldType.String, "string", "Name"),
        F("StageName", CrmFieldType.Picklist, "picklist", "Stage"),
        F("Amount", CrmFieldType.Currency, "currency", "Amount"),
        F("Probability", CrmFieldType.Percent, "percent", "Probability (%)"),
        F("CloseDate", CrmFieldType.Date, "date", "Close Date"),
        F("IsWon", CrmFieldType.Boolean, "boolean", "Won", createable: false, updateable: false),
        OwnerId(), CreatedDate(), SystemModstamp(),
    ]);

    public static CrmObjectSchema OpportunityContactRole() => Obj("OpportunityContactRole",
    [
        Id(), IsDeleted(),
        F("OpportunityId", CrmFieldType.Reference, "reference", "Opportunity ID", updateable: false, referenceTo: ["Opportunity"]),
        F("ContactId", CrmFieldType.Reference, "reference", "Contact ID", referenceTo: ["Contact"]),
        F("Role", CrmFieldType.Picklist, "picklist", "Role"),
        F("IsPrimary", CrmFieldType.Boolean, "boolean", "Primary"),
        CreatedDate(), SystemModstamp(),
    ]);

    public static CrmObjectSchema Campaign() => Obj("Campaign",
    [
        Id(), IsDeleted(),
        F("Name", CrmFieldType.String, "string", "Name"),
        F("Type", CrmFieldType.Picklist, "picklist", "Type"),
        F("Status", CrmFieldType.Picklist, "picklist", "Status"),
        F("StartDate", CrmFieldType.Date, "date", "Start Date"),
        F("BudgetedCost", CrmFieldType.Currency, "currency", "Budgeted Cost"),
        F("NumberOfLeads", CrmFieldType.Integer, "int", "Leads in Campaign", createable: false, updateable: false),
        F("IsActive", CrmFieldType.Boolean, "boolean", "Active"),
        OwnerId(), CreatedDate(), SystemModstamp(),
    ]);

    public static CrmObjectSchema CampaignMember() => Obj("CampaignMember",
    [
        Id(), IsDeleted(),
        F("CampaignId", CrmFieldType.Reference, "reference", "Campaign ID", updateable: false, referenceTo: ["Campaign"]),
        F("LeadId", CrmFieldType.Reference, "reference", "Lead ID", updateable: false, referenceTo: ["Lead"]),
        F("ContactId", CrmFieldType.Reference, "reference", "Contact ID", updateable: false, referenceTo: ["Contact"]),
        F("Status", CrmFieldType.Picklist, "picklist", "Status"),
        F("HasResponded", CrmFieldType.Boolean, "boolean", "Responded", createable: false, updateable: false),
        CreatedDate(), SystemModstamp(),
        Key(),
    ]);

    public static CrmObjectSchema User() => Obj("User",
    [
        Id(),
        F("Username", CrmFieldType.String, "string", "Username"),
        F("Email", CrmFieldType.Email, "email", "Email"),
        F("FirstName", CrmFieldType.String, "string", "First Name"),
        F("LastName", CrmFieldType.String, "string", "Last Name"),
        F("IsActive", CrmFieldType.Boolean, "boolean", "Active"),
        CreatedDate(), SystemModstamp(),
    ]);

    public static CrmObjectSchema Task() => Obj("Task",
    [
        Id(), IsDeleted(),
        F("Subject", CrmFieldType.Picklist, "combobox", "Subject"),
        F("WhoId", CrmFieldType.Reference, "reference", "Name ID", referenceTo: ["Contact", "Lead"]),
        F("WhatId", CrmFieldType.Reference, "reference", "Related To ID", referenceTo: ["Account", "Opportunity"]),
        F("ActivityDate", CrmFieldType.Date, "date", "Due Date Only"),
        F("Status", CrmFieldType.Picklist, "picklist", "Status"),
        F("Priority", CrmFieldType.Picklist, "picklist", "Priority"),
        OwnerId(), CreatedDate(), SystemModstamp(),
    ]);

    public static CrmObjectSchema Event() => Obj("Event",
    [
        Id(), IsDeleted(),
        F("Subject", CrmFieldType.Picklist, "combobox", "Subject"),
        F("WhoId", CrmFieldType.Reference, "reference", "Name ID", referenceTo: ["Contact", "Lead"]),
        F("StartDateTime", CrmFieldType.DateTime, "datetime", "Start Date Time"),
        F("EndDateTime", CrmFieldType.DateTime, "datetime", "End Date Time"),
        F("DurationInMinutes", CrmFieldType.Integer, "int", "Duration"),
        F("IsAllDayEvent", CrmFieldType.Boolean, "boolean", "All-Day Event"),
        F("ReminderTime", CrmFieldType.Time, "time", "Reminder Time"),
        OwnerId(), CreatedDate(), SystemModstamp(),
    ]);

    public static CrmObjectSchema Invoice() => Obj("Invoice__c",
    [
        Id(), IsDeleted(),
        F("Name", CrmFieldType.String, "string", "Invoice Number"),
        F("Invoice_Total__c", CrmFieldType.Currency, "currency", "Invoice Total"),
        F("Account__c", CrmFieldType.Reference, "reference", "Account", referenceTo: ["Account"]),
        F("Paid__c", CrmFieldType.Boolean, "boolean", "Paid"),
        F("Due_Date__c", CrmFieldType.Date, "date", "Due Date"),
        CreatedDate(), SystemModstamp(),
    ], custom: true);

    /// <summary>Objects describeGlobal lists that must not sync.</summary>
    public static IReadOnlyList<CrmObjectSummary> NotSynced() =>
    [
        new("Solution", "Solution", false, true, true, true, true, true),
        new("Scratch__c", "Scratch", true, true, true, true, true, false),
        new("Settings__mdt", "Settings", true, false, false, false, true, false),
        new("AccountShare", "Account Share", false, true, true, true, true, false),
    ];

    /// <summary>The full org as an administrator's sync user sees it.</summary>
    public static FakeSchemaReader FullOrg() => new(
        [Lead(), Contact(), Account(), Opportunity(), OpportunityContactRole(), Campaign(), CampaignMember(), User(), Task(), Event(), Invoice()],
        NotSynced());

    /// <summary>A restricted sync user: no opportunities, no SSN, no revenue, no internal notes.</summary>
    public static FakeSchemaReader RestrictedOrg() => new(
        [Lead(restricted: true), Contact(restricted: true), Account(), Campaign(), CampaignMember(), User(), Task(), Event(), Invoice()],
        NotSynced());

    /// <summary>Replaces (or adds) one field of an object.</summary>
    public static void ReplaceField(this FakeSchemaReader reader, string objectName, string fieldName, CrmFieldSchema? replacement)
    {
        var schema = reader.Objects[objectName];
        var fields = schema.Fields.Where(f => f.Name != fieldName).ToList();
        if (replacement is not null)
        {
            var index = schema.Fields.ToList().FindIndex(f => f.Name == fieldName);
            fields.Insert(index < 0 ? fields.Count : index, replacement);
        }
        reader.Objects[objectName] = schema with { Fields = fields };
    }
}
