using System.Security.Cryptography;
using System.Text;

namespace CrmSync.Emulator.Dynamics.Schema;

/// <summary>
/// The tables the emulated Dataverse org has: lead, contact, account, opportunity, systemuser, list, listmember and the
/// custom table new_invoice, with Dataverse's logical names, types, lengths and option values, the Marketo sync filter
/// <c>new_synctomkto</c> (Two Options) on lead/contact/account/opportunity/new_invoice and the CrmSync alternate key
/// (<c>new_crmsynckey</c>) on lead and contact.
/// </summary>
public static class DataverseCatalog
{
    /// <summary>A stable GUID derived from a name (metadata ids, well-known record ids).</summary>
    public static Guid StableGuid(string name)
    {
        var hash = MD5.HashData(Encoding.UTF8.GetBytes("crmsync-dataverse:" + name));
        return new Guid(hash);
    }

    private static AttributeDef A(string entity, string name, AttributeKind kind, string display, int? max = null, string required = "None",
        bool create = true, bool update = true, bool custom = false, IReadOnlyList<string>? targets = null, IReadOnlyList<OptionDef>? options = null,
        object? defaultValue = null, bool dateOnly = false, bool primaryName = false) => new()
    {
        LogicalName = name,
        SchemaName = custom ? name : Pascal(name),
        Kind = kind,
        DisplayName = display,
        MaxLength = max,
        RequiredLevel = required,
        IsValidForCreate = create,
        IsValidForUpdate = update,
        IsCustom = custom,
        Targets = targets ?? [],
        Options = options ?? (kind == AttributeKind.Boolean ? [new OptionDef(0, "No"), new OptionDef(1, "Yes")] : []),
        DefaultValue = defaultValue,
        MetadataId = StableGuid(entity + "." + name),
        DateOnly = dateOnly,
        IsPrimaryName = primaryName,
        OptionSetName = kind is AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status or AttributeKind.Boolean ? entity + "_" + name : null,
    };

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];

    private static IEnumerable<AttributeDef> Common(string entity, IReadOnlyList<OptionDef> states, IReadOnlyList<OptionDef> statuses, bool owned = true)
    {
        yield return A(entity, "createdon", AttributeKind.DateTime, "Created On", create: false, update: false);
        yield return A(entity, "modifiedon", AttributeKind.DateTime, "Modified On", create: false, update: false);
        yield return A(entity, "createdby", AttributeKind.Lookup, "Created By", create: false, update: false, targets: ["systemuser"]);
        yield return A(entity, "modifiedby", AttributeKind.Lookup, "Modified By", create: false, update: false, targets: ["systemuser"]);
        if (owned)
        {
            yield return A(entity, "ownerid", AttributeKind.Owner, "Owner", required: "SystemRequired", targets: ["systemuser", "team"]);
        }
        yield return A(entity, "statecode", AttributeKind.State, "Status", required: "SystemRequired", options: states, defaultValue: 0);
        yield return A(entity, "statuscode", AttributeKind.Status, "Status Reason", options: statuses, defaultValue: statuses[0].Value);
        yield return A(entity, "versionnumber", AttributeKind.BigInt, "Version Number", create: false, update: false);
    }

    private static readonly OptionDef[] ActiveInactive = [new(0, "Active"), new(1, "Inactive")];
    private static readonly OptionDef[] ActiveInactiveStatus = [new(1, "Active", 0), new(2, "Inactive", 1)];

    private static AttributeDef SyncFilter(string entity) =>
        A(entity, "new_synctomkto", AttributeKind.Boolean, "Sync to Marketo", custom: true, defaultValue: false,
            options: [new OptionDef(0, "No"), new OptionDef(1, "Yes")]);

    private static AttributeDef SyncKey(string entity) =>
        A(entity, "new_crmsynckey", AttributeKind.String, "CrmSync Key", max: 100, custom: true);

    private static AttributeDef Pk(string entity, string name) =>
        A(entity, name, AttributeKind.Uniqueidentifier, Pascal(entity), create: true, update: false) with { IsPrimaryId = true };

    private static readonly OptionDef[] LeadSources =
        [new(1, "Advertisement"), new(2, "Employee Referral"), new(3, "External Referral"), new(4, "Partner"), new(5, "Public Relations"),
         new(6, "Seminar"), new(7, "Trade Show"), new(8, "Web"), new(9, "Word of Mouth"), new(10, "Other")];

    private static readonly OptionDef[] Industries =
        [new(1, "Accounting"), new(2, "Agriculture and Non-petrol Natural Resource Extraction"), new(3, "Broadcasting Printing and Publishing"),
         new(4, "Brokers"), new(5, "Building Supply Retail"), new(6, "Business Services"), new(7, "Consulting"), new(8, "Consumer Services"),
         new(9, "Design, Direction and Creative Management"), new(10, "Distributors, Dispatchers and Processors"), new(11, "Doctor's Offices and Clinics"),
         new(12, "Durable Manufacturing"), new(13, "Eating and Drinking Places"), new(14, "Entertainment Retail"), new(15, "Equipment Rental and Leasing"),
         new(16, "Financial"), new(17, "Food and Tobacco Processing"), new(18, "Inbound Capital Intensive Processing"), new(19, "Inbound Repair and Services"),
         new(20, "Insurance"), new(21, "Legal Services"), new(22, "Non-Durable Merchandise Retail"), new(23, "Outbound Consumer Service"),
         new(24, "Petrochemical Extraction and Distribution"), new(25, "Service Retail"), new(26, "SIG Affiliations"), new(27, "Social Services"),
         new(28, "Special Outbound Trade Contractors"), new(29, "Specialty Realty"), new(30, "Transportation"), new(31, "Utility Creation and Distribution"),
         new(32, "Vehicle Retail"), new(33, "Wholesale")];

    /// <summary>Builds the built-in tables (a fresh copy).</summary>
    public static List<EntityDef> Build()
    {
        var lead = new EntityDef
        {
            LogicalName = "lead", EntitySetName = "leads", PrimaryIdAttribute = "leadid", PrimaryNameAttribute = "fullname", ObjectTypeCode = 4,
            DisplayName = "Lead", DisplayCollectionName = "Leads", MetadataId = StableGuid("lead"),
        };
        lead.Attributes.AddRange([
            Pk("lead", "leadid"),
            A("lead", "subject", AttributeKind.String, "Topic", max: 300),
            A("lead", "firstname", AttributeKind.String, "First Name", max: 50, required: "Recommended"),
            A("lead", "lastname", AttributeKind.String, "Last Name", max: 50, required: "ApplicationRequired"),
            A("lead", "fullname", AttributeKind.String, "Name", max: 160, create: false, update: false, primaryName: true),
            A("lead", "companyname", AttributeKind.String, "Company Name", max: 100),
            A("lead", "jobtitle", AttributeKind.String, "Job Title", max: 100),
            A("lead", "emailaddress1", AttributeKind.String, "Email", max: 100),
            A("lead", "telephone1", AttributeKind.String, "Business Phone", max: 50),
            A("lead", "mobilephone", AttributeKind.String, "Mobile Phone", max: 20),
            A("lead", "websiteurl", AttributeKind.String, "Website", max: 200),
            A("lead", "address1_city", AttributeKind.String, "City", max: 80),
            A("lead", "address1_stateorprovince", AttributeKind.String, "State/Province", max: 50),
            A("lead", "address1_country", AttributeKind.String, "Country/Region", max: 80),
            A("lead", "description", AttributeKind.Memo, "Description", max: 2000),
            A("lead", "leadsourcecode", AttributeKind.Picklist, "Lead Source", options: LeadSources),
            A("lead", "industrycode", AttributeKind.Picklist, "Industry", options: Industries),
            A("lead", "revenue", AttributeKind.Money, "Annual Revenue"),
            A("lead", "numberofemployees", AttributeKind.Integer, "No. of Employees"),
            A("lead", "donotemail", AttributeKind.Boolean, "Do not allow Emails", defaultValue: false,
                options: [new OptionDef(0, "Allow"), new OptionDef(1, "Do Not Allow")]),
            A("lead", "donotbulkemail", AttributeKind.Boolean, "Do not allow Bulk Emails", defaultValue: false,
                options: [new OptionDef(0, "Allow"), new OptionDef(1, "Do Not Allow")]),
            A("lead", "parentaccountid", AttributeKind.Lookup, "Parent Account for lead", targets: ["account"]),
            A("lead", "parentcontactid", AttributeKind.Lookup, "Parent Contact for lead", targets: ["contact"]),
            A("lead", "masterid", AttributeKind.Lookup, "Master ID", create: false, update: false, targets: ["lead"]),
            A("lead", "merged", AttributeKind.Boolean, "Merged", create: false, update: false, defaultValue: false),
            SyncFilter("lead"),
            SyncKey("lead"),
        ]);
        lead.Attributes.AddRange(Common("lead",
            [new(0, "Open"), new(1, "Qualified"), new(2, "Disqualified")],
            [new(1, "New", 0), new(2, "Contacted", 0), new(3, "Qualified", 1), new(4, "Lost", 2), new(5, "Cannot Contact", 2),
             new(6, "No Longer Interested", 2), new(7, "Canceled", 2)]));
        lead.Keys.Add(new KeyDef("new_crmsynckey_key", ["new_crmsynckey"]) { MetadataId = StableGuid("lead.key") });

        var contact = new EntityDef
        {
            LogicalName = "contact", EntitySetName = "contacts", PrimaryIdAttribute = "contactid", PrimaryNameAttribute = "fullname", ObjectTypeCode = 2,
            DisplayName = "Contact", DisplayCollectionName = "Contacts", MetadataId = StableGuid("contact"),
        };
        contact.Attributes.AddRange([
            Pk("contact", "contactid"),
            A("contact", "firstname", AttributeKind.String, "First Name", max: 50, required: "Recommended"),
            A("contact", "lastname", AttributeKind.String, "Last Name", max: 50, required: "ApplicationRequired"),
            A("contact", "fullname", AttributeKind.String, "Full Name", max: 160, create: false, update: false, primaryName: true),
            A("contact", "jobtitle", AttributeKind.String, "Job Title", max: 100),
            A("contact", "emailaddress1", AttributeKind.String, "Email", max: 100),
            A("contact", "telephone1", AttributeKind.String, "Business Phone", max: 50),
            A("contact", "mobilephone", AttributeKind.String, "Mobile Phone", max: 50),
            A("contact", "address1_city", AttributeKind.String, "Address 1: City", max: 80),
            A("contact", "address1_country", AttributeKind.String, "Address 1: Country/Region", max: 80),
            A("contact", "birthdate", AttributeKind.DateTime, "Birthday", dateOnly: true),
            A("contact", "description", AttributeKind.Memo, "Description", max: 2000),
            A("contact", "donotemail", AttributeKind.Boolean, "Do not allow Emails", defaultValue: false,
                options: [new OptionDef(0, "Allow"), new OptionDef(1, "Do Not Allow")]),
            A("contact", "donotbulkemail", AttributeKind.Boolean, "Do not allow Bulk Emails", defaultValue: false,
                options: [new OptionDef(0, "Allow"), new OptionDef(1, "Do Not Allow")]),
            A("contact", "parentcustomerid", AttributeKind.Customer, "Company Name", targets: ["account", "contact"]),
            A("contact", "originatingleadid", AttributeKind.Lookup, "Originating Lead", targets: ["lead"]),
            A("contact", "masterid", AttributeKind.Lookup, "Master ID", create: false, update: false, targets: ["contact"]),
            A("contact", "merged", AttributeKind.Boolean, "Merged", create: false, update: false, defaultValue: false),
            SyncFilter("contact"),
            SyncKey("contact"),
        ]);
        contact.Attributes.AddRange(Common("contact", ActiveInactive, ActiveInactiveStatus));
        contact.Keys.Add(new KeyDef("new_crmsynckey_key", ["new_crmsynckey"]) { MetadataId = StableGuid("contact.key") });

        var account = new EntityDef
        {
            LogicalName = "account", EntitySetName = "accounts", PrimaryIdAttribute = "accountid", PrimaryNameAttribute = "name", ObjectTypeCode = 1,
            DisplayName = "Account", DisplayCollectionName = "Accounts", MetadataId = StableGuid("account"),
        };
        account.Attributes.AddRange([
            Pk("account", "accountid"),
            A("account", "name", AttributeKind.String, "Account Name", max: 160, required: "ApplicationRequired", primaryName: true),
            A("account", "accountnumber", AttributeKind.String, "Account Number", max: 20),
            A("account", "telephone1", AttributeKind.String, "Main Phone", max: 50),
            A("account", "websiteurl", AttributeKind.String, "Website", max: 200),
            A("account", "emailaddress1", AttributeKind.String, "Email", max: 100),
            A("account", "address1_city", AttributeKind.String, "Address 1: City", max: 80),
            A("account", "address1_country", AttributeKind.String, "Address 1: Country/Region", max: 80),
            A("account", "industrycode", AttributeKind.Picklist, "Industry", options: Industries),
            A("account", "revenue", AttributeKind.Money, "Annual Revenue"),
            A("account", "numberofemployees", AttributeKind.Integer, "Number of Employees"),
            A("account", "description", AttributeKind.Memo, "Description", max: 2000),
            A("account", "primarycontactid", AttributeKind.Lookup, "Primary Contact", targets: ["contact"]),
            A("account", "parentaccountid", AttributeKind.Lookup, "Parent Account", targets: ["account"]),
            A("account", "originatingleadid", AttributeKind.Lookup, "Originating Lead", targets: ["lead"]),
            A("account", "masterid", AttributeKind.Lookup, "Master ID", create: false, update: false, targets: ["account"]),
            A("account", "merged", AttributeKind.Boolean, "Merged", create: false, update: false, defaultValue: false),
            SyncFilter("account"),
        ]);
        account.Attributes.AddRange(Common("account", ActiveInactive, ActiveInactiveStatus));

        var opportunity = new EntityDef
        {
            LogicalName = "opportunity", EntitySetName = "opportunities", PrimaryIdAttribute = "opportunityid", PrimaryNameAttribute = "name", ObjectTypeCode = 3,
            DisplayName = "Opportunity", DisplayCollectionName = "Opportunities", MetadataId = StableGuid("opportunity"),
        };
        opportunity.Attributes.AddRange([
            Pk("opportunity", "opportunityid"),
            A("opportunity", "name", AttributeKind.String, "Topic", max: 300, required: "ApplicationRequired", primaryName: true),
            A("opportunity", "estimatedvalue", AttributeKind.Money, "Est. Revenue"),
            A("opportunity", "estimatedclosedate", AttributeKind.DateTime, "Est. Close Date", dateOnly: true),
            A("opportunity", "closeprobability", AttributeKind.Integer, "Probability"),
            A("opportunity", "description", AttributeKind.Memo, "Description", max: 2000),
            A("opportunity", "customerid", AttributeKind.Customer, "Potential Customer", targets: ["account", "contact"]),
            A("opportunity", "parentaccountid", AttributeKind.Lookup, "Account", targets: ["account"]),
            A("opportunity", "parentcontactid", AttributeKind.Lookup, "Contact", targets: ["contact"]),
            A("opportunity", "originatingleadid", AttributeKind.Lookup, "Originating Lead", targets: ["lead"]),
            SyncFilter("opportunity"),
        ]);
        opportunity.Attributes.AddRange(Common("opportunity",
            [new(0, "Open"), new(1, "Won"), new(2, "Lost")],
            [new(1, "In Progress", 0), new(2, "On Hold", 0), new(3, "Won", 1), new(4, "Canceled", 2), new(5, "Out-Sold", 2)]));

        var systemuser = new EntityDef
        {
            LogicalName = "systemuser", EntitySetName = "systemusers", PrimaryIdAttribute = "systemuserid", PrimaryNameAttribute = "fullname", ObjectTypeCode = 8,
            DisplayName = "User", DisplayCollectionName = "Users", MetadataId = StableGuid("systemuser"),
        };
        systemuser.Attributes.AddRange([
            Pk("systemuser", "systemuserid"),
            A("systemuser", "firstname", AttributeKind.String, "First Name", max: 64),
            A("systemuser", "lastname", AttributeKind.String, "Last Name", max: 64, required: "ApplicationRequired"),
            A("systemuser", "fullname", AttributeKind.String, "Full Name", max: 200, create: false, update: false, primaryName: true),
            A("systemuser", "domainname", AttributeKind.String, "User Name", max: 1024, required: "SystemRequired"),
            A("systemuser", "internalemailaddress", AttributeKind.String, "Primary Email", max: 100),
            A("systemuser", "title", AttributeKind.String, "Title", max: 128),
            A("systemuser", "applicationid", AttributeKind.Uniqueidentifier, "Application ID"),
            A("systemuser", "isdisabled", AttributeKind.Boolean, "Status", create: false, update: false, defaultValue: false,
                options: [new OptionDef(0, "Enabled"), new OptionDef(1, "Disabled")]),
            A("systemuser", "accessmode", AttributeKind.Picklist, "Access Mode", defaultValue: 0,
                options: [new(0, "Read-Write"), new(1, "Administrative"), new(2, "Read"), new(3, "Support User"), new(4, "Non-interactive"), new(5, "Delegated Admin")]),
            A("systemuser", "createdon", AttributeKind.DateTime, "Created On", create: false, update: false),
            A("systemuser", "modifiedon", AttributeKind.DateTime, "Modified On", create: false, update: false),
            A("systemuser", "createdby", AttributeKind.Lookup, "Created By", create: false, update: false, targets: ["systemuser"]),
            A("systemuser", "modifiedby", AttributeKind.Lookup, "Modified By", create: false, update: false, targets: ["systemuser"]),
            A("systemuser", "versionnumber", AttributeKind.BigInt, "Version number", create: false, update: false),
        ]);

        var list = new EntityDef
        {
            LogicalName = "list", EntitySetName = "lists", PrimaryIdAttribute = "listid", PrimaryNameAttribute = "listname", ObjectTypeCode = 4300,
            DisplayName = "Marketing List", DisplayCollectionName = "Marketing Lists", MetadataId = StableGuid("list"),
        };
        list.Attributes.AddRange([
            Pk("list", "listid"),
            A("list", "listname", AttributeKind.String, "Name", max: 128, required: "SystemRequired", primaryName: true),
            A("list", "type", AttributeKind.Boolean, "Type", defaultValue: false, options: [new OptionDef(0, "Static"), new OptionDef(1, "Dynamic")]),
            A("list", "createdfromcode", AttributeKind.Picklist, "Targeted At", required: "SystemRequired",
                options: [new(1, "Account"), new(2, "Contact"), new(4, "Lead")]),
            A("list", "membercount", AttributeKind.Integer, "Member Count", create: false, update: false),
            A("list", "description", AttributeKind.Memo, "Description", max: 2000),
        ]);
        list.Attributes.AddRange(Common("list", ActiveInactive, [new(0, "Active", 0), new(1, "Inactive", 1)]));

        var listmember = new EntityDef
        {
            LogicalName = "listmember", EntitySetName = "listmembers", PrimaryIdAttribute = "listmemberid", PrimaryNameAttribute = "listmemberid", ObjectTypeCode = 4301,
            DisplayName = "Marketing List Member", DisplayCollectionName = "Marketing List Members", MetadataId = StableGuid("listmember"),
        };
        listmember.Attributes.AddRange([
            Pk("listmember", "listmemberid"),
            A("listmember", "listid", AttributeKind.Lookup, "List", required: "SystemRequired", update: false, targets: ["list"]),
            A("listmember", "entityid", AttributeKind.Lookup, "Member", required: "SystemRequired", update: false, targets: ["account", "contact", "lead"]),
            A("listmember", "entitytype", AttributeKind.String, "Member Type", max: 64, create: false, update: false),
            A("listmember", "createdon", AttributeKind.DateTime, "Created On", create: false, update: false),
            A("listmember", "modifiedon", AttributeKind.DateTime, "Modified On", create: false, update: false),
            A("listmember", "createdby", AttributeKind.Lookup, "Created By", create: false, update: false, targets: ["systemuser"]),
            A("listmember", "modifiedby", AttributeKind.Lookup, "Modified By", create: false, update: false, targets: ["systemuser"]),
            A("listmember", "versionnumber", AttributeKind.BigInt, "Version Number", create: false, update: false),
        ]);

        var invoice = new EntityDef
        {
            LogicalName = "new_invoice", EntitySetName = "new_invoices", PrimaryIdAttribute = "new_invoiceid", PrimaryNameAttribute = "new_name", ObjectTypeCode = 10010,
            DisplayName = "Invoice", DisplayCollectionName = "Invoices", MetadataId = StableGuid("new_invoice"), IsCustomEntity = true,
        };
        invoice.Attributes.AddRange([
            Pk("new_invoice", "new_invoiceid") with { IsCustom = true },
            A("new_invoice", "new_name", AttributeKind.String, "Invoice Number", max: 100, required: "ApplicationRequired", custom: true, primaryName: true),
            A("new_invoice", "new_amount", AttributeKind.Money, "Amount", custom: true),
            A("new_invoice", "new_invoicedate", AttributeKind.DateTime, "Invoice Date", custom: true, dateOnly: true),
            A("new_invoice", "new_paid", AttributeKind.Boolean, "Paid", custom: true, defaultValue: false),
            A("new_invoice", "new_accountid", AttributeKind.Lookup, "Account", custom: true, targets: ["account"]),
            A("new_invoice", "new_contactid", AttributeKind.Lookup, "Contact", custom: true, targets: ["contact"]),
            SyncFilter("new_invoice"),
        ]);
        invoice.Attributes.AddRange(Common("new_invoice", ActiveInactive, ActiveInactiveStatus));

        return [lead, contact, account, opportunity, systemuser, list, listmember, invoice];
    }
}
