using System.Net;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class BulkQueryTests
{
    private const string Jobs = TestEmulator.V + "/jobs/query";

    private static async Task<string> CreateJob(TestEmulator emu, string soql, string operation = "query")
    {
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, Jobs, new { operation, query = soql });
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(Fixtures.Json("bulk2-query-job-create-response.json"), body);
        Assert.Equal("UploadComplete", body!["state"]!.GetValue<string>());
        return body["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task Job_moves_UploadComplete_InProgress_JobComplete_and_results_are_412_before()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { Seed = new SeedPlan { Leads = 7 } });
        string id = await CreateJob(emu, "SELECT Id, Name FROM Lead");
        Assert.StartsWith("750", id);
        var (early, earlyBody, _) = await emu.GetAsync($"{Jobs}/{id}/results");
        Assert.Equal(HttpStatusCode.PreconditionFailed, early);
        Fixtures.AssertSameShape(Fixtures.Json("bulk2-query-results-error-412.json"), earlyBody);
        Assert.Equal("JOB_NOT_COMPLETE", earlyBody![0]!["errorCode"]!.GetValue<string>());
        Assert.EndsWith("Current status: UPLOAD_COMPLETE", earlyBody[0]!["message"]!.GetValue<string>());

        var (_, first, _) = await emu.GetAsync($"{Jobs}/{id}");
        Assert.Equal("InProgress", first!["state"]!.GetValue<string>());
        var (_, second, _) = await emu.GetAsync($"{Jobs}/{id}");
        Assert.Equal("JobComplete", second!["state"]!.GetValue<string>());
        Fixtures.AssertSameShape(Fixtures.Json("bulk2-query-job-info-complete.json"), second);
        Assert.Equal(7, second["numberRecordsProcessed"]!.GetValue<int>());

        var (_, list, _) = await emu.GetAsync(Jobs);
        Assert.Contains(list!["records"]!.AsArray(), j => j!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Results_are_quoted_csv_chunks_with_locator_and_record_count_headers()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { BulkPollsToComplete = 0 });
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Say \"hi\"", ["FirstName"] = "A", ["Company"] = "Co, Ltd" });
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "B", ["Company"] = "Two", ["AnnualRevenue"] = 1500m });
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "C", ["Company"] = "Three" });
        string id = await CreateJob(emu, "SELECT Id, LastName, Company, AnnualRevenue, IsConverted, CreatedDate FROM Lead ORDER BY LastName DESC");
        var (status, _, response) = await emu.GetAsync($"{Jobs}/{id}/results?maxRecords=2");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("2", response.Headers.GetValues("Sforce-NumberOfRecords").Single());
        string locator = response.Headers.GetValues("Sforce-Locator").Single();
        Assert.NotEqual("null", locator);
        string csv = await response.Content.ReadAsStringAsync();
        string[] lines = csv.Split('\n');
        Assert.Equal("\"Id\",\"LastName\",\"Company\",\"AnnualRevenue\",\"IsConverted\",\"CreatedDate\"", lines[0]);
        Assert.EndsWith("\"Say \"\"hi\"\"\",\"Co, Ltd\",\"\",\"false\",\"2026-03-02T10:00:00.000Z\"", lines[1]);
        Assert.EndsWith("\"C\",\"Three\",\"\",\"false\",\"2026-03-02T10:00:00.000Z\"", lines[2]);
        Assert.Equal("", lines[3]);
        Assert.Equal(4, lines.Length);
        var (_, _, last) = await emu.GetAsync($"{Jobs}/{id}/results?locator={locator}&maxRecords=2");
        Assert.Equal("null", last.Headers.GetValues("Sforce-Locator").Single());
        Assert.Equal("1", last.Headers.GetValues("Sforce-NumberOfRecords").Single());
        Assert.Contains("\"B\",\"Two\",\"1500\"", await last.Content.ReadAsStringAsync());
        // The fixture's header/quoting style.
        Assert.StartsWith("\"Id\",\"Name\"\n", Fixtures.Text("bulk2-query-results.csv").Replace("\r\n", "\n"));
    }

    [Fact]
    public async Task A_flat_select_list_gives_the_same_cells_as_the_projected_records_of_a_select_with_a_parent_field()
    {
        // A SELECT of the object's own fields is read straight into one array per request (no record per row); one with a
        // parent path (Owner.Name) goes through the projected records. The shared columns must read the same.
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { BulkPollsToComplete = 0, Seed = new SeedPlan { Leads = 25 } });
        emu.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Say \"hi\"", ["Company"] = "Co, Ltd", ["AnnualRevenue"] = 1234.5m });
        const string Fields = "Id, LastName, FirstName, Company, Email, AnnualRevenue, IsConverted, CreatedDate, SystemModstamp";
        async Task<string[]> Lines(string soql)
        {
            string id = await CreateJob(emu, soql);
            var (_, _, response) = await emu.GetAsync($"{Jobs}/{id}/results");
            return (await response.Content.ReadAsStringAsync()).Split('\n');
        }
        var flat = await Lines($"SELECT {Fields} FROM Lead");
        var projected = await Lines($"SELECT {Fields}, Owner.Name FROM Lead");
        Assert.True(flat.Length >= 28, $"{flat.Length} lines"); // header, the seeded leads and the one above, the empty string after the last newline
        Assert.Equal(flat.Length, projected.Length);
        for (int i = 0; i < flat.Length - 1; i++)
        {
            Assert.StartsWith(flat[i] + ",", projected[i]);
        }
        Assert.Contains(flat, line => line.Contains("\"Say \"\"hi\"\"\",\"\",\"Co, Ltd\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(2026, 3, 2, 10, 0, 0, 0)]
    [InlineData(987, 6, 5, 4, 3, 2, 7)]
    [InlineData(9999, 12, 31, 23, 59, 59, 999)]
    [InlineData(1, 1, 1, 0, 0, 0, 10)]
    public void Datetimes_and_dates_are_written_as_the_format_strings_write_them(int year, int month, int day, int hour, int minute, int second, int ms)
    {
        var at = new DateTime(year, month, day, hour, minute, second, ms, DateTimeKind.Utc);
        var date = DateOnly.FromDateTime(at);
        var csv = new CrmSync.Emulator.Salesforce.Rest.BulkCsvWriter((byte)',', "\n");
        csv.Cell(at, first: true);
        csv.Cell(date, first: false);
        csv.EndLine();
        var written = new MemoryStream();
        csv.FlushAsync(written, CancellationToken.None).GetAwaiter().GetResult();
        var expected = "\"" + at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) + "\",\""
            + date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + "\"\n";
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(written.ToArray()));
    }

    [Fact]
    public async Task QueryAll_jobs_include_deleted_rows_and_jobs_can_be_aborted_and_deleted()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { BulkPollsToComplete = 0 });
        string keep = emu.Host.Data.Insert("Contact", new Dictionary<string, object?> { ["LastName"] = "Keep" });
        string gone = emu.Host.Data.Insert("Contact", new Dictionary<string, object?> { ["LastName"] = "Gone" });
        emu.Host.Data.Delete("Contact", gone);
        string all = await CreateJob(emu, "SELECT Id, IsDeleted FROM Contact", "queryAll");
        var (_, _, response) = await emu.GetAsync($"{Jobs}/{all}/results");
        string csv = await response.Content.ReadAsStringAsync();
        Assert.Contains($"\"{gone}\",\"true\"", csv);
        Assert.Contains($"\"{keep}\",\"false\"", csv);

        emu.Host.Org.BulkJobs.PollsToComplete = 5;
        string slow = await CreateJob(emu, "SELECT Id FROM Contact");
        var (abortStatus, aborted, _) = await emu.SendAsync(HttpMethod.Patch, $"{Jobs}/{slow}", new { state = "Aborted" });
        Assert.Equal(HttpStatusCode.OK, abortStatus);
        Assert.Equal("Aborted", aborted!["state"]!.GetValue<string>());
        var (results, body, _) = await emu.GetAsync($"{Jobs}/{slow}/results");
        Assert.Equal(HttpStatusCode.PreconditionFailed, results);
        Assert.EndsWith("ABORTED", body![0]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await emu.SendAsync(HttpMethod.Delete, $"{Jobs}/{slow}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await emu.GetAsync($"{Jobs}/{slow}")).Status);
    }

    [Fact]
    public async Task Completion_can_wait_for_the_clock()
    {
        await using var emu = await TestEmulator.StartAsync(new EmulatorOptions { BulkPollsToComplete = 1 });
        emu.Host.Org.BulkJobs.CompletionDelay = TimeSpan.FromSeconds(30);
        string id = await CreateJob(emu, "SELECT Id FROM Lead");
        Assert.Equal("InProgress", (await emu.GetAsync($"{Jobs}/{id}")).Body!["state"]!.GetValue<string>());
        Assert.Equal("InProgress", (await emu.GetAsync($"{Jobs}/{id}")).Body!["state"]!.GetValue<string>());
        emu.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("JobComplete", (await emu.GetAsync($"{Jobs}/{id}")).Body!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_jobs_are_rejected()
    {
        await using var emu = await TestEmulator.StartAsync();
        var (status, body, _) = await emu.SendAsync(HttpMethod.Post, Jobs, new { operation = "query", query = "SELECT Nope FROM Lead" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Nope", body![0]!["message"]!.GetValue<string>());
        var (badOp, _, _) = await emu.SendAsync(HttpMethod.Post, Jobs, new JsonObject { ["operation"] = "insert", ["query"] = "SELECT Id FROM Lead" });
        Assert.Equal(HttpStatusCode.BadRequest, badOp);
    }
}
