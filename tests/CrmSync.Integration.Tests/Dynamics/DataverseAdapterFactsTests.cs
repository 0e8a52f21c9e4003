using System.Net;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Hosting;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Resilience;
using CrmSync.Integration.Tests.Infrastructure;
using EmulatorCrm = CrmSync.Emulator.Hosting.CrmKind;
using EngineCrm = CrmSync.Engine.Crm.CrmKind;

namespace CrmSync.Integration.Tests.Dynamics;

/// <summary>
/// The Dataverse adapter's neutral facts end to end (issue 13): a <see cref="DataverseClient"/> signed in as the sync user
/// (ROPC) over loopback HTTP to an in-process emulator started with <c>--crm dynamics</c>; CRM-side changes are made as the
/// org's second user through the emulator's writer (QualifyLead, Merge, updates), as a Dynamics user would.
/// </summary>
public sealed class DataverseAdapterFactsTests
{
    private sealed class Dv : IAsyncDisposable
    {
        private Dv(EmulatorHost host, DataverseClient client, RecordingHandler wire)
        {
            Host = host;
            Client = client;
            Wire = wire;
        }

        public EmulatorHost Host { get; }
        public DynamicsOrg Org => Host.Dynamics!;
        public DataverseClient Client { get; }
        public RecordingHandler Wire { get; }
        public Guid Crm => Org.SecondUser.Id;

