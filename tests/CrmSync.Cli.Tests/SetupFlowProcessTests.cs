using System.Text.Json;
using System.Text.RegularExpressions;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;
using CrmSync.Emulator.Salesforce.Auth;
using Microsoft.Data.Sqlite;

namespace CrmSync.Cli.Tests;

/// <summary>
/// Issue 4 "done when", tried as a new user would with the built crmsync against a real (emulated) Salesforce over loopback:
/// connect (wrong token, right token), sync-field --what-if (exactly the visible fields less the exclusions; the restricted
/// user sees fewer), sync-field --yes (real SQLite columns; a second run adds nothing), mappings before and after the lock,
/// secrets never from arguments, and no permanent step without --yes when no one can answer a prompt.
/// </summary>
public sealed class SetupFlowProcessTests : IClassFixture<EmulatorFixture>, IDisposable
{
    private static readonly string[] Exclusions = ["Lead.*Phone*", "*.Fax"];
    private readonly EmulatorFixture emulator;
    private readonly TempDataFolder home = new();

    public SetupFlowProcessTests(EmulatorFixture emulator) => this.emulator = emulator;

    public void Dispose() => home.Dispose();

    private static Dictionary<string, string> Secrets(string token = EmulatorCredentials.DefaultSecurityToken) => new()
    {
        ["CRMSYNC_PASSWORD"] = EmulatorCredentials.DefaultPassword,
        ["CRMSYNC_SECURITY_TOKEN"] = token,
    };

    private CliResult Run(params string[] args) => CliSession.Run(home.Path, null, "", args);

    private void Connect(string profile = "default", string user = EmulatorCredentials.DefaultUsername)
    {
        CliResult result = CliSession.Run(home.Path, Secrets(), "", "connect", "--crm", "salesforce", "--login-url", emulator.LoginUrl,
            "--username", user, "--profile", profile);
        Assert.True(result.ExitCode == 0, result.StandardError);
    }

