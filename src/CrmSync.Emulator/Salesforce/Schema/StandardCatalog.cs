namespace CrmSync.Emulator.Salesforce.Schema;

/// <summary>
/// The sObjects the emulator serves, with Salesforce's real standard field names, types, key prefixes and flags,
/// plus the custom fields CrmSync's tests rely on (External IDs, formula fields) and one custom object.
/// </summary>
public static class StandardCatalog
{
    /// <summary>Field-level-security note: fields flagged <see cref="FieldDefinition.HiddenFromRestrictedUser"/> are hidden from the restricted user.</summary>
    public static IReadOnlyList<SObjectDefinition> Create() =>
    [
        Account(), Contact(), Lead(), Opportunity(), OpportunityContactRole(), Campaign(), CampaignMember(),
        User(), Task(), Event(), Invoice(),
    ];

    private static readonly string[] Industries =
    [
        "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Consulting",
        "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental", "Finance", "Food & Beverage",
        "Government", "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
        "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation", "Utilities", "Other",
    ];

    /// <summary>Lead Status values.</summary>
    public static readonly string[] LeadStatuses = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"];

    /// <summary>Lead Source values.</summary>
    public static readonly string[] LeadSources = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"];

    /// <summary>Industry values.</summary>
    public static IReadOnlyList<string> IndustryValues => Industries;

    private static readonly string[] Ratings = ["Hot", "Warm", "Cold"];
    private static readonly string[] Salutations = ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."];
    private static readonly string[] Stages =
    [
        "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis",
        "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
    ];

    // ---- field builders -------------------------------------------------------------------------------------

    private static FieldDefinition IdField() => new()
    {
        Name = "Id", Label = "Record ID", Type = FieldType.Id, Length = 18, Createable = false, Updateable = false,
        Nillable = false, IdLookup = true, DefaultedOnCreate = true,
    };

    private static FieldDefinition Text(string name, string label, int length, bool required = false) => new()
    {
        Name = name, Label = label, Type = FieldType.String, Length = length, Nillable = !required, Custom = name.EndsWith("__c", StringComparison.Ordinal),
    };

    private static FieldDefinition Area(string name, string label, int length = 32000) => new()
    {
        Name = name, Label = label, Type = FieldType.TextArea, Length = length, Custom = name.EndsWith("__c", StringComparison.Ordinal),
        Filterable = length <= 255, Sortable = length <= 255, Groupable = false,
    };

    private static FieldDefinition Typed(string name, string label, FieldType type, int length = 0) => new()
    {
        Name = name, Label = label, Type = type, Length = length, Custom = name.EndsWith("__c", StringComparison.Ordinal),
        Precision = type is FieldType.Currency or FieldType.Double ? 18 : type == FieldType.Percent ? 3 : 0,
        Scale = type is FieldType.Currency ? 2 : 0,
        Digits = type == FieldType.Int ? 9 : 0,
        Groupable = type is not (FieldType.Double or FieldType.Currency or FieldType.Percent or FieldType.DateTime),
    };

    private static FieldDefinition Flag(string name, string label, bool updateable = true) => new()
    {
        Name = name, Label = label, Type = FieldType.Boolean, Nillable = false, DefaultedOnCreate = true, DefaultValue = false,
        Createable = updateable, Updateable = updateable, Custom = name.EndsWith("__c", StringComparison.Ordinal),
    };

    private static FieldDefinition Pick(string name, string label, IEnumerable<string> values, string? defaultValue = null, bool required = false, bool restricted = false) => new()
    {
        Name = name, Label = label, Type = FieldType.Picklist, Length = 255, Nillable = !required,
        PicklistValues = values.Select(v => new PicklistEntry(v, v, v == defaultValue)).ToList(),
        DefaultValue = defaultValue, DefaultedOnCreate = defaultValue is not null, RestrictedPicklist = restricted,
        Custom = name.EndsWith("__c", StringComparison.Ordinal),
    };

