using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>sObject Collections writes: create, update, upsert on CrmSync_Key__c, delete, chunking, partial and permanent failures.</summary>
public sealed class WriteTests
{
    private static CrmRecordChange NewLead(int i, string? key = null)
    {
        var values = new Dictionary<string, object?>
        {
            ["LastName"] = "Writer" + i,
            ["Company"] = "Acme " + i,
            ["Email"] = $"writer{i}@example.com",
            ["NumberOfEmployees"] = (long)i,
            ["AnnualRevenue"] = 1000m + i,
        };
        if (key is not null) values["CrmSync_Key__c"] = key;
        return new CrmRecordChange(null, values);
    }

    [Fact]
    public async Task Create_above_200_is_chunked_and_every_record_lands_in_order()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();

        var results = await test.Writer.CreateAsync("Lead", Enumerable.Range(0, 450).Select(i => NewLead(i)).ToList(), CancellationToken.None);

        Assert.Equal(200, test.Writer.MaxBatchSize);
        Assert.Equal(Enumerable.Range(0, 450), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Success, string.Join("; ", r.Errors.Select(e => e.Code))));
        Assert.Equal(450, results.Select(r => r.Id).Distinct().Count());
        Assert.Equal(3, test.Wire.Count("/composite/sobjects", HttpMethod.Post));
        Assert.Equal(450, emulator.Host.Data.Count("Lead"));
        var stored = emulator.Host.Data.Get("Lead", results[321].Id!)!;
        Assert.Equal("Writer321", stored["LastName"]);
        Assert.Equal("writer321@example.com", stored["Email"]);
        Assert.Equal(emulator.Host.SyncUserId, stored["CreatedById"]);
    }

    [Fact]
    public async Task Upsert_on_the_external_key_creates_then_updates_with_the_Created_flag()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        var records = Enumerable.Range(0, 250).Select(i => NewLead(i, key: "key-" + i)).ToList();

        var first = await test.Writer.UpsertAsync("Lead", "CrmSync_Key__c", records, CancellationToken.None);
        var second = await test.Writer.UpsertAsync("Lead", "CrmSync_Key__c",
            records.Select(r => new CrmRecordChange(null, new Dictionary<string, object?>(r.Values) { ["Title"] = "Upserted again" })).ToList(),
            CancellationToken.None);

        Assert.All(first, r => Assert.True(r.Success && r.Created == true));
        Assert.All(second, r => Assert.True(r.Success && r.Created == false));
        Assert.Equal(first.Select(r => r.Id), second.Select(r => r.Id));
        Assert.Equal(250, emulator.Host.Data.Count("Lead"));
        Assert.Equal("Upserted again", emulator.Host.Data.Get("Lead", first[249].Id!)!["Title"]);
        Assert.Equal(4, test.Wire.Count("/composite/sobjects/Lead/CrmSync_Key__c", HttpMethod.Patch));
    }

    [Fact]
    public async Task A_retried_upsert_after_a_lost_answer_never_creates_a_second_record()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        // The connection drops on the first attempt; the upsert is idempotent on its key, so it is retried.
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.DropConnection, Count = 1, PathContains = "/composite/sobjects/Lead/CrmSync_Key__c" });

        var results = await test.Time.RunAdvancingAsync(
            test.Writer.UpsertAsync("Lead", "CrmSync_Key__c", [NewLead(1, "crash-key")], CancellationToken.None), TimeSpan.FromMinutes(1));

        Assert.True(results[0].Success);
        Assert.Equal(1, emulator.Host.Data.Count("Lead"));
        Assert.Equal(2, test.Wire.Count("/composite/sobjects/Lead/CrmSync_Key__c"));
    }

    [Fact]
    public async Task A_locked_row_fails_alone_as_transient_while_the_rest_of_the_batch_is_updated()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 250 });
        var test = emulator.CreateClient();
        var ids = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        var locked = new[] { ids[17], ids[230] };
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, RecordIds = locked, ErrorCode = "UNABLE_TO_LOCK_ROW", Count = 2 });

        var results = await test.Writer.UpdateAsync("Lead",
            ids.Select(id => new CrmRecordChange(id, new Dictionary<string, object?> { ["Title"] = "Updated" })).ToList(), CancellationToken.None);

        Assert.Equal(250, results.Count);
        var failed = results.Where(r => !r.Success).ToList();
        Assert.Equal([17, 230], failed.Select(r => r.Index));
        Assert.All(failed, r =>
        {
            Assert.True(r.IsTransientFailure);
            Assert.Equal("UNABLE_TO_LOCK_ROW", Assert.Single(r.Errors).Code);
        });
        Assert.All(results.Where(r => r.Success), r => Assert.Equal(ids[r.Index], r.Id));
        Assert.All(ids.Except(locked), id => Assert.Equal("Updated", emulator.Host.Data.Get("Lead", id)!["Title"]));
        Assert.All(locked, id => Assert.NotEqual("Updated", emulator.Host.Data.Get("Lead", id)!["Title"]));

        // The transient failures succeed when retried later.
        var retry = await test.Writer.UpdateAsync("Lead",
            locked.Select(id => new CrmRecordChange(id, new Dictionary<string, object?> { ["Title"] = "Updated" })).ToList(), CancellationToken.None);
        Assert.All(retry, r => Assert.True(r.Success));
    }

    [Fact]
    public async Task A_missing_required_field_is_a_permanent_error_for_that_record_only()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        var records = new List<CrmRecordChange>
        {
            NewLead(1),
            new(null, new Dictionary<string, object?> { ["FirstName"] = "NoLastName", ["Email"] = "nolast@example.com" }),
            NewLead(3),
        };

        var results = await test.Writer.CreateAsync("Lead", records, CancellationToken.None);

        Assert.True(results[0].Success);
        Assert.True(results[2].Success);
        var bad = results[1];
        Assert.False(bad.Success);
        Assert.False(bad.IsTransientFailure);
        var error = Assert.Single(bad.Errors);
        Assert.Equal("REQUIRED_FIELD_MISSING", error.Code);
        Assert.False(error.IsTransient);
        Assert.Contains("LastName", error.Fields);
        Assert.Equal(2, emulator.Host.Data.Count("Lead"));
    }

    [Fact]
    public async Task Delete_soft_deletes_and_a_second_delete_fails_per_record()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 10 });
        var test = emulator.CreateClient();
        var ids = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).Take(3).ToList();

        var results = await test.Writer.DeleteAsync("Lead", ids, CancellationToken.None);
        var again = await test.Writer.DeleteAsync("Lead", [ids[0]], CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Success));
        Assert.Equal(ids, results.Select(r => r.Id));
        Assert.All(ids, id => Assert.Equal(true, emulator.Host.Data.Get("Lead", id)!["IsDeleted"]));
        Assert.Equal(7, emulator.Host.Data.Count("Lead"));
        Assert.False(again[0].Success);
        Assert.Equal("ENTITY_IS_DELETED", again[0].Errors[0].Code);
    }

    [Fact]
    public async Task A_create_without_an_external_key_is_never_retried()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        await test.Session.LoginAsync(CancellationToken.None);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 503, Count = 1, PathContains = "/composite/sobjects", Method = "POST" });

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => test.Writer.CreateAsync("Lead", [NewLead(1)], CancellationToken.None));

        Assert.Equal(ErrorIds.CrmRequestFailed, ex.ErrorId);
        Assert.Equal(1, test.Wire.Count("/composite/sobjects", HttpMethod.Post));
        Assert.Equal(0, emulator.Host.Data.Count("Lead"));
    }

    [Fact]
    public async Task Values_round_trip_through_a_write_and_a_read()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        var lead = await test.Schema.DescribeAsync("Lead", CancellationToken.None);
        var created = await test.Writer.CreateAsync("Lead", [new CrmRecordChange(null, new Dictionary<string, object?>
        {
            ["LastName"] = "Ünïcødé \"quoted\", with comma",
            ["Company"] = "Line\nbreak",
            ["AnnualRevenue"] = 1234567m,
            ["NumberOfEmployees"] = 42L,
            ["HasOptedOutOfEmail"] = true,
            ["Latitude"] = 52.370216m,
        })], CancellationToken.None);

        var page = Assert.Single(await FullReadTests.CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, ["LastName", "Company", "AnnualRevenue", "NumberOfEmployees", "HasOptedOutOfEmail", "Latitude"])
            { Strategy = CrmFullReadStrategy.Paged }, CancellationToken.None)));
        var bulk = await test.Time.RunAdvancingAsync(FullReadTests.CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(lead, ["LastName", "Company", "AnnualRevenue", "NumberOfEmployees", "HasOptedOutOfEmail", "Latitude"])
            { Strategy = CrmFullReadStrategy.Bulk }, CancellationToken.None)), TimeSpan.FromMinutes(1));

        foreach (var record in new[] { Assert.Single(page.Records), Assert.Single(bulk.SelectMany(p => p.Records)) })
        {
            Assert.Equal(created[0].Id, record.Id);
            Assert.Equal("Ünïcødé \"quoted\", with comma", record.Values["LastName"]);
            Assert.Equal("Line\nbreak", record.Values["Company"]);
            Assert.Equal(1234567m, record.Values["AnnualRevenue"]);
            Assert.Equal(42L, record.Values["NumberOfEmployees"]);
            Assert.Equal(true, record.Values["HasOptedOutOfEmail"]);
            Assert.Equal(52.370216m, record.Values["Latitude"]);
        }
    }

    [Fact]
    public async Task The_single_record_upsert_answers_201_then_200_and_300_for_an_ambiguous_key()
    {
        await using var emulator = await TestEmulator.StartAsync();
        emulator.Host.Data.AddField("Lead", "Legacy_Key__c", "string", externalId: true, unique: false);
        emulator.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "A", ["Company"] = "C", ["Legacy_Key__c"] = "dup" });
        emulator.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "B", ["Company"] = "C", ["Legacy_Key__c"] = "dup" });
        var test = emulator.CreateClient();
        var writer = Assert.IsType<CrmSync.Engine.Crm.Salesforce.SalesforceRecordWriter>(test.Writer);

        var created = await writer.UpsertRecordAsync("Lead", "CrmSync_Key__c", "single-1", NewLead(1).Values, CancellationToken.None);
        var updated = await writer.UpsertRecordAsync("Lead", "CrmSync_Key__c", "single-1",
            new Dictionary<string, object?> { ["Title"] = "Again" }, CancellationToken.None);
        var ambiguous = await writer.UpsertRecordAsync("Lead", "Legacy_Key__c", "dup",
            new Dictionary<string, object?> { ["Title"] = "Which one?" }, CancellationToken.None);
        var batchAmbiguous = await test.Writer.UpsertAsync("Lead", "Legacy_Key__c",
            [new CrmRecordChange(null, new Dictionary<string, object?> { ["Legacy_Key__c"] = "dup", ["Title"] = "Which one?" })], CancellationToken.None);

        Assert.True(created.Success);
        Assert.True(created.Created);
        Assert.NotNull(created.Id);
        Assert.True(updated.Success);
        Assert.False(updated.Created);
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("Again", emulator.Host.Data.Get("Lead", created.Id!)!["Title"]);
        Assert.False(ambiguous.Success);
        Assert.Equal("MULTIPLE_CHOICES", ambiguous.Errors[0].Code);
        Assert.False(batchAmbiguous[0].Success);
        Assert.False(batchAmbiguous[0].IsTransientFailure);
        Assert.DoesNotContain(emulator.Host.Data.List("Lead"), r => (string?)r["Title"] == "Which one?");
    }

    [Fact]
    public async Task Dates_times_and_nulls_round_trip_and_deletes_above_200_are_chunked()
    {
        await using var emulator = await TestEmulator.StartAsync(new SeedPlan { Leads = 250 });
        var test = emulator.CreateClient();
        var bounced = new DateTimeOffset(2025, 11, 3, 14, 15, 16, 789, TimeSpan.Zero);
        var contact = await test.Writer.CreateAsync("Contact", [new CrmRecordChange(null, new Dictionary<string, object?>
        {
            ["LastName"] = "Dated", ["Birthdate"] = new DateOnly(1980, 2, 29), ["EmailBouncedDate"] = bounced, ["Title"] = "To be cleared",
        })], CancellationToken.None);
        Assert.True(contact[0].Success, string.Join("; ", contact[0].Errors.Select(e => e.Code + " " + e.Message)));
        var cleared = await test.Writer.UpdateAsync("Contact",
            [new CrmRecordChange(contact[0].Id, new Dictionary<string, object?> { ["Title"] = null })], CancellationToken.None);
        Assert.True(cleared[0].Success);
        var schema = await test.Schema.DescribeAsync("Contact", CancellationToken.None);
        var read = Assert.Single((await FullReadTests.CollectAsync(test.Changes.ReadAllAsync(
            new CrmFullReadRequest(schema, ["Birthdate", "EmailBouncedDate", "Title"]) { Strategy = CrmFullReadStrategy.Paged }, CancellationToken.None)))
            .SelectMany(p => p.Records));
        Assert.Equal(new DateOnly(1980, 2, 29), read.Values["Birthdate"]);
        Assert.Equal(bounced, read.Values["EmailBouncedDate"]);
        Assert.Null(read.Values["Title"]);

        var ids = emulator.Host.Data.List("Lead").Select(r => (string)r["Id"]!).ToList();
        var deleted = await test.Writer.DeleteAsync("Lead", ids, CancellationToken.None);
        Assert.All(deleted, r => Assert.True(r.Success));
        Assert.Equal(ids, deleted.Select(r => r.Id));
        Assert.Equal(2, test.Wire.Count("/composite/sobjects", HttpMethod.Delete));
        Assert.Equal(0, emulator.Host.Data.Count("Lead"));
    }

    [Fact]
    public async Task A_locked_row_on_a_single_record_upsert_is_a_transient_failed_result()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var test = emulator.CreateClient();
        var writer = Assert.IsType<CrmSync.Engine.Crm.Salesforce.SalesforceRecordWriter>(test.Writer);
        emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, Count = 1, PathContains = "/sobjects/Lead/CrmSync_Key__c/" });

        var locked = await writer.UpsertRecordAsync("Lead", "CrmSync_Key__c", "lock-1", NewLead(1).Values, CancellationToken.None);
        var retried = await writer.UpsertRecordAsync("Lead", "CrmSync_Key__c", "lock-1", NewLead(1).Values, CancellationToken.None);

        Assert.False(locked.Success);
        Assert.True(locked.IsTransientFailure);
        Assert.Equal("UNABLE_TO_LOCK_ROW", locked.Errors[0].Code);
        Assert.True(retried.Success);
        Assert.True(retried.Created);
        Assert.Equal(1, emulator.Host.Data.Count("Lead"));
    }
}
