using System.Globalization;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;

namespace CrmSync.Emulator.Salesforce.Seeding;

/// <summary>How many records of each kind to generate.</summary>
public sealed record SeedPlan
{
    /// <summary>Leads.</summary>
    public int Leads { get; init; }
    /// <summary>Contacts.</summary>
    public int Contacts { get; init; }
    /// <summary>Accounts.</summary>
    public int Accounts { get; init; }
    /// <summary>Opportunities (each with a contact role when contacts exist).</summary>
    public int Opportunities { get; init; }
    /// <summary>Campaigns.</summary>
    public int Campaigns { get; init; }
    /// <summary>Campaign members.</summary>
    public int Members { get; init; }
    /// <summary>Tasks.</summary>
    public int Tasks { get; init; }
    /// <summary>Events.</summary>
    public int Events { get; init; }
    /// <summary>Custom object (Invoice__c) records.</summary>
    public int Custom { get; init; }

    /// <summary>Parses <c>lead=N,contact=N,account=N,opportunity=N,campaign=N,member=N,task=N,event=N,custom=N</c>.</summary>
    public static SeedPlan Parse(string text)
    {
        var plan = new SeedPlan();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                throw new FormatException($"Bad seed entry '{part}': expected kind=count.");
            }
            plan = kv[0].ToLowerInvariant() switch
            {
                "lead" or "leads" => plan with { Leads = n },
                "contact" or "contacts" => plan with { Contacts = n },
                "account" or "accounts" => plan with { Accounts = n },
                "opportunity" or "opportunities" => plan with { Opportunities = n },
                "campaign" or "campaigns" => plan with { Campaigns = n },
                "member" or "members" or "campaignmember" => plan with { Members = n },
                "task" or "tasks" => plan with { Tasks = n },
                "event" or "events" => plan with { Events = n },
                "custom" or "invoice" => plan with { Custom = n },
                _ => throw new FormatException($"Unknown seed kind '{kv[0]}'."),
            };
        }
        return plan;
    }
}

/// <summary>
/// Generates realistic, deterministic data (same seed value → same records): people, companies, emails with some
/// duplicates for duplicate detection, campaigns with members, opportunities with contact roles, activities.
/// </summary>
public static class DataSeeder
{
    internal static readonly string[] FirstNames =
    [
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara",
        "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy",
        "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily",
        "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George", "Melissa",
        "Timothy", "Deborah", "Ana", "Luis", "Sofia", "Mateo", "Yuki", "Hiroshi", "Aisha", "Omar", "Priya", "Arjun", "Chen", "Mei",
    ];