    private static FieldDefinition Ref(string name, string label, string relationship, params string[] targets) => new()
    {
        Name = name, Label = label, Type = FieldType.Reference, Length = 18, ReferenceTo = targets, RelationshipName = relationship,
        Custom = name.EndsWith("__c", StringComparison.Ordinal),
    };

    private static FieldDefinition ReadOnly(FieldDefinition field) => field with { Createable = false, Updateable = false };

    private static FieldDefinition ExternalKey(string name, string label) => Text(name, label, 80) with
    {
        ExternalId = true, Unique = true, IdLookup = true, Custom = true,
    };

    private static IEnumerable<FieldDefinition> Head(string objectName, bool merge) =>
        merge
            ? [IdField(), ReadOnly(Flag("IsDeleted", "Deleted")), ReadOnly(Ref("MasterRecordId", "Master Record ID", "MasterRecord", objectName))]
            : [IdField(), ReadOnly(Flag("IsDeleted", "Deleted"))];

    private static FieldDefinition Owner() => Ref("OwnerId", "Owner ID", "Owner", "User") with { Nillable = false, DefaultedOnCreate = true };

    private static IEnumerable<FieldDefinition> Audit() =>
    [
        ReadOnly(Typed("CreatedDate", "Created Date", FieldType.DateTime)) with { Nillable = false, DefaultedOnCreate = true },
        ReadOnly(Ref("CreatedById", "Created By ID", "CreatedBy", "User")) with { Nillable = false, DefaultedOnCreate = true },
        ReadOnly(Typed("LastModifiedDate", "Last Modified Date", FieldType.DateTime)) with { Nillable = false, DefaultedOnCreate = true },
        ReadOnly(Ref("LastModifiedById", "Last Modified By ID", "LastModifiedBy", "User")) with { Nillable = false, DefaultedOnCreate = true },
        ReadOnly(Typed("SystemModstamp", "System Modstamp", FieldType.DateTime)) with { Nillable = false, DefaultedOnCreate = true },
    ];

    private static FieldDefinition PersonName(string label) => new()
    {
        Name = "Name", Label = label, Type = FieldType.String, Length = 121, Createable = false, Updateable = false,
        NameField = true, IsCompoundName = true,
    };

    private static FieldDefinition NameText(string label, int length = 255) => Text("Name", label, length, required: true) with { NameField = true };

    // ---- objects ---------------------------------------------------------------------------------------------

