using System.Globalization;
using System.Text.Json;
using CrmSync.Cli.Verbs;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Hosting;
using CrmSync.Engine.Connections;

namespace CrmSync.Cli.Tests;

/// <summary>
/// <c>crmsync connect --crm dynamics</c> (both sign-in methods, secrets from the environment or stdin) and
/// <c>crmsync test-connection</c> (its lines and exit codes), in process against the emulator's Dataverse org.
/// </summary>
public sealed class DynamicsVerbTests : IAsyncLifetime
{
    private readonly TempDataFolder home = new();
    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal);
    private StringWriter output = new(CultureInfo.InvariantCulture);
    private StringWriter error = new(CultureInfo.InvariantCulture);
    private EmulatorHost host = null!;

    private DynamicsOrg Org => host.Dynamics!;
    private string Url => host.BaseUrl.TrimEnd('/');

    public async Task InitializeAsync() =>
        host = await EmulatorHost.StartAsync(new EmulatorOptions { Crm = CrmKind.Dynamics, TimeProvider = EmulatorClock.Frozen(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero)) });

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        home.Dispose();
    }

    private int RunWithInput(string input, params string[] args)
    {
        output = new StringWriter(CultureInfo.InvariantCulture);
        error = new StringWriter(CultureInfo.InvariantCulture);
        var console = new CliConsole(output, error, new StringReader(input), name => environment.TryGetValue(name, out var v) ? v : home.Environment(name));
        return CliApplication.Run(args, console, CancellationToken.None);
    }

    private int Run(params string[] args) => RunWithInput("", args);

    private void Succeeded(int code) => Assert.True(code == ExitCodes.Success, $"exit {code}: {error}");

    private int ConnectSyncUser(string profile = "default")
    {
        environment[ProfileConnector.PasswordVariable] = Org.Credentials.Password;
        try
        {
            return Run("connect", "--crm", "dynamics", "--url", Url, "--login-url", Url, "--username", Org.Credentials.SyncUserUpn, "--profile", profile);
        }
        finally
        {
            environment.Remove(ProfileConnector.PasswordVariable);
        }
    }

    [Fact]
    public void The_sync_user_connects_from_the_environment_and_every_check_passes()
    {
        Succeeded(ConnectSyncUser());
        Assert.Contains(Org.SyncUser.Id.ToString(), output.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Org.Credentials.Password, output.ToString() + error.ToString(), StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, Run("test-connection"));
        var text = output.ToString();
        Assert.Contains("PASSED  URL reachable", text, StringComparison.Ordinal);
        Assert.Contains("PASSED  Read access  listmember", text, StringComparison.Ordinal);
        Assert.Contains("PASSED  CrmSync key  contact.new_crmsynckey", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Application_User_connects_with_the_client_secret_on_stdin()
    {
        Succeeded(RunWithInput("\n" + Org.Credentials.ClientSecret + "\n",
            "connect", "--crm", "dynamics", "--url", Url, "--login-url", Url, "--tenant-id", Org.Credentials.TenantId,
            "--client-id", Org.Credentials.ClientId, "--password-stdin", "--profile", "app"));
        Assert.Contains(Org.ApplicationUser.Id.ToString(), output.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("ClientCredentials", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_password_fails_with_Entras_reason_and_saves_nothing()
    {
        environment[ProfileConnector.PasswordVariable] = "not-the-password";
        Assert.Equal(ExitCodes.Failure, Run("connect", "--crm", "dynamics", "--url", Url, "--login-url", Url, "--username", Org.Credentials.SyncUserUpn));
        Assert.Contains("InvalidCredentials", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(home.Paths.ProfilesDirectory) && Directory.EnumerateFiles(home.Paths.ProfilesDirectory).Any());
    }

    [Fact]
    public void A_failed_check_is_exit_code_1_and_the_json_lists_every_check()
    {
        Succeeded(ConnectSyncUser());
        Org.Store.SetChangeTracking("opportunity", false);

        Assert.Equal(ExitCodes.Failure, Run("test-connection"));
        Assert.Contains("FAILED  Change tracking  opportunity", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("What to do: In the Power Apps maker portal", output.ToString(), StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Failure, Run("test-connection", "--json"));
        using var json = JsonDocument.Parse(output.ToString());
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Contains(rows, r => r.GetProperty("check").GetString() == "Change tracking" && r.GetProperty("target").GetString() == "opportunity"
                                   && r.GetProperty("result").GetString() == "Failed");
        Assert.All(rows, r => Assert.Equal("Dynamics", r.GetProperty("crm").GetString()));
    }

    [Fact]
    public void A_Dynamics_profile_shows_its_status_syncs_its_fields_and_runs_a_cycle()
    {
        Succeeded(ConnectSyncUser());

        Assert.Equal(ExitCodes.Success, Run("status"));
        Assert.Contains("Dynamics", output.ToString(), StringComparison.Ordinal);
        Assert.True(Run("sync-field", "--yes") == ExitCodes.Success, error.ToString());
        Assert.True(Run("start", "--yes") == ExitCodes.Success, error.ToString());
        Assert.DoesNotContain("CrmNotSupported", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Sync_field_with_field_patterns_creates_only_the_selection_and_remembers_it()
    {
        Succeeded(ConnectSyncUser());

        Succeeded(Run("sync-field", "--field", "lead.*", "--field=*.emailaddress1", "--field", "contact.new_nosuch*", "--yes"));
        Assert.Contains("--field pattern 'contact.new_nosuch*' matches no field", error.ToString(), StringComparison.Ordinal);

        Succeeded(Run("sync-field", "--what-if", "--json"));
        using var json = JsonDocument.Parse(output.ToString());
        var rows = json.RootElement.EnumerateArray().ToList();
        static string? Text(JsonElement row, string name) => row.GetProperty(name).ToString();
        Assert.Contains(rows, r => Text(r, "objectName") == "lead" && Text(r, "fieldName") == "subject" && Text(r, "action") == "Exists");
        Assert.Contains(rows, r => Text(r, "objectName") == "contact" && Text(r, "action") == "Excluded"
                                   && Text(r, "note")!.Contains("--field selection ('lead.*', '*.emailaddress1', 'contact.new_nosuch*')", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => Text(r, "action") == "Create");
    }

    [Fact]
    public void Sync_field_reset_field_selection_narrows_the_selection_keeping_created_fields_and_clears_it_without_field()
    {
        Succeeded(ConnectSyncUser());
        Succeeded(Run("sync-field", "--field", "lead.*", "--field=*.emailaddress1", "--yes"));

        Succeeded(Run("sync-field", "--field", "lead.emailaddress1", "--reset-field-selection", "--yes"));
        Assert.Contains("outside the new --field selection", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("lead.subject", error.ToString(), StringComparison.Ordinal);

        Succeeded(Run("sync-field", "--what-if", "--json"));
        static string? Text(JsonElement row, string name) => row.GetProperty(name).ToString();
        using (var narrowed = JsonDocument.Parse(output.ToString()))
        {
            var subject = narrowed.RootElement.EnumerateArray().Single(r => Text(r, "objectName") == "lead" && Text(r, "fieldName") == "subject");
            Assert.Equal("Exists", Text(subject, "action")); // created before: kept, still synced
            Assert.Contains("outside the --field selection ('lead.emailaddress1')", Text(subject, "note"), StringComparison.Ordinal);
        }

        Succeeded(Run("sync-field", "--reset-field-selection", "--what-if", "--json"));
        using var cleared = JsonDocument.Parse(output.ToString());
        Assert.Contains(cleared.RootElement.EnumerateArray(), r => Text(r, "objectName") == "contact" && Text(r, "action") == "Create");
        Assert.DoesNotContain(cleared.RootElement.EnumerateArray(), r => Text(r, "action") == "Excluded");
    }

    [Theory]
    [InlineData("connect", "--crm", "dynamics", "--username", "u@contoso.com")]
    [InlineData("connect", "--crm", "dynamics", "--url", "https://contoso.crm.dynamics.com", "--client-id", "c")]
    [InlineData("connect", "--crm", "salesforce", "--url", "https://contoso.crm.dynamics.com")]
    [InlineData("connect", "--crm", "dynamics", "--url", "https://contoso.crm.dynamics.com", "--username", "u", "--sandbox")]
    [InlineData("connect", "--crm", "hubspot")]
    public void Dynamics_options_in_the_wrong_combination_are_usage_errors_before_any_login(params string[] args)
    {
        Assert.Equal(ExitCodes.Usage, Run(args));
        Assert.False(Directory.Exists(home.Paths.ProfilesDirectory));
    }
}