    internal static readonly string[] LastNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez",
        "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
        "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
        "Carter", "Roberts", "O'Brien", "Müller", "Tanaka", "Kim", "Patel", "Singh", "Chen", "Wang", "Kowalski", "Dubois",
    ];

    internal static readonly string[] CompanyStems =
    [
        "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Vandelay", "Cyberdyne", "Soylent", "Tyrell",
        "Aperture", "Black Mesa", "Gringotts", "Oscorp", "Pied Piper", "Massive Dynamic", "Dunder Mifflin", "Sterling Cooper",
        "Blue Sun", "Nakatomi", "Weyland", "Monarch", "Virtucon", "Gekko", "Bluth", "Prestige", "Zorg", "Buy n Large",
        "Northwind", "Contoso", "Fabrikam", "Tailspin", "Woodgrove", "Litware", "Adventure Works", "Proseware", "Lucerne", "Alpine",
    ];

    internal static readonly string[] CompanySuffixes = ["Inc", "LLC", "Corp", "Ltd", "GmbH", "Group", "Holdings", "Partners", "Labs", "Systems"];
    internal static readonly string[] Titles = ["CEO", "CTO", "VP Sales", "VP Marketing", "Marketing Manager", "Sales Director", "Buyer", "Engineer", "Analyst", "Office Manager", "CFO", "Procurement Lead"];
    internal static readonly (string City, string State, string Country)[] Places =
    [
        ("San Francisco", "CA", "USA"), ("New York", "NY", "USA"), ("Austin", "TX", "USA"), ("Chicago", "IL", "USA"), ("Seattle", "WA", "USA"),
        ("Boston", "MA", "USA"), ("Denver", "CO", "USA"), ("Atlanta", "GA", "USA"), ("London", "England", "UK"), ("Paris", "Île-de-France", "France"),
        ("Berlin", "Berlin", "Germany"), ("Toronto", "ON", "Canada"), ("Sydney", "NSW", "Australia"), ("Tokyo", "Tokyo", "Japan"), ("Madrid", "Madrid", "Spain"),
    ];

    /// <summary>Counts of created records per sObject.</summary>
    public sealed record SeedSummary(IReadOnlyDictionary<string, int> Created);

    /// <summary>Generates records as the CRM admin user would have created them over the last 30 days.</summary>
    public static SeedSummary Seed(SalesforceStore store, SeedPlan plan, string seedValue, string ownerId)
    {
        var random = new Random(StableHash(seedValue));
        var created = new Dictionary<string, int>();
        var now = store.Clock.GetUtcNow().UtcDateTime;
        var accounts = Generate(store, "Account", plan.Accounts, now, ownerId, (row, i) =>
        {
            var place = Pick(random, Places);
            row.Set("Name", Company(random, i));
            row.Set("Industry", Pick(random, StandardCatalog.IndustryValues));
            row.Set("Type", Pick(random, ["Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller"]));
            row.Set("BillingCity", place.City);
            row.Set("BillingState", place.State);
            row.Set("BillingCountry", place.Country);
            row.Set("Phone", Phone(random));
            row.Set("Website", "https://www." + Domain(Company(random, i)));
            row.Set("AnnualRevenue", (decimal)(random.Next(1, 500) * 100000));
            row.Set("NumberOfEmployees", (long)random.Next(5, 20000));
            row.Set("Rating", Pick(random, ["Hot", "Warm", "Cold"]));
        }, created);
        var contacts = Generate(store, "Contact", plan.Contacts, now, ownerId, (row, i) =>
        {
            var (first, last) = Person(random);
            var place = Pick(random, Places);
            string? account = accounts.Count > 0 ? accounts[random.Next(accounts.Count)] : null;
            row.Set("FirstName", first);
            row.Set("LastName", last);
            row.Set("AccountId", account);
            row.Set("Email", Email(first, last, "contact" + (i % 997).ToString(CultureInfo.InvariantCulture) + ".example.com", i));
            row.Set("Phone", Phone(random));
            row.Set("Title", Pick(random, Titles));
            row.Set("MailingCity", place.City);
            row.Set("MailingState", place.State);
            row.Set("MailingCountry", place.Country);
            row.Set("LeadSource", Pick(random, StandardCatalog.LeadSources));
            if (i % 7 == 0)
            {
                row.Set("Birthdate", new DateOnly(1960 + random.Next(40), 1 + random.Next(12), 1 + random.Next(28)));
            }
        }, created);
        var leadEmails = new List<string>();
        var leads = Generate(store, "Lead", plan.Leads, now, ownerId, (row, i) =>
        {
            var (first, last) = Person(random);
            var place = Pick(random, Places);
            string company = Company(random, random.Next(Math.Max(1, plan.Leads / 3 + 1)));
            // About one lead in twenty repeats an earlier lead's email (duplicate detection).
            string email = i % 20 == 19 && leadEmails.Count > 0 ? leadEmails[random.Next(leadEmails.Count)] : Email(first, last, Domain(company), i);
            if (leadEmails.Count < 10000)
            {
                leadEmails.Add(email);
            }
            row.Set("FirstName", first);
            row.Set("LastName", last);
            row.Set("Salutation", Pick(random, ["Mr.", "Ms.", "Mrs.", "Dr."]));
            row.Set("Company", company);
            row.Set("Title", Pick(random, Titles));
            row.Set("Email", email);
            row.Set("Phone", Phone(random));
            row.Set("City", place.City);
            row.Set("State", place.State);
            row.Set("Country", place.Country);
            row.Set("Status", Pick(random, ["Open - Not Contacted", "Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"]));
            row.Set("LeadSource", Pick(random, StandardCatalog.LeadSources));
            row.Set("Industry", Pick(random, StandardCatalog.IndustryValues));
            row.Set("Rating", Pick(random, ["Hot", "Warm", "Cold"]));
            if (i % 3 == 0)
            {
                row.Set("AnnualRevenue", (decimal)(random.Next(1, 200) * 50000));
                row.Set("NumberOfEmployees", (long)random.Next(1, 5000));
            }
            row.Set("IsUnreadByOwner", i % 10 == 0);
            row.Set("HasOptedOutOfEmail", i % 25 == 0);
        }, created);
        var campaigns = Generate(store, "Campaign", plan.Campaigns, now, ownerId, (row, i) =>
        {
            var start = DateOnly.FromDateTime(now).AddDays(-random.Next(1, 120));
            row.Set("Name", $"{Pick(random, ["Spring", "Summer", "Autumn", "Winter"])} {Pick(random, ["Webinar", "Trade Show", "Email Blast", "Conference"])} {2024 + i % 3} #{i + 1}");
            row.Set("Type", Pick(random, ["Webinar", "Trade Show", "Email", "Conference"]));
            row.Set("Status", Pick(random, ["Planned", "In Progress", "Completed"]));
            row.Set("StartDate", start);
            row.Set("EndDate", start.AddDays(random.Next(1, 60)));
            row.Set("IsActive", true);
            row.Set("BudgetedCost", (decimal)(random.Next(1, 100) * 1000));
        }, created);
        var pairs = new HashSet<(string, string)>();
        if (campaigns.Count > 0 && (leads.Count + contacts.Count) > 0)
        {
            Generate(store, "CampaignMember", plan.Members, now, ownerId, (row, i) =>
            {
                for (int attempt = 0; attempt < 20; attempt++)
                {
                    string campaign = campaigns[random.Next(campaigns.Count)];
                    bool useLead = contacts.Count == 0 || (leads.Count > 0 && random.Next(2) == 0);
                    string person = useLead ? leads[random.Next(leads.Count)] : contacts[random.Next(contacts.Count)];
                    if (!pairs.Add((campaign, person)))
                    {
                        continue;
                    }
                    row.Set("CampaignId", campaign);
                    row.Set(useLead ? "LeadId" : "ContactId", person);
                    bool responded = random.Next(3) == 0;
                    row.Set("Status", responded ? "Responded" : "Sent");
                    row.Set("HasResponded", responded);
                    if (responded)
                    {
                        row.Set("FirstRespondedDate", DateOnly.FromDateTime(now).AddDays(-random.Next(1, 30)));
                    }
                    return;
                }
                row.Skip = true;
            }, created);
        }
        var opportunities = Generate(store, "Opportunity", plan.Opportunities, now, ownerId, (row, i) =>
        {
            string? account = accounts.Count > 0 ? accounts[random.Next(accounts.Count)] : null;
            string stage = Pick(random, ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"]);
            row.Set("Name", $"{Pick(random, CompanyStems)} - {Pick(random, ["Renewal", "Expansion", "New Business", "Upgrade"])} {i + 1}");
            row.Set("AccountId", account);
            row.Set("StageName", stage);
            row.Set("IsClosed", stage.StartsWith("Closed", StringComparison.Ordinal));
            row.Set("IsWon", stage == "Closed Won");
            row.Set("Amount", (decimal)(random.Next(1, 500) * 1000));
            row.Set("Probability", (decimal)random.Next(0, 101));
            row.Set("CloseDate", DateOnly.FromDateTime(now).AddDays(random.Next(-60, 120)));
            row.Set("LeadSource", Pick(random, StandardCatalog.LeadSources));
            if (campaigns.Count > 0 && i % 4 == 0)
            {
                row.Set("CampaignId", campaigns[random.Next(campaigns.Count)]);
            }
        }, created);
        if (contacts.Count > 0 && opportunities.Count > 0)
        {
            int index = 0;
            Generate(store, "OpportunityContactRole", opportunities.Count, now, ownerId, (row, i) =>
            {
                row.Set("OpportunityId", opportunities[index++]);
                row.Set("ContactId", contacts[random.Next(contacts.Count)]);
                row.Set("Role", Pick(random, ["Decision Maker", "Economic Buyer", "Evaluator", "Influencer", "Technical Buyer"]));
                row.Set("IsPrimary", true);
            }, created);
        }
        var people = leads.Concat(contacts).ToList();
        Generate(store, "Task", plan.Tasks, now, ownerId, (row, i) =>
        {
            if (people.Count > 0)
            {
                row.Set("WhoId", people[random.Next(people.Count)]);
            }
            string status = Pick(random, ["Not Started", "In Progress", "Completed"]);
            row.Set("Subject", Pick(random, ["Call", "Send quote", "Follow up", "Send letter", "Email"]));
            row.Set("Status", status);
            row.Set("IsClosed", status == "Completed");
            row.Set("Priority", Pick(random, ["High", "Normal", "Low"]));
            row.Set("ActivityDate", DateOnly.FromDateTime(now).AddDays(random.Next(-30, 30)));
            row.Set("Type", Pick(random, ["Call", "Email", "Meeting", "Other"]));
        }, created);
        Generate(store, "Event", plan.Events, now, ownerId, (row, i) =>
        {
            if (people.Count > 0)
            {
                row.Set("WhoId", people[random.Next(people.Count)]);
            }
            var start = SalesforceFormat.TruncateToMinute(now.AddDays(random.Next(-30, 30)).AddHours(random.Next(8, 17)));
            int minutes = 30 * random.Next(1, 5);
            row.Set("Subject", Pick(random, ["Meeting", "Demo", "Lunch", "Onsite visit"]));
            row.Set("Location", Pick(random, Places).City);
            row.Set("StartDateTime", start);
            row.Set("EndDateTime", start.AddMinutes(minutes));
            row.Set("ActivityDateTime", start);
            row.Set("ActivityDate", DateOnly.FromDateTime(start));
            row.Set("DurationInMinutes", (long)minutes);
            row.Set("Type", "Meeting");
        }, created);
        Generate(store, "Invoice__c", plan.Custom, now, ownerId, (row, i) =>
        {
            row.Set("Name", "INV-" + (i + 1).ToString("D6", CultureInfo.InvariantCulture));
            if (accounts.Count > 0)
            {
                row.Set("Account__c", accounts[random.Next(accounts.Count)]);
            }
            string status = Pick(random, ["Draft", "Sent", "Paid", "Void"]);
            row.Set("Status__c", status);
            row.Set("Paid__c", status == "Paid");
            row.Set("Amount__c", (decimal)random.Next(100, 100000) + random.Next(100) / 100m);
            row.Set("Invoice_Date__c", DateOnly.FromDateTime(now).AddDays(-random.Next(0, 90)));
            row.Set("External_Key__c", "INV-" + (i + 1).ToString("D6", CultureInfo.InvariantCulture));
        }, created);
        return new SeedSummary(created);
    }

    private sealed class RowBuilder(FieldSet fields, object?[] values)
    {
        public bool Skip { get; set; }

        public void Set(string name, object? value)
        {
            if (fields.Find(name) is { } field)
            {
                values[field.Ordinal] = value;
            }
        }
    }

    private static List<string> Generate(SalesforceStore store, string typeName, int count, DateTime now, string ownerId, Action<RowBuilder, int> fill, Dictionary<string, int> created)
    {
        var ids = new List<string>(Math.Max(0, count));
        if (count <= 0)
        {
            return ids;
        }
        var sobject = store.Definition(typeName)!;
        var fields = sobject.FieldSet;
        var start = now.AddDays(-30);
        double step = TimeSpan.FromDays(29).TotalMilliseconds / count;
        var batch = new List<StoredRecord>(Math.Min(count, 50000));
        for (int i = 0; i < count; i++)
        {
            var values = new object?[fields.SlotCount];
            foreach (var field in fields.Fields)
            {
                if (field.DefaultValue is not null)
                {
                    values[field.Ordinal] = field.DefaultValue;
                }
                else if (field.Type == FieldType.Boolean)
                {
                    values[field.Ordinal] = false;
                }
            }
            var row = new RowBuilder(fields, values);
            fill(row, i);
            if (row.Skip)
            {
                continue;
            }
            string id = store.NewId(sobject);
            var stamp = SalesforceFormat.TruncateToMilliseconds(new DateTimeOffset(start.AddMilliseconds(step * i)));
            row.Set("Id", id);
            row.Set("OwnerId", ownerId);
            row.Set("CreatedDate", stamp);
            row.Set("CreatedById", ownerId);
            row.Set("LastModifiedDate", stamp);
            row.Set("LastModifiedById", ownerId);
            row.Set("SystemModstamp", stamp);
            batch.Add(new StoredRecord(id, values));
            ids.Add(id);
            if (batch.Count == 50000)
            {
                store.PutMany(sobject, batch);
                batch.Clear();
            }
        }
        store.PutMany(sobject, batch);
        created[typeName] = created.GetValueOrDefault(typeName) + ids.Count;
        return ids;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static (string First, string Last) Person(Random random) => (Pick(random, FirstNames), Pick(random, LastNames));

    private static string Company(Random random, int index) =>
        $"{CompanyStems[index % CompanyStems.Length]} {CompanySuffixes[(index / CompanyStems.Length) % CompanySuffixes.Length]}" +
        (index >= CompanyStems.Length * CompanySuffixes.Length ? " " + (index / (CompanyStems.Length * CompanySuffixes.Length) + 1).ToString(CultureInfo.InvariantCulture) : "");

    private static string Domain(string company) =>
        new string(company.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray()) + ".example.com";

    private static string Email(string first, string last, string domain, int index) =>
        $"{Ascii(first)}.{Ascii(last)}{index.ToString(CultureInfo.InvariantCulture)}@{domain}";

    private static string Ascii(string text) => new(text.ToLowerInvariant().Replace("ü", "u", StringComparison.Ordinal).Where(char.IsAsciiLetterOrDigit).ToArray());

    private static string Phone(Random random) =>
        $"({random.Next(200, 999)}) {random.Next(200, 999)}-{random.Next(1000, 9999)}";

    private static int StableHash(string text)
    {
        unchecked
        {
            uint hash = 2166136261;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 16777619;
            }
            return (int)hash;
        }
    }
}