    private static SObjectDefinition Lead() => new("Lead", "Lead", "Leads", "00Q", false,
    [
        .. Head("Lead", merge: true),
        Text("LastName", "Last Name", 80, required: true),
        Text("FirstName", "First Name", 40),
        Pick("Salutation", "Salutation", Salutations),
        PersonName("Full Name"),
        Text("Title", "Title", 128),
        Text("Company", "Company", 255, required: true),
        Area("Street", "Street", 255),
        Text("City", "City", 40),
        Text("State", "State/Province", 80),
        Text("PostalCode", "Zip/Postal Code", 20),
        Text("Country", "Country", 80),
        Typed("Latitude", "Latitude", FieldType.Double) with { Precision = 18, Scale = 15 },
        Typed("Longitude", "Longitude", FieldType.Double) with { Precision = 18, Scale = 15 },
        Pick("GeocodeAccuracy", "Geocode Accuracy", ["Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip", "City", "County", "State", "Unknown"]),
        Typed("Phone", "Phone", FieldType.Phone, 40),
        Typed("MobilePhone", "Mobile Phone", FieldType.Phone, 40) with { HiddenFromRestrictedUser = true },
        Typed("Fax", "Fax", FieldType.Phone, 40),
        Typed("Email", "Email", FieldType.Email, 80) with { IdLookup = true },
        Typed("Website", "Website", FieldType.Url, 255),
        ReadOnly(Typed("PhotoUrl", "Photo URL", FieldType.Url, 255)),
        Area("Description", "Description"),
        Pick("LeadSource", "Lead Source", LeadSources),
        Pick("Status", "Status", LeadStatuses, "Open - Not Contacted", required: true),
        Pick("Industry", "Industry", Industries),
        Pick("Rating", "Rating", Ratings),
        Typed("AnnualRevenue", "Annual Revenue", FieldType.Currency) with { Scale = 0, HiddenFromRestrictedUser = true },
        Typed("NumberOfEmployees", "Employees", FieldType.Int) with { Digits = 8 },
        Owner() with { ReferenceTo = ["Group", "User"] },
        ReadOnly(Flag("IsConverted", "Converted")),
        ReadOnly(Typed("ConvertedDate", "Converted Date", FieldType.Date)),
        ReadOnly(Ref("ConvertedAccountId", "Converted Account ID", "ConvertedAccount", "Account")),
        ReadOnly(Ref("ConvertedContactId", "Converted Contact ID", "ConvertedContact", "Contact")),
        ReadOnly(Ref("ConvertedOpportunityId", "Converted Opportunity ID", "ConvertedOpportunity", "Opportunity")),
        Flag("IsUnreadByOwner", "Unread By Owner"),
        .. Audit(),
        ReadOnly(Typed("LastActivityDate", "Last Activity", FieldType.Date)),
        ReadOnly(Typed("LastViewedDate", "Last Viewed Date", FieldType.DateTime)),
        ReadOnly(Typed("LastReferencedDate", "Last Referenced Date", FieldType.DateTime)),
        Text("Jigsaw", "Data.com Key", 20),
        ReadOnly(Text("JigsawContactId", "Jigsaw Contact ID", 20)),
        Pick("CleanStatus", "Clean Status", ["Matched", "Different", "Acknowledged", "NotFound", "Inactive", "Pending", "SelectMatch", "Skipped"], "Pending"),
        Text("CompanyDunsNumber", "Company D-U-N-S Number", 9),
        Typed("EmailBouncedReason", "Email Bounced Reason", FieldType.String, 255),
        Typed("EmailBouncedDate", "Email Bounced Date", FieldType.DateTime),
        Flag("HasOptedOutOfEmail", "Email Opt Out"),
        Flag("HasOptedOutOfFax", "Fax Opt Out"),
        Flag("DoNotCall", "Do Not Call"),
        ExternalKey("CrmSync_Key__c", "CrmSync Key"),
        Text("SICCode__c", "SIC Code", 15),
        Pick("ProductInterest__c", "Product Interest", ["GC1000 series", "GC5000 series", "GC3000 series"]),
        Pick("Primary__c", "Primary", ["No", "Yes"]),
        Typed("NumberofLocations__c", "Number of Locations", FieldType.Double) with { Precision = 3, Scale = 0 },
        ReadOnly(Typed("Days_Since_Created__c", "Days Since Created", FieldType.Double)) with
        {
            Precision = 18, Scale = 0, Formula = "TODAY() - DATEVALUE(CreatedDate)", Filterable = true, Sortable = true,
        },
    ])
    { Mergeable = true, FeedEnabled = true };

