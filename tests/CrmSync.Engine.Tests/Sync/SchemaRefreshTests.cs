using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;

namespace CrmSync.Engine.Tests.Sync;

public sealed class SchemaRefreshTests
{
    [Fact]
    public async Task A_new_crm_field_is_created_on_the_daily_refresh_and_its_values_are_filled_for_unchanged_records()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        await bed.CycleAsync();
        await bed.CycleAsync();
        Assert.Empty(bed.Client.FakeSchema.CallLog); // the first start counts as a refresh; idle cycles never describe

        var lead = SyncTestBed.LeadSchema(withFormula: true);
        bed.Client.FakeSchema.Objects["Lead"] = lead with
        {
            Fields = [.. lead.Fields.Where(f => f.Name != "NumberOfEmployees"), SyncTestBed.Field("Rating", CrmFieldType.Picklist, "picklist", writable: true)],
        };
        bed.Source.SetWithoutStamp("Lead", "00Q000000000001AAA", "Rating", "Hot");
        bed.FakeTime!.Advance(TimeSpan.FromHours(25));

        var refreshed = await bed.CycleAsync();

        Assert.True(refreshed.State == RunState.Succeeded, refreshed.Error?.ToString());
        Assert.Contains("ListObjects", bed.Client.FakeSchema.CallLog);
        var schemaCounts = refreshed.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.SyncSchema);
        Assert.Equal(1, schemaCounts.New);
        Assert.Equal(1, schemaCounts.Deleted);
        Assert.True(bed.Store.FieldCatalog.Find("Lead", "NumberOfEmployees")!.IsOrphaned);
        Assert.Equal("Hot", bed.Row("person", "00Q000000000001AAA")["Rating"]); // backfilled although the record did not change
        Assert.Null(bed.Store.Checkpoints.Read("Lead", "backfill"));
        Assert.Contains(refreshed.Warnings, w => w.Contains("NumberOfEmployees", StringComparison.Ordinal));
        Assert.DoesNotContain("NumberOfEmployees", bed.Source.LastRequestedFields["Lead"]);

        var describes = bed.Client.FakeSchema.CallLog.Count;
        await bed.CycleAsync();
        Assert.Equal(describes, bed.Client.FakeSchema.CallLog.Count);
    }

    [Fact]
    public async Task The_refresh_creates_only_new_crm_fields_of_the_remembered_field_selection()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        await bed.CycleAsync();
        bed.Store.Profile.Save(bed.Store.Profile.Read()! with { SettingsJson = """{"includeFields":["Lead.Rat*"],"excludeFields":["*.Rating_Secret"]}""" });

        var lead = SyncTestBed.LeadSchema(withFormula: true);
        bed.Client.FakeSchema.Objects["Lead"] = lead with
        {
            Fields =
            [
                .. lead.Fields,
                SyncTestBed.Field("Rating", CrmFieldType.Picklist, "picklist", writable: true),
                SyncTestBed.Field("Rating_Secret", CrmFieldType.String, "string", writable: true),
                SyncTestBed.Field("Region", CrmFieldType.String, "string", writable: true),
            ],
        };
        bed.FakeTime!.Advance(TimeSpan.FromHours(25));

        var refreshed = await bed.CycleAsync();

        Assert.True(refreshed.State == RunState.Succeeded, refreshed.Error?.ToString());
        Assert.Equal(1, refreshed.Counts.Single(c => c.ObjectName == "Lead" && c.Operation == RunOperation.SyncSchema).New);
        Assert.NotNull(bed.Store.FieldCatalog.Find("Lead", "Rating"));
        Assert.Null(bed.Store.FieldCatalog.Find("Lead", "Rating_Secret"));
        Assert.Null(bed.Store.FieldCatalog.Find("Lead", "Region"));
        Assert.NotNull(bed.Store.FieldCatalog.Find("Lead", "LastName")); // created before the selection: kept
    }

    [Fact]
    public async Task An_object_whose_query_fails_in_the_batch_fails_the_cycle_after_the_others_are_applied()
    {
        using var bed = new SyncTestBed();
        bed.Lead("00Q000000000001AAA", "Ames");
        bed.Contact("003000000000001AAA", "Smith");
        await bed.CycleAsync();
        bed.Lead("00Q000000000001AAA", "Ames-2");
        bed.Contact("003000000000001AAA", "Smith-2");
        bed.Source.BatchErrors["Lead"] = new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.InvalidOperation, "INVALID_FIELD: no such column.", "Run Sync-CrmField.");

        var result = await bed.CycleAsync();

        Assert.Equal(RunState.Failed, result.State);
        Assert.Equal(ErrorIds.CrmRequestFailed, result.Error!.ErrorId);
        Assert.Equal("Smith-2", bed.Row("person", "003000000000001AAA")["LastName"]);
        Assert.Equal("Ames", bed.Row("person", "00Q000000000001AAA")["LastName"]);
        var error = Assert.Single(bed.Store.Errors.List(runId: result.RunId));
        Assert.Equal(SyncErrorLevel.Job, error.Level);
        Assert.Equal("Lead", error.ObjectName);

        bed.Source.BatchErrors.Clear();
        var next = await bed.CycleAsync();
        Assert.Equal(RunState.Succeeded, next.State);
        Assert.Equal("Ames-2", bed.Row("person", "00Q000000000001AAA")["LastName"]);
    }
}
