using System.Text.Json;
using System.Text.RegularExpressions;
using CrmSync.Engine;

namespace CrmSync.Cli.Tests;

/// <summary>The built crmsync, run as a process the way cron or a container runs it.</summary>
public sealed class CrmSyncProcessTests : IDisposable
{
    private readonly TempDataFolder home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void Version_prints_the_module_version()
    {
        CliResult result = CliProcess.Run(home.Path, "--version");
        Assert.Equal(0, result.ExitCode);
        string manifest = File.ReadAllText(Path.Combine(RepoRoot(), "CrmSync.psd1"));
        string moduleVersion = Regex.Match(manifest, @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;
        Assert.Equal(moduleVersion, result.StandardOutput.Trim());
        Assert.Equal(EngineInfo.Version, result.StandardOutput.Trim());
    }

    [Fact]
    public void Help_documents_the_verbs_the_exit_codes_and_where_secrets_come_from()
    {
        CliResult result = CliProcess.Run(home.Path, "help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("status", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("environment variables or standard input", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("never from command-line arguments", result.StandardOutput, StringComparison.Ordinal);
        foreach (string code in new[] { "0  success", "1  the command failed", "2  usage error", "3  not found" })
            Assert.Contains(code, result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("connect", "--login-url", "https://login.salesforce.com", "--username", "someone@example.com")]
    [InlineData("status")]
    [InlineData("start", "--yes")]
    public void A_CRMSYNC_HOME_that_is_a_file_is_a_clear_error_naming_the_file(params string[] args)
    {
        string file = Path.Combine(home.Path, "not-a-folder");
        File.WriteAllText(file, "x");

        CliResult result = CliProcess.RunWith(file, args, ["CI"], new Dictionary<string, string> { ["CRMSYNC_PASSWORD"] = "pw" }, "");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("DatabasePathInvalid", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{file} is a file, not a folder", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("CRMSYNC_HOME", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("UnexpectedError", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_of_a_fresh_profile_is_NotStarted()
    {
        home.CreateFreshProfile("default");

        CliResult result = CliProcess.Run(home.Path, "status");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Matches(@"(?m)^State\s+: NotStarted\s*$", result.StandardOutput);
        Assert.Matches(@"(?m)^Profile\s+: default\s*$", result.StandardOutput);
        Assert.Equal("", result.StandardError);
    }

    [Fact]
    public void Status_json_is_camelCase_with_enum_names()
    {
        home.CreateFreshProfile("prod");

        CliResult result = CliProcess.Run(home.Path, "status", "--profile", "prod", "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = json.RootElement;
        Assert.Equal("prod", root.GetProperty("profile").GetString());
        Assert.Equal("NotStarted", root.GetProperty("state").GetString());
        Assert.Equal("Salesforce", root.GetProperty("crm").GetString());
        Assert.Equal(0, root.GetProperty("pushBacklog").GetInt64());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("counts").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("lastSuccess").ValueKind);
        Assert.Equal(Path.Combine(home.Paths.ProfilesDirectory, "prod.db"), root.GetProperty("databasePath").GetString());
    }

    [Fact]
    public void Status_reads_a_profile_at_an_explicit_database_path()
    {
        string file = Path.Combine(home.Path, "custom", "crm.db");
        home.CreateFreshProfile("custom", file);

        CliResult result = CliProcess.Run(home.Path, "status", "--profile", "custom", "--database", file, "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(file, json.RootElement.GetProperty("databasePath").GetString());
    }

    [Fact]
    public void Status_of_an_unknown_profile_exits_3_with_the_ErrorId_and_the_recommended_action_on_stderr()
    {
        CliResult result = CliProcess.Run(home.Path, "status", "--profile", "nope");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains("ProfileNotFound", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("recommended action: Run crmsync connect", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home.Paths.ProfilesDirectory, "nope.db")));
    }

    [Fact]
    public void With_json_the_error_on_stderr_is_a_JSON_document()
    {
        CliResult result = CliProcess.Run(home.Path, "status", "--profile", "nope", "--json");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        using JsonDocument json = JsonDocument.Parse(result.StandardError);
        Assert.Equal("ProfileNotFound", json.RootElement.GetProperty("errorId").GetString());
        Assert.Equal("ObjectNotFound", json.RootElement.GetProperty("category").GetString());
        Assert.StartsWith("Run crmsync connect to create the profile", json.RootElement.GetProperty("recommendedAction").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("status", "--bogus")]
    [InlineData("status", "--profile")]
    [InlineData("status", "extra")]
    [InlineData("status", "--json", "--json")]
    [InlineData("status", "--profile", "../../etc")]
    public void Usage_errors_exit_2_and_do_nothing(params string[] args)
    {
        CliResult result = CliProcess.Run(home.Path, args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.NotEqual("", result.StandardError);
        Assert.False(Directory.Exists(home.Paths.ProfilesDirectory));
    }

    [Fact]
    public void Generated_verb_help_is_English_whatever_the_users_language()
    {
        var german = new Dictionary<string, string> { ["LANG"] = "de_DE.UTF-8", ["LC_ALL"] = "de_DE.UTF-8" };

        CliResult result = CliProcess.RunWith(home.Path, ["stop", "--help"], [], german, "");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:\n  crmsync stop [options]", result.StandardOutput.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Options:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Show help and usage information", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void No_arguments_is_a_usage_error_that_shows_help()
    {
        CliResult result = CliProcess.Run(home.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage: crmsync <verb>", result.StandardError, StringComparison.Ordinal);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CrmSync.psd1")))
                return dir.FullName;
        }
        throw new InvalidOperationException("CrmSync.psd1 not found above " + AppContext.BaseDirectory);
    }
}