    private static SObjectDefinition Contact() => new("Contact", "Contact", "Contacts", "003", false,
    [
        .. Head("Contact", merge: true),
        Ref("AccountId", "Account ID", "Account", "Account"),
        Text("LastName", "Last Name", 80, required: true),
        Text("FirstName", "First Name", 40),
        Pick("Salutation", "Salutation", Salutations),
        PersonName("Full Name"),
        Area("MailingStreet", "Mailing Street", 255),
        Text("MailingCity", "Mailing City", 40),
        Text("MailingState", "Mailing State/Province", 80),
        Text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
        Text("MailingCountry", "Mailing Country", 80),
        Typed("Phone", "Business Phone", FieldType.Phone, 40),
        Typed("Fax", "Business Fax", FieldType.Phone, 40),
        Typed("MobilePhone", "Mobile Phone", FieldType.Phone, 40) with { HiddenFromRestrictedUser = true },
        Typed("HomePhone", "Home Phone", FieldType.Phone, 40),
        Typed("Email", "Email", FieldType.Email, 80) with { IdLookup = true },
        Text("Title", "Title", 128),
        Text("Department", "Department", 80),
        Pick("LeadSource", "Lead Source", LeadSources),
        Typed("Birthdate", "Birthdate", FieldType.Date) with { HiddenFromRestrictedUser = true },
        Area("Description", "Contact Description"),
        Owner(),
        Flag("HasOptedOutOfEmail", "Email Opt Out"),
        Flag("DoNotCall", "Do Not Call"),
        .. Audit(),
        ReadOnly(Typed("LastActivityDate", "Last Activity", FieldType.Date)),
        Typed("EmailBouncedReason", "Email Bounced Reason", FieldType.String, 255),
        Typed("EmailBouncedDate", "Email Bounced Date", FieldType.DateTime),
        ExternalKey("CrmSync_Key__c", "CrmSync Key"),
        ReadOnly(Typed("Days_Since_Last_Activity__c", "Days Since Last Activity", FieldType.Double)) with
        {
            Precision = 18, Scale = 0, Formula = "TODAY() - BLANKVALUE(LastActivityDate, DATEVALUE(CreatedDate))",
        },
    ])
    { Mergeable = true, FeedEnabled = true };

    private static SObjectDefinition Account() => new("Account", "Account", "Accounts", "001", false,
    [
        .. Head("Account", merge: true),
        NameText("Account Name"),
        Pick("Type", "Account Type", ["Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"]),
        Ref("ParentId", "Parent Account ID", "Parent", "Account"),
        Area("BillingStreet", "Billing Street", 255),
        Text("BillingCity", "Billing City", 40),
        Text("BillingState", "Billing State/Province", 80),
        Text("BillingPostalCode", "Billing Zip/Postal Code", 20),
        Text("BillingCountry", "Billing Country", 80),
        Area("ShippingStreet", "Shipping Street", 255),
        Text("ShippingCity", "Shipping City", 40),
        Text("ShippingState", "Shipping State/Province", 80),
        Text("ShippingPostalCode", "Shipping Zip/Postal Code", 20),
        Text("ShippingCountry", "Shipping Country", 80),
        Typed("Phone", "Account Phone", FieldType.Phone, 40),
        Typed("Fax", "Account Fax", FieldType.Phone, 40),
        Text("AccountNumber", "Account Number", 40),
        Typed("Website", "Website", FieldType.Url, 255),
        Text("Sic", "SIC Code", 20),
        Pick("Industry", "Industry", Industries),
        Typed("AnnualRevenue", "Annual Revenue", FieldType.Currency) with { Scale = 0 },
        Typed("NumberOfEmployees", "Employees", FieldType.Int) with { Digits = 8 },
        Pick("Ownership", "Ownership", ["Public", "Private", "Subsidiary", "Other"]),
        Area("Description", "Account Description"),
        Pick("Rating", "Account Rating", Ratings),
        Text("Site", "Account Site", 80),
        Owner(),
        .. Audit(),
        ReadOnly(Typed("LastActivityDate", "Last Activity", FieldType.Date)),
    ])
    { Mergeable = true, FeedEnabled = true };

