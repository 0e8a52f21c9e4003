using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Salesforce.Seeding;

namespace CrmSync.Emulator.Dynamics;

/// <summary>How many Dataverse rows of each kind to generate.</summary>
public sealed record DynamicsSeedPlan
{
    public int Leads { get; init; }
    public int Contacts { get; init; }
    public int Accounts { get; init; }
    public int Opportunities { get; init; }
    public int SystemUsers { get; init; }
    public int Lists { get; init; }
    public int ListMembers { get; init; }
    public int Custom { get; init; }

    /// <summary>
    /// Relative weights of the Marketo sync filter <c>new_synctomkto</c> on seeded leads and contacts: Yes, empty (null) and
    /// No. Default 7:2:1; e.g. <c>filteryes=0,filterempty=0,filterno=1</c> seeds every person with an explicit No.
    /// </summary>
    public int SyncFilterYes { get; init; } = 7;

    /// <inheritdoc cref="SyncFilterYes"/>
    public int SyncFilterEmpty { get; init; } = 2;

    /// <inheritdoc cref="SyncFilterYes"/>
    public int SyncFilterNo { get; init; } = 1;

    /// <summary>A seeded person's sync filter, drawn with the weights (one draw per person).</summary>
    internal bool? DrawSyncFilter(Random random)
    {
        int total = SyncFilterYes + SyncFilterEmpty + SyncFilterNo;
        if (total <= 0)
        {
            return null;
        }
        int n = random.Next(total);
        return n < SyncFilterYes ? true : n < SyncFilterYes + SyncFilterEmpty ? null : false;
    }

    /// <summary>
    /// Parses <c>lead=N,contact=N,account=N,opportunity=N,systemuser=N,list=N,listmember=N,custom=N</c>, plus the sync filter
    /// weights <c>filteryes=N,filterempty=N,filterno=N</c>.
    /// </summary>
    public static DynamicsSeedPlan Parse(string text)
    {
        var plan = new DynamicsSeedPlan();
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
                "systemuser" or "systemusers" or "user" or "users" => plan with { SystemUsers = n },
                "list" or "lists" => plan with { Lists = n },
                "listmember" or "listmembers" or "member" or "members" => plan with { ListMembers = n },
                "custom" or "invoice" or "new_invoice" => plan with { Custom = n },
                "filteryes" => plan with { SyncFilterYes = n },
                "filterempty" => plan with { SyncFilterEmpty = n },
                "filterno" => plan with { SyncFilterNo = n },
                _ => throw new FormatException($"Unknown seed kind '{kv[0]}' (Dynamics: lead, contact, account, opportunity, systemuser, list, listmember, custom; filteryes, filterempty, filterno)."),
            };
        }
        return plan;
    }
}