    [Fact]
    public void A_process_scope_profile_works_in_later_commands_from_the_environments_secrets_and_without_them_says_how()
    {
        CliResult connect = CliSession.Run(home.Path, Secrets(), "", "connect", "--crm", "salesforce", "--login-url", emulator.LoginUrl,
            "--username", EmulatorCredentials.DefaultUsername, "--profile", "container", "--scope", "process");
        Assert.True(connect.ExitCode == 0, connect.StandardError);

        // A later command, as a container or runbook runs it: the secrets come from its environment, nothing was saved.
        CliResult fields = CliSession.Run(home.Path, Secrets(), "", "sync-field", "--profile", "container", "--yes");
        Assert.True(fields.ExitCode == 0, fields.StandardError);
        CliResult start = CliSession.Run(home.Path, Secrets(), "", "start", "--profile", "container", "--yes");
        Assert.True(start.ExitCode == 0, start.StandardError);

        CliResult without = CliSession.Run(home.Path, null, "", "start", "--profile", "container");
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("CredentialsNotSaved", without.StandardError, StringComparison.Ordinal);
        Assert.Contains("CRMSYNC_PASSWORD", without.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(EmulatorCredentials.DefaultPassword, without.StandardError + without.StandardOutput, StringComparison.Ordinal);

        // The failed start is visible in the status: Failed, the reason, and what to do.
        CliResult status = CliSession.Run(home.Path, null, "", "status", "--profile", "container", "--json");
        Assert.True(status.ExitCode == 0, status.StandardError);
        using JsonDocument json = JsonDocument.Parse(status.StandardOutput);
        Assert.Equal("Failed", json.RootElement.GetProperty("state").GetString());
        Assert.Equal("CredentialsNotSaved", json.RootElement.GetProperty("lastError").GetProperty("errorId").GetString());
        Assert.Contains("CRMSYNC_PASSWORD", json.RootElement.GetProperty("lastError").GetProperty("recommendedAction").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_with_a_wrong_security_token_fails_says_what_to_check_and_saves_nothing()
    {
        CliResult result = CliSession.Run(home.Path, Secrets(token: "not-the-token"), "", "connect", "--login-url", emulator.LoginUrl,
            "--username", EmulatorCredentials.DefaultUsername);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("InvalidCredentials", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("security token", result.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not-the-token", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(home.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Connect_with_the_right_token_saves_the_profile_and_encrypted_secrets_and_prints_no_secret()
    {
        CliResult result = CliSession.Run(home.Path, Secrets(), "", "connect", "--crm", "salesforce", "--login-url", emulator.LoginUrl,
            "--username", EmulatorCredentials.DefaultUsername, "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("default", json.RootElement.GetProperty("profile").GetString());
        Assert.Equal(EmulatorCredentials.DefaultUsername, json.RootElement.GetProperty("userName").GetString());
        Assert.Equal("CurrentUser", json.RootElement.GetProperty("scope").GetString());
        Assert.True(File.Exists(home.Paths.DefaultDatabasePath("default")));
        if (!OperatingSystem.IsWindows()) // personal data: the new profile database is readable by its owner only
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(home.Paths.DefaultDatabasePath("default")));
        string secretsFile = json.RootElement.GetProperty("secretsStoredAt").GetString()!;
        Assert.True(File.Exists(secretsFile));
        Assert.DoesNotContain(EmulatorCredentials.DefaultSecurityToken, File.ReadAllText(secretsFile), StringComparison.Ordinal);
        Assert.DoesNotContain(EmulatorCredentials.DefaultSecurityToken, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_reads_password_and_token_from_standard_input_with_password_stdin()
    {
        CliResult result = CliSession.Run(home.Path, null, $"{EmulatorCredentials.DefaultPassword}\n{EmulatorCredentials.DefaultSecurityToken}\n",
            "connect", "--login-url", emulator.LoginUrl, "--username", EmulatorCredentials.DefaultUsername, "--password-stdin", "--profile", "piped");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.True(File.Exists(home.Paths.DefaultDatabasePath("piped")));
    }

    [Theory]
    [InlineData("--password", "hunter2")]
    [InlineData("--password=hunter2", null)]
    [InlineData("--client-secret", "hunter2")]
    public void A_secret_given_as_an_argument_is_refused_and_never_echoed(string option, string? value)
    {
        var args = new List<string> { "connect", "--login-url", emulator.LoginUrl, "--username", EmulatorCredentials.DefaultUsername, option };
        if (value is not null)
            args.Add(value);

        CliResult result = CliSession.Run(home.Path, null, "", [.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("never taken from command-line arguments", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("CRMSYNC_PASSWORD", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(home.Paths.ProfilesDirectory));
    }

    [Fact]
    public void Sync_field_without_yes_and_without_a_terminal_refuses_with_exit_2_and_changes_nothing()
    {
        Connect();

        CliResult result = Run("sync-field");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--what-if", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("--yes", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(ColumnsOf("default", "person"));
    }

    [Fact]
    public async Task Sync_field_what_if_lists_exactly_the_fields_each_user_can_see_less_the_exclusions()
    {
        Connect("default");
        Connect("restricted", EmulatorCredentials.DefaultRestrictedUsername);

        var syncUser = WhatIfLeadFields("default");
        var restricted = WhatIfLeadFields("restricted");

        Assert.Equal(ExpectedLeadFields(await emulator.DescribeFieldsAsync("Lead", restrictedUser: false)), syncUser.Planned);
        Assert.Equal(syncUser.Planned, syncUser.Listed);
        Assert.Equal(ExpectedLeadFields(await emulator.DescribeFieldsAsync("Lead", restrictedUser: true)), restricted.Planned);
        Assert.Equal(restricted.Planned, restricted.Listed);
        Assert.True(restricted.Planned.IsProperSubsetOf(syncUser.Planned), "the restricted user must see fewer Lead fields");
        Assert.DoesNotContain("Phone", syncUser.Planned);
        Assert.Contains("Email", syncUser.Planned);
        // -WhatIf changed nothing: no table, no stored exclusion
        Assert.Empty(ColumnsOf("default", "person"));
    }

    [Fact]
    public void Sync_field_yes_creates_the_columns_and_a_second_run_adds_nothing()
    {
        Connect();

        CliResult first = Run(["sync-field", "--yes", "--json", .. Exclusions.SelectMany(p => new[] { "--exclude", p })]);
        Assert.True(first.ExitCode == 0, first.StandardError);
        var created = Plan(first.StandardOutput).Where(e => e.Action == "Create" && e.Object == "Lead").Select(e => e.Field).ToHashSet();
        var columns = ColumnsOf("default", "person");
        Assert.Subset(columns.ToHashSet(StringComparer.Ordinal), created);
        Assert.Contains("_crm_id", columns);
        Assert.Contains("_crm_type", columns);
        // Lead.Phone is excluded; the person column Phone still comes from Contact.Phone, which no pattern matches
        Assert.Contains(Plan(first.StandardOutput), e => e.Action == "Excluded" && e.Object == "Lead" && e.Field == "Phone");
        Assert.Contains(Plan(first.StandardOutput), e => e.Action == "Create" && e.Object == "Contact" && e.Field == "Phone");

        CliResult second = Run("sync-field", "--yes", "--json");
        Assert.True(second.ExitCode == 0, second.StandardError);
        var again = Plan(second.StandardOutput);
        Assert.DoesNotContain(again, e => e.Action == "Create");
        Assert.Contains(again, e => e.Action == "Excluded" && e.Object == "Lead" && e.Field == "Phone");
        Assert.Equal(columns, ColumnsOf("default", "person"));
    }

    [Fact]
    public void Mappings_change_before_the_first_start_and_are_refused_with_MappingLocked_after_it()
    {
        Connect();
        Assert.Equal(0, Run("sync-field", "--yes").ExitCode);

        CliResult set = Run("mapping", "--set", "Lead.Email", "--rule", "AlwaysCrm", "--json");
        Assert.True(set.ExitCode == 0, set.StandardError);
        using (JsonDocument json = JsonDocument.Parse(set.StandardOutput))
            Assert.Equal("AlwaysCrm", json.RootElement.GetProperty("rule").GetString());
        CliResult listed = Run("mapping", "--object", "Lead", "--field", "Email", "--json");
        using (JsonDocument json = JsonDocument.Parse(listed.StandardOutput))
            Assert.Equal("AlwaysCrm", json.RootElement.GetProperty("rule").GetString());

        using (var store = new ProfileStore(new ProfileLocator(home.Paths)).Open("default"))
            new FieldMappingService(store).LockMappings();

        CliResult locked = Run("mapping", "--set", "Lead.Email", "--rule", "TwoWay");
        Assert.Equal(1, locked.ExitCode);
        Assert.Contains("MappingLocked", locked.StandardError, StringComparison.Ordinal);
        using (JsonDocument json = JsonDocument.Parse(Run("mapping", "--object", "Lead", "--field", "Email", "--json").StandardOutput))
            Assert.Equal("AlwaysCrm", json.RootElement.GetProperty("rule").GetString());
    }

    [Fact]
    public void Mapping_export_and_import_round_trip_and_import_needs_yes_without_a_terminal()
    {
        Connect();
        Assert.Equal(0, Run("sync-field", "--yes").ExitCode);
        string file = Path.Combine(home.Path, "mapping.json");

        Assert.Equal(0, Run("mapping", "--export", file, "--what-if").ExitCode);
        Assert.False(File.Exists(file));
        Assert.Equal(0, Run("mapping", "--export", file).ExitCode);
        string exported = File.ReadAllText(file);
        Assert.Contains("\"Email\"", exported, StringComparison.Ordinal);
        File.WriteAllText(file, "old");
        CliResult kept = Run("mapping", "--export", file, "--no-clobber");
        Assert.Equal(1, kept.ExitCode);
        Assert.Contains("already exists; --no-clobber keeps it", kept.StandardError, StringComparison.Ordinal);
        Assert.Equal("old", File.ReadAllText(file));
        Assert.Equal(0, Run("mapping", "--export", file).ExitCode);
        Assert.Equal(exported, File.ReadAllText(file));

        CliResult refused = Run("mapping", "--import", file);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.StandardError, StringComparison.Ordinal);

        CliResult imported = Run("mapping", "--import", file, "--yes", "--verbose");
        Assert.True(imported.ExitCode == 0, imported.StandardError);
        Assert.Contains("already in effect", imported.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_lists_the_created_fields_of_an_object_from_the_local_catalog()
    {
        Connect();
        Assert.Equal(0, Run("sync-field", "--yes").ExitCode);

        CliResult result = Run("field", "--object", "Lead", "--name", "Email", "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("person", json.RootElement.GetProperty("tableName").GetString());
        Assert.Equal("Email", json.RootElement.GetProperty("columnName").GetString());
    }

    [Fact]
    public void Disconnect_needs_yes_without_a_terminal_and_then_forgets_the_saved_secrets_but_keeps_the_database()
    {
        Connect();
        string secrets = Path.Combine(home.Paths.SecretsDirectory, "default.json");
        Assert.True(File.Exists(secrets));

        Assert.Equal(2, Run("disconnect").ExitCode);
        Assert.True(File.Exists(secrets));
        Assert.Equal(0, Run("disconnect", "--what-if").ExitCode);
        Assert.True(File.Exists(secrets));

        CliResult result = Run("disconnect", "--yes");
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.False(File.Exists(secrets));
        Assert.True(File.Exists(home.Paths.DefaultDatabasePath("default")));
    }

    private (HashSet<string> Planned, HashSet<string> Listed) WhatIfLeadFields(string profile)
    {
        CliResult result = Run(["sync-field", "--what-if", "--json", "--profile", profile, .. Exclusions.SelectMany(p => new[] { "--exclude", p })]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        var planned = Plan(result.StandardOutput).Where(e => e.Action == "Create" && e.Object == "Lead").Select(e => e.Field).ToHashSet();
        // the What if text: "Fields to create (N):" then one "  Object.Field → table.column TYPE" line per field
        string whatIf = result.StandardError;
        int section = whatIf.IndexOf("Fields to create (", StringComparison.Ordinal);
        Assert.True(section >= 0, whatIf);
        var listed = Regex.Matches(whatIf[section..], @"(?m)^  Lead\.(\w+) → ").Select(m => m.Groups[1].Value).ToHashSet();
        int total = int.Parse(Regex.Match(whatIf[section..], @"Fields to create \((\d+)\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Plan(result.StandardOutput).Count(e => e.Action == "Create"), total);
        return (planned, listed);
    }

    /// <summary>The describe's fields, less compound ones (never created) and the ones the exclusions match.</summary>
    private static HashSet<string> ExpectedLeadFields(IReadOnlyList<(string Name, string Type)> described) =>
        described.Where(f => f.Type is not ("address" or "location"))
            .Where(f => !f.Name.Contains("Phone", StringComparison.OrdinalIgnoreCase) && f.Name != "Fax")
            .Select(f => f.Name).ToHashSet();

    private static List<(string Object, string Field, string Action)> Plan(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("objectName").GetString()!, e.GetProperty("fieldName").GetString()!, e.GetProperty("action").GetString()!))
            .ToList();
    }

    private List<string> ColumnsOf(string profile, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = home.Paths.DefaultDatabasePath(profile), Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info($table) ORDER BY cid";
        command.Parameters.AddWithValue("$table", table);
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
            columns.Add(reader.GetString(0));
        return columns;
    }
}
