using System.Text.Json;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Hosting;
using CrmSync.Emulator.Salesforce.Seeding;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Cli.Tests;

/// <summary>A seeded Salesforce emulator on 127.0.0.1 shared by the start/stop/report process tests (each test has its own profile).</summary>
public sealed class SeededEmulatorFixture : IAsyncLifetime
{
    public static readonly SeedPlan Plan = new() { Leads = 40, Contacts = 12, Accounts = 8, Campaigns = 2, Members = 6 };

    private EmulatorHost? host;

    public EmulatorHost Host => host ?? throw new InvalidOperationException("The emulator is not running.");

    public async Task InitializeAsync() => host = await EmulatorHost.StartAsync(new EmulatorOptions { Seed = Plan, SeedValue = "cli-start" });

    public async Task DisposeAsync()
    {
        if (host is not null)
            await host.DisposeAsync();
    }
}

/// <summary>
/// crmsync start / stop / status / error / conflict / duplicate, run as processes against the emulator the way cron runs
/// them. Profiles are connected and their fields created through the engine API (Connect-CrmSync and Sync-CrmField's
/// handlers), with the credentials saved for the current user so the child process signs in unattended.
/// </summary>
public sealed class StartVerbProcessTests : IClassFixture<SeededEmulatorFixture>, IDisposable
{
    private readonly SeededEmulatorFixture emulator;
    private readonly TempDataFolder home = new();

    public StartVerbProcessTests(SeededEmulatorFixture emulator) => this.emulator = emulator;

    public void Dispose() => home.Dispose();

    private CliResult Crmsync(params string[] args) => CliSession.Run(home.Path, null, null, args);

    private async Task ConnectAndSyncFieldsAsync(string profile)
    {
        var connector = new ProfileConnector(home.Paths, registry: new CrmConnectionRegistry());
        var credentials = emulator.Host.Credentials;
        using (var request = new ConnectionRequest
        {
            Crm = CrmSync.Engine.Crm.CrmKind.Salesforce,
            Profile = profile,
            LoginUrl = new Uri(emulator.Host.BaseUrl),
            Username = credentials.Username,
            Password = SecretValue.Copy(credentials.Password),
            SecurityToken = SecretValue.Copy(credentials.SecurityToken),
            Scope = ConnectionScope.CurrentUser,
        })
            await new ConnectCommand(connector, request).ExecuteAsync(new YesHost(), CancellationToken.None);

        ICrmClient? client = null;
        try
        {
            var syncFields = new SyncFieldsCommand(connector.Profiles, new SyncFieldsOptions { Profile = profile }, async (row, ct) =>
            {
                client = await connector.OpenClientAsync(row.Name, null, new CrmClientOptions(), ct);
                return client.Schema;
            });
            await syncFields.ExecuteAsync(new YesHost(), CancellationToken.None);
        }
        finally
        {
            client?.Dispose();
        }
    }

    private string DatabasePath(string profile) => home.Paths.DefaultDatabasePath(profile);