    private static SObjectDefinition Opportunity() => new("Opportunity", "Opportunity", "Opportunities", "006", false,
    [
        .. Head("Opportunity", merge: false),
        Ref("AccountId", "Account ID", "Account", "Account"),
        NameText("Name", 120),
        Area("Description", "Description"),
        Pick("StageName", "Stage", Stages, required: true),
        Typed("Amount", "Amount", FieldType.Currency),
        Typed("Probability", "Probability (%)", FieldType.Percent),
        Typed("CloseDate", "Close Date", FieldType.Date) with { Nillable = false },
        Pick("Type", "Opportunity Type", ["Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer"]),
        Text("NextStep", "Next Step", 255),
        Pick("LeadSource", "Lead Source", LeadSources),
        ReadOnly(Flag("IsClosed", "Closed")),
        ReadOnly(Flag("IsWon", "Won")),
        Pick("ForecastCategoryName", "Forecast Category", ["Omitted", "Pipeline", "Best Case", "Commit", "Closed"]),
        Ref("CampaignId", "Campaign ID", "Campaign", "Campaign"),
        Owner(),
        .. Audit(),
        ReadOnly(Typed("LastActivityDate", "Last Activity", FieldType.Date)),
    ])
    { FeedEnabled = true };

    private static SObjectDefinition OpportunityContactRole() => new("OpportunityContactRole", "Opportunity Contact Role", "Opportunity Contact Role", "00K", false,
    [
        IdField(),
        Ref("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity") with { Nillable = false, Updateable = false },
        Ref("ContactId", "Contact ID", "Contact", "Contact") with { Nillable = false },
        Pick("Role", "Role", ["Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator", "Executive Sponsor", "Influencer", "Technical Buyer", "Other"]),
        Flag("IsPrimary", "Primary"),
        .. Audit(),
        ReadOnly(Flag("IsDeleted", "Deleted")),
    ]);

    private static SObjectDefinition Campaign() => new("Campaign", "Campaign", "Campaigns", "701", false,
    [
        .. Head("Campaign", merge: false),
        NameText("Name", 80),
        Ref("ParentId", "Parent Campaign ID", "Parent", "Campaign"),
        Pick("Type", "Type", ["Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program", "Advertisement", "Banner Ads", "Direct Mail", "Email", "Telemarketing", "Other"]),
        Pick("Status", "Status", ["Planned", "In Progress", "Completed", "Aborted"]),
        Typed("StartDate", "Start Date", FieldType.Date),
        Typed("EndDate", "End Date", FieldType.Date),
        Typed("ExpectedRevenue", "Expected Revenue in Campaign", FieldType.Currency) with { Scale = 0 },
        Typed("BudgetedCost", "Budgeted Cost in Campaign", FieldType.Currency) with { Scale = 0 },
        Typed("ActualCost", "Actual Cost in Campaign", FieldType.Currency) with { Scale = 0 },
        Flag("IsActive", "Active"),
        Area("Description", "Description"),
        ReadOnly(Typed("NumberOfLeads", "Leads in Campaign", FieldType.Int)) with { DefaultedOnCreate = true },
        ReadOnly(Typed("NumberOfContacts", "Contacts in Campaign", FieldType.Int)) with { DefaultedOnCreate = true },
        ReadOnly(Typed("NumberOfResponses", "Responses in Campaign", FieldType.Int)) with { DefaultedOnCreate = true },
        Owner(),
        .. Audit(),
        ReadOnly(Typed("LastActivityDate", "Last Activity", FieldType.Date)),
    ]);

    private static SObjectDefinition CampaignMember() => new("CampaignMember", "Campaign Member", "Campaign Members", "00v", false,
    [
        .. Head("CampaignMember", merge: false),
        Ref("CampaignId", "Campaign ID", "Campaign", "Campaign") with { Nillable = false, Updateable = false },
        Ref("LeadId", "Lead ID", "Lead", "Lead") with { Updateable = false },
        Ref("ContactId", "Contact ID", "Contact", "Contact") with { Updateable = false },
        Pick("Status", "Status", ["Sent", "Responded"], "Sent"),
        ReadOnly(Flag("HasResponded", "Responded")),
        ReadOnly(Typed("FirstRespondedDate", "First Responded Date", FieldType.Date)),
        .. Audit(),
    ]);