        public static async Task<Dv> StartAsync(DynamicsSeedPlan? seed = null)
        {
            var host = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                Crm = EmulatorCrm.Dynamics,
                TimeProvider = EmulatorClock.Frozen(TestEmulator.Start),
                DynamicsSeed = seed,
                SeedValue = "integration",
            });
            var c = host.Dynamics!.Credentials;
            var wire = new RecordingHandler();
            var client = new DataverseClient(new CrmConnectionSettings
            {
                Kind = EngineCrm.Dynamics,
                AuthMethod = CrmAuthMethod.OAuthPassword,
                OrganizationUrl = new Uri(host.BaseUrl),
                LoginUrl = new Uri(host.BaseUrl),
                TenantId = c.TenantId,
                Username = c.SyncUserUpn,
                Password = SecretValue.Copy(c.Password),
                ClientId = c.ClientId,
            }, new CrmClientOptions
            {
                PrimaryHandler = wire,
                TimeProvider = new FakeTimeProvider(host.Clock),
                Resilience = new CrmResilienceOptions { MaxRetryAttempts = 0 },
            });
            return new Dv(host, client, wire);
        }

        public Guid Create(string entity, Dictionary<string, object?> values) => Org.Writer.Create(Org.Store.Entity(entity)!, values, Crm).Id;

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Wire.Dispose();
            await Host.DisposeAsync();
        }
    }

    private static async Task<List<CrmRecordPage>> All(IAsyncEnumerable<CrmRecordPage> pages)
    {
        var list = new List<CrmRecordPage>();
        await foreach (var p in pages) list.Add(p);
        return list;
    }

    private static string Id(Guid id) => id.ToString("D");

    [Fact]
    public async Task Qualify_and_merge_arrive_as_converted_and_merged_ids_in_full_and_batched_delta_reads()
    {
        await using var dv = await Dv.StartAsync();
        var qualified = dv.Create("lead", new() { ["firstname"] = "Quinn", ["lastname"] = "Qualify", ["emailaddress1"] = "quinn@example.com", ["new_synctomkto"] = true });
        var winner = dv.Create("lead", new() { ["lastname"] = "Winner" });
        var loser = dv.Create("lead", new() { ["lastname"] = "Loser" });
        var lead = await dv.Client.Schema.DescribeAsync("lead", CancellationToken.None);
        var contact = await dv.Client.Schema.DescribeAsync("contact", CancellationToken.None);
        Assert.Equal("masterid", lead.MergedIntoField);
        var leadStart = (await All(dv.Client.Changes.ReadAllAsync(new CrmFullReadRequest(lead, ["lastname", "new_synctomkto"]) { PageSize = 5000 }, CancellationToken.None)))[^1].Watermark!;
        var contactStart = (await All(dv.Client.Changes.ReadAllAsync(new CrmFullReadRequest(contact, ["lastname"]) { PageSize = 5000 }, CancellationToken.None)))[^1].Watermark!;

        // A Dynamics user qualifies one lead (contact only, as Marketo's "Sync As Contact" does) and merges two others.
        var created = dv.Org.Writer.QualifyLead(qualified, createAccount: false, createContact: true, createOpportunity: false, status: 3, dv.Crm);
        var contactId = Id(Assert.Single(created).Record.Id);
        dv.Org.Writer.Merge(dv.Org.Store.Entity("lead")!, winner, loser, [], dv.Crm);

        var batchesBefore = dv.Wire.Count("/$batch");
        var items = await dv.Client.Changes.ReadChangesBatchAsync(
        [
            new CrmChangeReadRequest(lead, ["lastname", "new_synctomkto"]) { Since = leadStart, PageSize = 5000 },
            new CrmChangeReadRequest(contact, ["lastname"]) { Since = contactStart, PageSize = 5000 },
        ], CancellationToken.None);
        Assert.Equal(2, dv.Wire.Count("/$batch") - batchesBefore); // the delta reads, then one lookup of the qualified lead's contact

        Assert.All(items, i => Assert.Null(i.Error));
        var leads = items[0].Page!.Records.ToDictionary(r => r.Id);
        Assert.Equal(contactId, leads[Id(qualified)].ConvertedIntoId);
        Assert.Equal("1", leads[Id(qualified)].Values["statecode"]); // Qualified
        Assert.Null(leads[Id(qualified)].MergedIntoId);
        Assert.Equal(Id(winner), leads[Id(loser)].MergedIntoId);
        Assert.Null(leads[Id(loser)].ConvertedIntoId);
        var newContact = Assert.Single(items[1].Page!.Records);
        Assert.Equal(contactId, newContact.Id);
        Assert.Equal(Id(qualified), newContact.ConvertedFromId);
        Assert.False(newContact.ModifiedBySyncUser);

        // A full read (the contact seen before or after the lead) says the same.
        var all = (await All(dv.Client.Changes.ReadAllAsync(new CrmFullReadRequest(lead, ["lastname"]) { PageSize = 2 }, CancellationToken.None)))
            .SelectMany(p => p.Records).ToDictionary(r => r.Id);
        Assert.Equal(contactId, all[Id(qualified)].ConvertedIntoId);
        Assert.Equal(Id(winner), all[Id(loser)].MergedIntoId);
        Assert.Null(all[Id(winner)].ConvertedIntoId);
    }

    [Fact]
    public async Task Changes_written_by_the_sync_user_are_marked_and_other_users_changes_are_not()
    {
        await using var dv = await Dv.StartAsync();
        var mine = dv.Create("lead", new() { ["lastname"] = "Mine" });
        var theirs = dv.Create("lead", new() { ["lastname"] = "Theirs" });
        var lead = await dv.Client.Schema.DescribeAsync("lead", CancellationToken.None);
        var start = (await All(dv.Client.Changes.ReadAllAsync(new CrmFullReadRequest(lead, ["lastname"]), CancellationToken.None)))[^1];
        Assert.All(start.Records, r => Assert.False(r.ModifiedBySyncUser)); // seeded by the second user

        var pushed = await dv.Client.Writer.UpdateAsync("lead", [new CrmRecordChange(Id(mine), new Dictionary<string, object?> { ["jobtitle"] = "Pushed" })], CancellationToken.None);
        Assert.True(Assert.Single(pushed).Success);
        dv.Org.Writer.Update(dv.Org.Store.Entity("lead")!, theirs, new Dictionary<string, object?> { ["jobtitle"] = "Edited in Dynamics" }, dv.Crm);

        var changed = (await All(dv.Client.Changes.ReadChangesAsync(new CrmChangeReadRequest(lead, ["lastname"]) { Since = start.Watermark }, CancellationToken.None)))
            .SelectMany(p => p.Records).ToDictionary(r => r.Id);
        Assert.True(changed[Id(mine)].ModifiedBySyncUser);
        Assert.Equal(dv.Client.Session.Identity!.UserId, changed[Id(mine)].Values["modifiedby"] as string, StringComparer.OrdinalIgnoreCase);
        Assert.False(changed[Id(theirs)].ModifiedBySyncUser);
    }

    [Fact]
    public async Task List_members_are_added_and_removed_idempotently_with_per_row_errors()
    {
        await using var dv = await Dv.StartAsync();
        var list = dv.Create("list", new() { ["listname"] = "Webinar", ["createdfromcode"] = 2 });
        var ann = dv.Create("contact", new() { ["lastname"] = "Ann" });
        var bob = dv.Create("contact", new() { ["lastname"] = "Bob" });
        var lead = dv.Create("lead", new() { ["lastname"] = "Wrong type" });
        CrmRecordChange Member(Guid who, string? type = "contact") =>
            new(null, new Dictionary<string, object?> { ["listid"] = Id(list), ["entityid"] = type is null ? Id(who) : type + ":" + Id(who) });
        int Members() => dv.Org.Store.Snapshot("listmember").Count(m => m.Get("listid") is EntityRef l && l.Id == list);

        var added = await dv.Client.Writer.CreateAsync("listmember", [Member(ann), Member(bob, null), Member(lead, "lead"), Member(Guid.NewGuid())], CancellationToken.None);
        Assert.Equal([true, true, false, false], added.Select(r => r.Success));
        Assert.False(added[2].IsTransientFailure); // the list targets contacts
        Assert.Equal("0x80040217", added[3].Errors[0].Code); // no such contact
        Assert.Equal(2, Members());
        Assert.Equal(2, (int)dv.Org.Store.Find("list", list)!.Get("membercount")!);

        // A retry after a crash adds nothing and answers the same memberships.
        var again = await dv.Client.Writer.CreateAsync("listmember", [Member(ann), Member(bob)], CancellationToken.None);
        Assert.Equal(added.Take(2).Select(r => r.Id), again.Select(r => r.Id));
        Assert.Equal(2, Members());

        var removed = await dv.Client.Writer.DeleteAsync("listmember", [added[0].Id!], CancellationToken.None);
        Assert.True(Assert.Single(removed).Success);
        Assert.Equal(1, Members());
        var removedAgain = await dv.Client.Writer.DeleteAsync("listmember", [added[0].Id!, added[1].Id!], CancellationToken.None);
        Assert.All(removedAgain, r => Assert.True(r.Success));
        Assert.Equal(0, Members());
        Assert.NotNull(dv.Org.Store.Find("contact", bob)); // only the membership went
    }

    [Fact]
    public async Task A_throttled_part_of_a_batch_carries_its_retry_after_and_the_other_rows_are_written()
    {
        await using var dv = await Dv.StartAsync();
        var a = dv.Create("lead", new() { ["lastname"] = "A" });
        var b = dv.Create("lead", new() { ["lastname"] = "B" });
        dv.Org.Faults.Add(new FaultRule
        {
            Kind = FaultKind.RecordError, StatusCode = 429, RetryAfterSeconds = 42, ErrorCode = "0x80072322", RecordIds = [Id(b)], Count = 1,
        });

        var results = await dv.Client.Writer.UpdateAsync("lead",
        [
            new CrmRecordChange(Id(a), new Dictionary<string, object?> { ["jobtitle"] = "one" }),
            new CrmRecordChange(Id(b), new Dictionary<string, object?> { ["jobtitle"] = "two" }),
        ], CancellationToken.None);

        Assert.True(results[0].Success);
        Assert.True(results[1].IsTransientFailure);
        Assert.Equal("0x80072322", results[1].Errors[0].Code);
        Assert.Equal(TimeSpan.FromSeconds(42), results[1].RetryAfter);
        Assert.Equal("one", dv.Org.Store.Find("lead", a)!.Get("jobtitle"));
        Assert.Null(dv.Org.Store.Find("lead", b)!.Get("jobtitle"));

        // Sent again after the wait, the row is written once.
        var retried = await dv.Client.Writer.UpdateAsync("lead", [new CrmRecordChange(Id(b), new Dictionary<string, object?> { ["jobtitle"] = "two" })], CancellationToken.None);
        Assert.True(Assert.Single(retried).Success);
        Assert.Equal("two", dv.Org.Store.Find("lead", b)!.Get("jobtitle"));
    }

    [Fact]
    public async Task The_two_options_sync_filter_reads_as_yes_no_or_empty()
    {
        await using var dv = await Dv.StartAsync(new DynamicsSeedPlan { Leads = 40, Contacts = 40 });
        foreach (var entity in new[] { "lead", "contact" })
        {
            var schema = await dv.Client.Schema.DescribeAsync(entity, CancellationToken.None);
            Assert.Equal(CrmFieldType.Boolean, schema.FindField("new_synctomkto")!.Type);
            var values = (await All(dv.Client.Changes.ReadAllAsync(new CrmFullReadRequest(schema, ["new_synctomkto"]), CancellationToken.None)))
                .SelectMany(p => p.Records).Select(r => r.Values["new_synctomkto"]).ToList();
            Assert.Equal(40, values.Count);
            Assert.Contains(true, values);
            Assert.Contains(false, values);
            Assert.Contains(null, values);
            Assert.All(values, v => Assert.True(v is null or bool));
        }
    }
}