    private long Scalar(string profile, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath(profile)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private ProfileInfo ReadProfile(string profile)
    {
        using var store = new ProfileStore(new ProfileLocator(home.Paths)).Open(profile);
        return store.Profile.Read()!;
    }

    /// <summary>Persons the CRM has: contacts plus leads that are not converted (a converted lead is its contact).</summary>
    private int CrmPersons()
    {
        var leads = emulator.Host.Data.List("Lead").Count(l => l.TryGetValue("IsConverted", out var converted) && converted is not true);
        return leads + emulator.Host.Data.Count("Contact");
    }

    [Fact]
    public async Task Start_yes_copies_the_seeded_records_and_status_json_shows_LastSynced_with_counts_backlog_and_api_usage()
    {
        await ConnectAndSyncFieldsAsync("prod");

        CliResult start = Crmsync("start", "--profile", "prod", "--yes", "--json");

        Assert.True(start.ExitCode == 0, start.StandardError);
        using (JsonDocument json = JsonDocument.Parse(start.StandardOutput))
        {
            JsonElement cycle = json.RootElement;
            Assert.Equal("prod", cycle.GetProperty("profile").GetString());
            Assert.Equal("Succeeded", cycle.GetProperty("state").GetString());
            Assert.Equal("Initial", cycle.GetProperty("kind").GetString());
            Assert.True(cycle.GetProperty("initialSyncCompleted").GetBoolean());
            Assert.True(cycle.GetProperty("apiCalls").GetInt64() > 0);
            Assert.True(cycle.GetProperty("new").GetInt64() >= CrmPersons());
            Assert.Contains(cycle.GetProperty("counts").EnumerateArray(),
                c => c.GetProperty("objectName").GetString() == "Account" && c.GetProperty("operation").GetString() == "PullUpdates"
                     && c.GetProperty("new").GetInt64() == SeededEmulatorFixture.Plan.Accounts);
        }
        Assert.Contains("initial sync of profile 'prod' is complete", start.StandardError, StringComparison.Ordinal);
        Assert.Equal(emulator.Host.Data.Count("Account"), Scalar("prod", "SELECT count(*) FROM account"));
        Assert.Equal(CrmPersons(), Scalar("prod", "SELECT count(*) FROM person WHERE _crm_is_deleted = 0 AND _merged_into IS NULL"));
        Assert.Equal(0, Scalar("prod", "SELECT count(*) FROM (SELECT _crm_id FROM person WHERE _crm_id IS NOT NULL GROUP BY _crm_id HAVING count(*) > 1)"));
        Assert.NotNull(ReadProfile("prod").MappingsLockedAt);

        CliResult status = Crmsync("status", "--profile", "prod", "--json");

        Assert.True(status.ExitCode == 0, status.StandardError);
        using JsonDocument statusJson = JsonDocument.Parse(status.StandardOutput);
        JsonElement root = statusJson.RootElement;
        Assert.Equal("LastSynced", root.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.String, root.GetProperty("lastSuccess").ValueKind);
        Assert.Contains(root.GetProperty("counts").EnumerateArray(),
            c => c.GetProperty("objectName").GetString() == "Lead" && c.GetProperty("new").GetInt64() > 0);
        Assert.Equal(0, root.GetProperty("pushBacklog").GetInt64());
        Assert.True(root.GetProperty("apiUsed").GetInt64() > 0);
        Assert.True(root.GetProperty("apiMax").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("nextRun").ValueKind); // no continuous sync is waiting

        CliResult text = Crmsync("status", "--profile", "prod");
        Assert.Matches(@"(?m)^State\s+: LastSynced\s*$", text.StandardOutput);
        Assert.Matches(@"(?m)^ApiUsed\s+: \d+\s*$", text.StandardOutput);
        Assert.Contains("PullUpdates", text.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_later_start_runs_without_yes_non_interactively_and_brings_new_crm_records()
    {
        await ConnectAndSyncFieldsAsync("cron");
        Assert.True(Crmsync("start", "--profile", "cron", "--yes").ExitCode == 0);
        var before = Scalar("cron", "SELECT count(*) FROM person");
        emulator.Host.Data.Insert("Lead", new Dictionary<string, object?> { ["LastName"] = "Latecomer", ["Company"] = "Cron Inc", ["Email"] = "late@cron.example" });

        CliResult second = Crmsync("start", "--profile", "cron", "--json");

        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.DoesNotContain("--yes", second.StandardError, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(second.StandardOutput);
        Assert.Equal("Incremental", json.RootElement.GetProperty("kind").GetString());
        Assert.False(json.RootElement.GetProperty("initialSyncCompleted").GetBoolean());
        Assert.Equal(before + 1, Scalar("cron", "SELECT count(*) FROM person"));
        Assert.Equal(1, Scalar("cron", "SELECT count(*) FROM person WHERE LastName = 'Latecomer'"));
        Assert.Equal(2, Scalar("cron", "SELECT count(*) FROM crmsync_run WHERE state = 'Succeeded' AND triggered_by = 'crmsync start'"));
    }

    [Fact]
    public async Task A_first_start_without_yes_and_without_a_terminal_refuses_with_exit_2_and_changes_nothing()
    {
        await ConnectAndSyncFieldsAsync("fresh");

        CliResult start = Crmsync("start", "--profile", "fresh");

        Assert.Equal(ExitCodes.Usage, start.ExitCode);
        Assert.Contains(ErrorIds.ConfirmationRequired, start.StandardError, StringComparison.Ordinal);
        Assert.Contains("--yes", start.StandardError, StringComparison.Ordinal);
        Assert.Contains("Lock the field mappings", start.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", start.StandardOutput);
        Assert.Equal(0, Scalar("fresh", "SELECT count(*) FROM crmsync_run"));
        Assert.Equal(0, Scalar("fresh", "SELECT count(*) FROM person"));
        Assert.Null(ReadProfile("fresh").MappingsLockedAt);
    }

    [Fact]
    public async Task A_start_while_another_run_holds_the_lock_exits_4_naming_the_holder()
    {
        await ConnectAndSyncFieldsAsync("busy");
        Assert.True(Crmsync("start", "--profile", "busy", "--yes").ExitCode == 0);
        using (var store = new ProfileStore(new ProfileLocator(home.Paths)).Open("busy"))
            store.RunLock.Acquire(); // another process's live lease (2 minutes)

        CliResult start = Crmsync("start", "--profile", "busy");

        Assert.Equal(ExitCodes.LockHeld, start.ExitCode);
        Assert.Equal(4, ExitCodes.LockHeld);
        Assert.Contains(ErrorIds.SyncLockHeld, start.StandardError, StringComparison.Ordinal);
        Assert.Contains(Environment.MachineName, start.StandardError, StringComparison.Ordinal);
        Assert.Contains($"process {Environment.ProcessId}", start.StandardError, StringComparison.Ordinal);
        // The refused start is recorded (a Failed run with the reason), and the status names it.
        Assert.Equal(2, Scalar("busy", "SELECT count(*) FROM crmsync_run"));
        Assert.Equal(1, Scalar("busy", "SELECT count(*) FROM crmsync_run WHERE state = 'Failed' AND error_id = 'SyncLockHeld'"));
    }

    [Fact]
    public async Task A_server_error_at_login_is_a_crm_failure_exit_1_and_status_says_Failed_with_the_reason_and_what_to_do()
    {
        await ConnectAndSyncFieldsAsync("down");
        Assert.True(Crmsync("start", "--profile", "down", "--yes").ExitCode == 0);
        string fault = emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 500, PathContains = "/services/Soap/" });
        CliResult start;
        try
        {
            start = Crmsync("start", "--profile", "down");
        }
        finally
        {
            emulator.Host.Faults.Remove(fault);
        }

        Assert.True(start.ExitCode == ExitCodes.Failure, $"exit {start.ExitCode}: {start.StandardError}");
        Assert.Contains(ErrorIds.CrmRequestFailed, start.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(ErrorIds.NotACrmEndpoint, start.StandardError, StringComparison.Ordinal);

        CliResult status = Crmsync("status", "--profile", "down", "--json");
        Assert.True(status.ExitCode == 0, status.StandardError);
        using (JsonDocument json = JsonDocument.Parse(status.StandardOutput))
        {
            Assert.Equal("Failed", json.RootElement.GetProperty("state").GetString());
            var error = json.RootElement.GetProperty("lastError");
            Assert.Equal(ErrorIds.CrmRequestFailed, error.GetProperty("errorId").GetString());
            Assert.Contains("HTTP 500", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("recommendedAction").GetString()));
            Assert.True(error.TryGetProperty("occurredAt", out _));
        }
        CliResult text = Crmsync("status", "--profile", "down");
        Assert.Contains("Failed", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("RecommendedAction", text.StandardOutput, StringComparison.Ordinal);

        Assert.True(Crmsync("start", "--profile", "down").ExitCode == 0); // the CRM is back: the next start runs
    }

    [Fact]
    public async Task A_change_backing_off_after_a_transient_failure_shows_in_start_and_status_and_retry_now_pushes_it_at_once()
    {
        await ConnectAndSyncFieldsAsync("backoff");
        Assert.True(Crmsync("start", "--profile", "backoff", "--yes").ExitCode == 0);
        var lead = (string)emulator.Host.Data.List("Lead").First(l => l.GetValueOrDefault("IsConverted") is not true)["Id"]!;
        using (var connection = new SqliteConnection($"Data Source={DatabasePath("backoff")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE person SET Title = 'Retried now' WHERE _crm_id = '{lead}';";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        string fault = emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, RecordIds = [lead], ErrorCode = "UNABLE_TO_LOCK_ROW", Count = 1 });
        CliResult failed;
        try
        {
            failed = Crmsync("start", "--profile", "backoff");
        }
        finally
        {
            emulator.Host.Faults.Remove(fault);
        }

        Assert.True(failed.ExitCode == 0, failed.StandardError); // a per-record failure does not fail the cycle
        Assert.Contains("1 local change(s) wait for a retry after a transient failure; the next is due at", failed.StandardError, StringComparison.Ordinal);
        Assert.Contains("--retry-now", failed.StandardError, StringComparison.Ordinal);
        CliResult status = Crmsync("status", "--profile", "backoff", "--json");
        using (JsonDocument json = JsonDocument.Parse(status.StandardOutput))
        {
            Assert.Equal(1, json.RootElement.GetProperty("retryWaiting").GetInt64());
            var next = json.RootElement.GetProperty("nextRetryAt").GetDateTimeOffset();
            Assert.InRange((next - DateTimeOffset.UtcNow).TotalSeconds, 1, 61); // backing off one minute
        }

        // A plain start within the minute leaves it waiting; --retry-now pushes it at once.
        Assert.True(Crmsync("start", "--profile", "backoff").ExitCode == 0);
        Assert.NotEqual("Retried now", emulator.Host.Data.Get("Lead", lead)!["Title"]);
        CliResult retried = Crmsync("start", "--profile", "backoff", "--retry-now");
        Assert.True(retried.ExitCode == 0, retried.StandardError);
        Assert.Equal("Retried now", emulator.Host.Data.Get("Lead", lead)!["Title"]);
        using (JsonDocument json = JsonDocument.Parse(Crmsync("status", "--profile", "backoff", "--json").StandardOutput))
        {
            Assert.Equal(0, json.RootElement.GetProperty("retryWaiting").GetInt64());
            Assert.Equal(JsonValueKind.Null, json.RootElement.TryGetProperty("nextRetryAt", out var n) ? n.ValueKind : JsonValueKind.Null);
        }
    }

    [Fact]
    public async Task A_failed_cycle_prints_its_result_exits_1_and_error_json_lists_the_job_error()
    {
        await ConnectAndSyncFieldsAsync("failing");
        string fault = emulator.Host.Faults.Add(new FaultRule { Kind = FaultKind.RequestLimitExceeded, PathContains = "/query" });
        CliResult start;
        try
        {
            start = Crmsync("start", "--profile", "failing", "--yes", "--json");
        }
        finally
        {
            emulator.Host.Faults.Remove(fault);
        }

        Assert.Equal(ExitCodes.Failure, start.ExitCode);
        string errorId;
        using (JsonDocument json = JsonDocument.Parse(start.StandardOutput))
        {
            Assert.Equal("Failed", json.RootElement.GetProperty("state").GetString());
            errorId = json.RootElement.GetProperty("errorId").GetString()!;
        }
        Assert.Contains(errorId, start.StandardError, StringComparison.Ordinal);

        CliResult errors = Crmsync("error", "--profile", "failing", "--json");

        Assert.True(errors.ExitCode == 0, errors.StandardError);
        using JsonDocument list = JsonDocument.Parse(errors.StandardOutput);
        Assert.Equal(JsonValueKind.Array, list.RootElement.ValueKind);
        Assert.Contains(list.RootElement.EnumerateArray(), e => e.GetProperty("errorId").GetString() == errorId
                                                             && e.GetProperty("level").GetString() == "Job"
                                                             && e.GetProperty("profile").GetString() == "failing");

        CliResult recovered = Crmsync("start", "--profile", "failing");
        Assert.True(recovered.ExitCode == 0, recovered.StandardError); // the next cycle resumes
    }

    [Fact]
    public async Task Conflict_duplicate_and_error_json_are_arrays_also_when_empty()
    {
        await ConnectAndSyncFieldsAsync("reports");
        Assert.True(Crmsync("start", "--profile", "reports", "--yes").ExitCode == 0);

        foreach (string verb in new[] { "conflict", "duplicate", "error" })
        {
            CliResult result = Crmsync(verb, "--profile", "reports", "--json");
            Assert.True(result.ExitCode == 0, $"{verb}: {result.StandardError}");
            using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
            Assert.Equal(JsonValueKind.Array, json.RootElement.ValueKind);
            foreach (JsonElement item in json.RootElement.EnumerateArray())
                Assert.Equal("reports", item.GetProperty("profile").GetString());
        }

        CliResult filtered = Crmsync("conflict", "--profile", "reports", "--object", "Lead", "--field", "Email", "--last", "5", "--json");
        Assert.True(filtered.ExitCode == 0, filtered.StandardError);
        Assert.Equal(ExitCodes.Usage, Crmsync("error", "--profile", "reports", "--level", "Sometimes").ExitCode);
        Assert.Equal(ExitCodes.Usage, Crmsync("error", "--profile", "reports", "--retention", "1.00:00:00").ExitCode);
        Assert.Equal(ExitCodes.Usage, Crmsync("duplicate", "--profile", "reports", "--rule", "Phone").ExitCode);
    }

    [Fact]
    public async Task Stop_disables_the_sync_and_the_next_start_enables_it_again()
    {
        await ConnectAndSyncFieldsAsync("stopper");
        Assert.True(Crmsync("start", "--profile", "stopper", "--yes").ExitCode == 0);

        CliResult whatIf = Crmsync("stop", "--profile", "stopper", "--what-if");
        Assert.True(whatIf.ExitCode == 0, whatIf.StandardError);
        Assert.True(ReadProfile("stopper").SyncEnabled);

        CliResult stop = Crmsync("stop", "--profile", "stopper", "--json");
        Assert.True(stop.ExitCode == 0, stop.StandardError);
        using (JsonDocument json = JsonDocument.Parse(stop.StandardOutput))
            Assert.False(json.RootElement.GetProperty("enabled").GetBoolean());
        Assert.False(ReadProfile("stopper").SyncEnabled);

        CliResult start = Crmsync("start", "--profile", "stopper");
        Assert.True(start.ExitCode == 0, start.StandardError);
        Assert.True(ReadProfile("stopper").SyncEnabled);
    }

    [Theory]
    [InlineData("--interval", "00:05:00")]
    [InlineData("--continuous", "--interval", "00:00:00.5")]
    [InlineData("--continuous", "--interval", "five minutes")]
    [InlineData("--continuous", "--interval", "86401")]
    [InlineData("--continuous", "--interval", "60.00:00:00")]
    [InlineData("--continuous", "--interval", "99999999999999999999")]
    [InlineData("--initial-strategy", "Fast")]
    [InlineData("--bulk-threshold", "-1")]
    public void Start_with_invalid_options_is_a_usage_error_before_anything_is_opened(params string[] args)
    {
        CliResult start = Crmsync(["start", "--profile", "nowhere", .. args]);

        Assert.Equal(ExitCodes.Usage, start.ExitCode);
        Assert.DoesNotContain(ErrorIds.ProfileNotFound, start.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", start.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("86401", "longer than 1 day")]
    [InlineData("60.00:00:00", "longer than 1 day")]
    [InlineData("99999999999999999999", "give seconds (300) or a time span (00:05:00)")]
    [InlineData("5 minutes", "give seconds (300) or a time span (00:05:00)")]
    [InlineData("0", "shorter than 1 second")]
    public void A_bad_interval_names_the_accepted_forms_and_bounds(string interval, string expected)
    {
        CliResult start = Crmsync("start", "--profile", "nowhere", "--continuous", "--interval", interval);

        Assert.Equal(ExitCodes.Usage, start.ExitCode);
        Assert.Contains(expected, start.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_of_an_unknown_profile_exits_3()
    {
        CliResult start = Crmsync("start", "--profile", "nowhere", "--yes");

        Assert.Equal(ExitCodes.NotFound, start.ExitCode);
        Assert.Contains(ErrorIds.ProfileNotFound, start.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_documents_the_start_exit_codes()
    {
        CliResult help = Crmsync("help", "start");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("4  start: another run holds the profile's sync lock", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("130  start: interrupted by Ctrl+C or SIGTERM", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--yes", help.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Answers yes to every confirmation (Connect-CrmSync, Sync-CrmField) and ignores output.</summary>
    private sealed class YesHost : ICommandHost
    {
        public bool ShouldProcess(string target, string action) => true;
        public void WriteProgress(ProgressInfo progress) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteObject(object value) { }
        public void WriteError(CrmSyncException error) => throw error;
    }
}
