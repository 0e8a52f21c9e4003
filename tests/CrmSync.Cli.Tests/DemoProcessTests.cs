namespace CrmSync.Cli.Tests;

/// <summary>
/// <c>crmsync demo</c> as a user runs it: the built CLI starts the built emulator as a child process (found in the repository's
/// src/CrmSync.Emulator/bin folder, which the CLI's build produces), syncs, changes both sides, syncs again and checks.
/// </summary>
public sealed class DemoProcessTests
{
    private const string SmallSeed = "lead=300,contact=150,account=40,opportunity=20,campaign=3,member=60,task=20,event=10,custom=5";

    [Fact]
    public void The_demo_syncs_both_ways_and_ends_with_the_local_database_matching_the_emulator()
    {
        using var home = new TempDataFolder();
        var demoHome = Path.Combine(home.Path, "demo-home");

        var result = CliProcess.Run(home.Path, "demo", "--home", demoHome, "--seed", SmallSeed);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");
        var output = result.StandardOutput;
        Assert.Contains("[1/9] Starting the CRM emulator", output);
        Assert.Contains("Initial cycle Succeeded", output);
        Assert.Contains("Incremental cycle Succeeded", output);
        Assert.Contains("ok: the SQL UPDATE reached the CRM", output);
        Assert.Contains("ok: the SQL INSERT created lead", output);
        Assert.Contains("ok: the converted lead is one person", output);
        Assert.Matches(@"Lead\s+300\s+300\s+ok", output); // 300 - 1 deleted - 1 converted + 1 added in the CRM + 1 pushed
        Assert.Matches(@"Contact\s+150\s+150\s+ok", output); // 150 + 1 converted - 1 merged
        Assert.Contains("local matches CRM", output);
        Assert.DoesNotContain("MISMATCH", output);
        var database = Path.Combine(demoHome, "profiles", "demo.db");
        Assert.Contains($"The database:  {database}", output);
        Assert.True(File.Exists(database));
    }

    private const string SmallDynamicsSeed = "lead=40,contact=20,account=5,opportunity=3,systemuser=2,list=2,listmember=6,custom=2";

    [Fact]
    public void The_dynamics_demo_syncs_both_ways_with_the_filter_and_ends_with_the_local_database_matching_the_org()
    {
        using var home = new TempDataFolder();
        var demoHome = Path.Combine(home.Path, "demo-home");

        var result = CliProcess.Run(home.Path, "demo", "--crm", "dynamics", "--home", demoHome, "--seed", SmallDynamicsSeed);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");
        var output = result.StandardOutput;
        Assert.Contains("[1/9] Starting the CRM emulator as a Dynamics 365 org (--crm dynamics)", output);
        Assert.Contains("Initial cycle Succeeded", output);
        Assert.Contains("Incremental cycle Succeeded", output);
        Assert.Matches(@"lead\s+PullUpdates\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+[1-9]", output); // the first cycle's Filtered column: the seed's explicit No
        Assert.Contains("ok: the qualified lead is one person, now contact", output);
        Assert.Contains("ok: the merged contact", output);
        Assert.Contains("ok: the lead set No -> Yes", output);
        Assert.Contains("stays, not deleted and not updated (Filtered)", output);
        Assert.Contains("ok: the SQL UPDATE reached the CRM", output);
        Assert.Contains("ok: the SQL INSERT created lead", output);
        Assert.Matches(@"lead\s+\d+\s+\d+\s+ok", output);
        Assert.Matches(@"contact\s+\d+\s+\d+\s+ok", output);
        Assert.Contains("local matches CRM", output);
        Assert.DoesNotContain("MISMATCH", output);
        Assert.Contains($"The database:  {Path.Combine(demoHome, "profiles", "demo.db")}", output);
    }

    [Fact]
    public void An_unknown_demo_crm_is_a_usage_error()
    {
        using var home = new TempDataFolder();

        var result = CliProcess.Run(home.Path, "demo", "--crm", "hubspot", "--home", Path.Combine(home.Path, "demo-home"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Give --crm salesforce or --crm dynamics", result.StandardError);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "demo-home")));
    }

    [Fact]
    public void The_demo_refuses_a_home_whose_demo_profile_already_exists_and_changes_nothing()
    {
        using var home = new TempDataFolder();
        var demoHome = Path.Combine(home.Path, "demo-home");
        var existing = new TempHomeAt(demoHome);
        existing.CreateFreshProfile("demo");
        var before = File.GetLastWriteTimeUtc(Path.Combine(demoHome, "profiles", "demo.db"));

        var result = CliProcess.Run(home.Path, "demo", "--home", demoHome, "--seed", SmallSeed);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error InvalidArgument", result.StandardError);
        Assert.Contains("already exists", result.StandardError);
        Assert.DoesNotContain("Starting the CRM emulator", result.StandardOutput);
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(demoHome, "profiles", "demo.db")));
    }

    [Fact]
    public void A_missing_emulator_is_a_usage_error_that_names_the_path()
    {
        using var home = new TempDataFolder();
        var missing = Path.Combine(home.Path, "nowhere", "CrmSync.Emulator.dll");

        var result = CliProcess.Run(home.Path, "demo", "--home", Path.Combine(home.Path, "demo-home"), "--emulator", missing);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"The emulator was not found at {missing}", result.StandardError);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "demo-home")));
    }

    [Fact]
    public void A_program_that_is_not_the_emulator_fails_the_demo_with_a_clear_message()
    {
        using var home = new TempDataFolder();

        // crmsync.dll itself prints no emulator banner: it answers the emulator's options with a usage error and exits.
        var result = CliProcess.Run(home.Path, "demo", "--home", Path.Combine(home.Path, "demo-home"), "--emulator", CliProcess.CliDll);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("The emulator exited or printed no base URL", result.StandardError);
        Assert.Contains("unknown verb", result.StandardError); // its own error output is passed on
    }

    /// <summary>Creates profiles in a given folder (the demo's --home), the way <see cref="TempDataFolder"/> does in its own.</summary>
    private sealed class TempHomeAt(string path)
    {
        public void CreateFreshProfile(string name)
        {
            var profiles = new CrmSync.Engine.Connections.ProfileStore(new CrmSync.Engine.Connections.ProfileLocator(new CrmSync.Engine.Connections.CrmSyncPaths(path)));
            using var store = profiles.Create(new CrmSync.Engine.Store.ProfileInfo
            {
                Name = name,
                Crm = CrmSync.Engine.Crm.CrmKind.Salesforce,
                LoginUrl = "https://login.salesforce.com",
                UserName = "sync.user@example.com",
            });
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