/// <summary>
/// Generates realistic, deterministic Dataverse rows (same seed value → same data) with the Salesforce seeder's name
/// lists: accounts, contacts under accounts, leads (some duplicates by e-mail), opportunities, users, static marketing
/// lists with members and new_invoice rows. Leads and contacts get the sync filter <c>new_synctomkto</c> Yes, empty or No by
/// the plan's weights (7:2:1 unless set). Rows are created through the normal write path by the second (CRM) user.
/// </summary>
public static class DynamicsSeeder
{
    public static IReadOnlyDictionary<string, int> Seed(DynamicsOrg org, DynamicsSeedPlan plan, string seedValue)
    {
        var random = new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes("dataverse:" + seedValue)), 0));
        var store = org.Store;
        var writer = org.Writer;
        var owner = org.SecondUser.Id;
        var created = new Dictionary<string, int>(StringComparer.Ordinal);
        T Pick<T>(IReadOnlyList<T> list) => list[random.Next(list.Count)];
        Guid Id() => new(Bytes(16));
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }
        void Count(string name) => created[name] = created.GetValueOrDefault(name) + 1;
        string Email(string first, string last, string domain) =>
            $"{first.ToLowerInvariant()}.{last.ToLowerInvariant().Replace("'", "", StringComparison.Ordinal).Replace("ü", "ue", StringComparison.Ordinal)}@{domain}";
        string Domain(string company) => new string(company.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray()) + ".example.com";

        var users = new List<Guid> { owner };
        for (int i = 0; i < plan.SystemUsers; i++)
        {
            string first = Pick(DataSeeder.FirstNames), last = Pick(DataSeeder.LastNames);
            var id = Id();
            writer.Create(store.Entity("systemuser")!, new Dictionary<string, object?>
            {
                ["firstname"] = first,
                ["lastname"] = last,
                ["domainname"] = $"{first.ToLowerInvariant()}.{i}@{org.Credentials.TenantDomain}",
                ["internalemailaddress"] = $"{first.ToLowerInvariant()}.{i}@{org.Credentials.TenantDomain}",
                ["title"] = Pick(DataSeeder.Titles),
            }, owner, id);
            users.Add(id);
            Count("systemuser");
        }
        EntityRef Owner() => new(Pick(users), "systemuser");

        var accounts = new List<(Guid Id, string Name)>();
        for (int i = 0; i < plan.Accounts; i++)
        {
            string name = $"{Pick(DataSeeder.CompanyStems)} {Pick(DataSeeder.CompanySuffixes)}" + (i >= 40 ? " " + (i / 40).ToString(CultureInfo.InvariantCulture) : "");
            var place = Pick(DataSeeder.Places);
            var id = Id();
            writer.Create(store.Entity("account")!, new Dictionary<string, object?>
            {
                ["name"] = name,
                ["accountnumber"] = "AC-" + (10000 + i).ToString(CultureInfo.InvariantCulture),
                ["telephone1"] = $"+1 555 {random.Next(100, 999)} {random.Next(1000, 9999)}",
                ["websiteurl"] = "https://www." + Domain(name),
                ["address1_city"] = place.City,
                ["address1_country"] = place.Country,
                ["industrycode"] = random.Next(1, 34),
                ["revenue"] = (decimal)random.Next(1, 5000) * 10000m,
                ["numberofemployees"] = random.Next(5, 20000),
                ["new_synctomkto"] = random.Next(10) < 8,
                ["ownerid"] = Owner(),
            }, owner, id);
            accounts.Add((id, name));
            Count("account");
        }

        var contacts = new List<Guid>();
        for (int i = 0; i < plan.Contacts; i++)
        {
            string first = Pick(DataSeeder.FirstNames), last = Pick(DataSeeder.LastNames);
            var account = accounts.Count > 0 ? accounts[random.Next(accounts.Count)] : default;
            var place = Pick(DataSeeder.Places);
            var id = Id();
            var values = new Dictionary<string, object?>
            {
                ["firstname"] = first,
                ["lastname"] = last,
                ["emailaddress1"] = Email(first, last, accounts.Count > 0 ? Domain(account.Name) : "example.org"),
                ["telephone1"] = $"+1 555 {random.Next(100, 999)} {random.Next(1000, 9999)}",
                ["jobtitle"] = Pick(DataSeeder.Titles),
                ["address1_city"] = place.City,
                ["address1_country"] = place.Country,
                ["donotbulkemail"] = random.Next(20) == 0,
                ["new_synctomkto"] = plan.DrawSyncFilter(random),
                ["ownerid"] = Owner(),
            };
            if (accounts.Count > 0)
            {
                values["parentcustomerid"] = new EntityRef(account.Id, "account");
            }
            writer.Create(store.Entity("contact")!, values, owner, id);
            contacts.Add(id);
            Count("contact");
        }

        var leads = new List<Guid>();
        string? previousEmail = null;
        for (int i = 0; i < plan.Leads; i++)
        {
            string first = Pick(DataSeeder.FirstNames), last = Pick(DataSeeder.LastNames);
            string company = $"{Pick(DataSeeder.CompanyStems)} {Pick(DataSeeder.CompanySuffixes)}";
            var place = Pick(DataSeeder.Places);
            // Every 25th lead repeats the previous e-mail address (duplicates for duplicate detection).
            string email = i % 25 == 24 && previousEmail is not null ? previousEmail : Email(first, last, Domain(company));
            previousEmail = email;
            var id = Id();
            writer.Create(store.Entity("lead")!, new Dictionary<string, object?>
            {
                ["subject"] = $"Interest in {Pick(new[] { "CrmSync", "Analytics", "Cloud Suite", "Support Plan", "Training" })}",
                ["firstname"] = first,
                ["lastname"] = last,
                ["companyname"] = company,
                ["jobtitle"] = Pick(DataSeeder.Titles),
                ["emailaddress1"] = email,
                ["telephone1"] = $"+1 555 {random.Next(100, 999)} {random.Next(1000, 9999)}",
                ["address1_city"] = place.City,
                ["address1_stateorprovince"] = place.State,
                ["address1_country"] = place.Country,
                ["leadsourcecode"] = random.Next(1, 11),
                ["industrycode"] = random.Next(1, 34),
                ["revenue"] = (decimal)random.Next(1, 500) * 10000m,
                ["numberofemployees"] = random.Next(1, 5000),
                ["donotemail"] = random.Next(25) == 0,
                ["new_synctomkto"] = plan.DrawSyncFilter(random),
                ["ownerid"] = Owner(),
            }, owner, id);
            leads.Add(id);
            Count("lead");
        }

        for (int i = 0; i < plan.Opportunities; i++)
        {
            var values = new Dictionary<string, object?>
            {
                ["name"] = $"{Pick(new[] { "New business", "Renewal", "Upsell", "Expansion" })} {i + 1}",
                ["estimatedvalue"] = (decimal)random.Next(1, 500) * 1000m,
                ["estimatedclosedate"] = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(0, 365)),
                ["closeprobability"] = random.Next(0, 101),
                ["new_synctomkto"] = random.Next(10) < 8,
                ["ownerid"] = Owner(),
            };
            if (accounts.Count > 0)
            {
                var account = accounts[random.Next(accounts.Count)];
                values["customerid"] = new EntityRef(account.Id, "account");
                values["parentaccountid"] = new EntityRef(account.Id, "account");
            }
            if (contacts.Count > 0)
            {
                values["parentcontactid"] = new EntityRef(contacts[random.Next(contacts.Count)], "contact");
            }
            writer.Create(store.Entity("opportunity")!, values, owner, Id());
            Count("opportunity");
        }

        var lists = new List<(Guid Id, int Code)>();
        for (int i = 0; i < plan.Lists; i++)
        {
            int code = (i % 3) switch { 0 => 4, 1 => 2, _ => 1 };
            var id = Id();
            writer.Create(store.Entity("list")!, new Dictionary<string, object?>
            {
                ["listname"] = $"{Pick(new[] { "Webinar", "Trade show", "Newsletter", "Nurture", "Event" })} list {i + 1}",
                ["createdfromcode"] = code,
                ["type"] = false,
                ["ownerid"] = Owner(),
            }, owner, id);
            lists.Add((id, code));
            Count("list");
        }
        int attempts = 0;
        for (int made = 0; made < plan.ListMembers && lists.Count > 0 && attempts < plan.ListMembers * 20; attempts++)
        {
            var list = lists[random.Next(lists.Count)];
            var pool = list.Code switch { 4 => leads, 2 => contacts, _ => accounts.Select(a => a.Id).ToList() };
            if (pool.Count == 0)
            {
                continue;
            }
            string type = list.Code switch { 4 => "lead", 2 => "contact", _ => "account" };
            var memberId = pool[random.Next(pool.Count)];
            int before = store.Count("listmember");
            writer.AddListMember(list.Id, new EntityRef(memberId, type), owner);
            if (store.Count("listmember") > before)
            {
                made++;
                Count("listmember");
            }
        }

        for (int i = 0; i < plan.Custom; i++)
        {
            var values = new Dictionary<string, object?>
            {
                ["new_name"] = "INV-" + (100000 + i).ToString(CultureInfo.InvariantCulture),
                ["new_amount"] = (decimal)random.Next(100, 100000) / 10m,
                ["new_invoicedate"] = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(0, 400)),
                ["new_paid"] = random.Next(2) == 0,
                ["new_synctomkto"] = true,
                ["ownerid"] = Owner(),
            };
            if (accounts.Count > 0)
            {
                values["new_accountid"] = new EntityRef(accounts[random.Next(accounts.Count)].Id, "account");
            }
            if (contacts.Count > 0)
            {
                values["new_contactid"] = new EntityRef(contacts[random.Next(contacts.Count)], "contact");
            }
            writer.Create(store.Entity("new_invoice")!, values, owner, Id());
            Count("new_invoice");
        }
        return created;
    }
}