    private static SObjectDefinition User() => new("User", "User", "Users", "005", false,
    [
        IdField(),
        Text("Username", "Username", 80, required: true) with { Unique = true, IdLookup = true },
        Text("LastName", "Last Name", 80, required: true),
        Text("FirstName", "First Name", 40),
        PersonName("Full Name"),
        Text("CompanyName", "Company Name", 80),
        Typed("Email", "Email", FieldType.Email, 128) with { Nillable = false },
        Text("Alias", "Alias", 8, required: true),
        Flag("IsActive", "Active"),
        Pick("TimeZoneSidKey", "Time Zone", ["America/Los_Angeles", "America/New_York", "Europe/London", "GMT"], required: true),
        Pick("UserType", "User Type", ["Standard", "PowerPartner", "CsnOnly", "Guest"]),
        .. Audit(),
    ])
    { Createable = false, Updateable = false, Deletable = false };

    private static IEnumerable<FieldDefinition> ActivityHead() =>
    [
        IdField(),
        Ref("WhoId", "Name ID", "Who", "Contact", "Lead"),
        Ref("WhatId", "Related To ID", "What", "Account", "Campaign", "Opportunity", "Invoice__c"),
        Text("Subject", "Subject", 255),
    ];

    private static SObjectDefinition Task() => new("Task", "Task", "Tasks", "00T", false,
    [
        .. ActivityHead(),
        Typed("ActivityDate", "Due Date Only", FieldType.Date),
        Pick("Status", "Status", ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"], "Not Started", required: true),
        Pick("Priority", "Priority", ["High", "Normal", "Low"], "Normal", required: true),
        Owner(),
        Area("Description", "Description"),
        Pick("Type", "Type", ["Call", "Email", "Meeting", "Other"]),
        ReadOnly(Flag("IsDeleted", "Deleted")),
        ReadOnly(Flag("IsClosed", "Closed")),
        Typed("CallDurationInSeconds", "Call Duration", FieldType.Int),
        .. Audit(),
    ]);

    private static SObjectDefinition Event() => new("Event", "Event", "Events", "00U", false,
    [
        .. ActivityHead(),
        Text("Location", "Location", 255),
        Flag("IsAllDayEvent", "All-Day Event"),
        Typed("ActivityDateTime", "Due Date Time", FieldType.DateTime),
        Typed("ActivityDate", "Due Date Only", FieldType.Date),
        Typed("DurationInMinutes", "Duration", FieldType.Int),
        Typed("StartDateTime", "Start Date Time", FieldType.DateTime),
        Typed("EndDateTime", "End Date Time", FieldType.DateTime),
        Area("Description", "Description"),
        Owner(),
        Pick("Type", "Type", ["Call", "Email", "Meeting", "Other"]),
        ReadOnly(Flag("IsDeleted", "Deleted")),
        .. Audit(),
    ]);

    private static SObjectDefinition Invoice() => new("Invoice__c", "Invoice", "Invoices", "a0X", true,
    [
        IdField(),
        Owner() with { ReferenceTo = ["Group", "User"] },
        ReadOnly(Flag("IsDeleted", "Deleted")),
        NameText("Invoice Name", 80),
        .. Audit(),
        ReadOnly(Typed("LastActivityDate", "Last Activity Date", FieldType.Date)),
        Ref("Account__c", "Account", "Account__r", "Account"),
        Ref("Contact__c", "Contact", "Contact__r", "Contact"),
        Typed("Amount__c", "Amount", FieldType.Currency),
        Typed("Invoice_Date__c", "Invoice Date", FieldType.Date),
        Pick("Status__c", "Status", ["Draft", "Sent", "Paid", "Void"], "Draft", restricted: true),
        Flag("Paid__c", "Paid"),
        Typed("Discount__c", "Discount", FieldType.Percent) with { Precision = 5, Scale = 2 },
        Area("Notes__c", "Notes"),
        ExternalKey("External_Key__c", "External Key"),
    ]);
}
