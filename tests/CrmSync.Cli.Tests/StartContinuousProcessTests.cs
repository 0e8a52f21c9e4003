using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;

namespace CrmSync.Cli.Tests;

/// <summary>A [Fact] that needs POSIX signals (SIGTERM from a service manager or a container stop); not on Windows.</summary>
public sealed class PosixFactAttribute : FactAttribute
{
    public PosixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
            Skip = "sends SIGTERM, which Windows does not have";
    }
}

/// <summary>
/// <c>crmsync start --continuous</c> as a long-running process: each cycle's result is printed as it completes, and SIGTERM
/// stops it cleanly (exit 130, lock released, no next run planned).
/// </summary>
public sealed class StartContinuousProcessTests : IClassFixture<SeededEmulatorFixture>, IDisposable
{
    private readonly SeededEmulatorFixture emulator;
    private readonly TempDataFolder home = new();

    public StartContinuousProcessTests(SeededEmulatorFixture emulator) => this.emulator = emulator;

    public void Dispose() => home.Dispose();

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    private const int SIGTERM = 15;

    [PosixFact]
    public async Task Continuous_prints_each_cycle_as_it_completes_and_SIGTERM_stops_it_with_exit_130()
    {
        await ConnectAndSyncFieldsAsync("loop");

        using var process = StartContinuous("loop", "00:00:01");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        try
        {
            // The first cycle's JSON document arrives while the process keeps running (indented: it ends with "}" alone on a line).
            var first = new StringBuilder();
            using (var safety = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (await process.StandardOutput.ReadLineAsync(safety.Token) is { } line)
                {
                    first.AppendLine(line);
                    if (line == "}")
                        break;
                }
            }
            using (JsonDocument cycle = JsonDocument.Parse(first.ToString()))
            {
                Assert.Equal("Succeeded", cycle.RootElement.GetProperty("state").GetString());
                Assert.Equal("Initial", cycle.RootElement.GetProperty("kind").GetString());
                Assert.Equal("loop", cycle.RootElement.GetProperty("profile").GetString());
            }
            Assert.False(process.HasExited);

            Assert.Equal(0, SendSignal(process.Id, SIGTERM));
            Task<string> rest = process.StandardOutput.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "crmsync start --continuous did not stop on SIGTERM");
            process.WaitForExit();

            Assert.True(process.ExitCode == ExitCodes.Interrupted, $"exit {process.ExitCode}: {await errors}");
            await rest;
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }

        using var store = new ProfileStore(new ProfileLocator(home.Paths)).Open("loop");
        Assert.Null(store.RunLock.ReadCurrent()); // the lock was released
        Assert.Null(store.Profile.Read()!.NextRunAt); // no next run planned any more
        Assert.DoesNotContain(store.Runs.List(), r => r.State == Engine.Store.RunState.Running);
    }

    [PosixFact]
    public async Task A_bare_number_interval_is_seconds_so_interval_300_plans_the_next_cycle_five_minutes_later_and_keeps_running()
    {
        await ConnectAndSyncFieldsAsync("cron");
        using var process = StartContinuous("cron", "300");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        try
        {
            using (var safety = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                while (await process.StandardOutput.ReadLineAsync(safety.Token) is { } line && line != "}")
                {
                }
            DateTimeOffset? next = null;
            for (var i = 0; i < 50 && next is null; i++)
            {
                using (var store = new ProfileStore(new ProfileLocator(home.Paths)).Open("cron"))
                    next = store.Profile.Read()!.NextRunAt;
                if (next is null)
                    await Task.Delay(100);
            }
            Assert.NotNull(next);
            var ahead = next!.Value - DateTimeOffset.UtcNow;
            Assert.InRange(ahead.TotalSeconds, 240, 301); // 300 seconds, not 300 days
            Assert.False(process.HasExited, "crmsync exited after its first cycle");

            Assert.Equal(0, SendSignal(process.Id, SIGTERM));
            Task<string> rest = process.StandardOutput.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "crmsync start --continuous did not stop on SIGTERM");
            process.WaitForExit();
            Assert.True(process.ExitCode == ExitCodes.Interrupted, $"exit {process.ExitCode}: {await errors}");
            Assert.DoesNotContain("UnexpectedError", await errors, StringComparison.Ordinal);
            await rest;
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>`crmsync start --profile P --yes --continuous --interval I --json` as a process of its own (stdin closed, CI unset).</summary>
    private Process StartContinuous(string profile, string interval)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { CliProcess.CliDll, "start", "--profile", profile, "--yes", "--continuous", "--interval", interval, "--json" })
            start.ArgumentList.Add(arg);
        start.Environment["CRMSYNC_HOME"] = home.Path;
        start.Environment.Remove("CI");
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    private async Task ConnectAndSyncFieldsAsync(string profile)
    {
        var connector = new ProfileConnector(home.Paths, registry: new CrmConnectionRegistry());
        var credentials = emulator.Host.Credentials;
        using (var request = new ConnectionRequest
        {
            Crm = CrmKind.Salesforce,
            Profile = profile,
            LoginUrl = new Uri(emulator.Host.BaseUrl),
            Username = credentials.Username,
            Password = SecretValue.Copy(credentials.Password),
            SecurityToken = SecretValue.Copy(credentials.SecurityToken),
        })
            await new ConnectCommand(connector, request).ExecuteAsync(new AcceptingHost(), CancellationToken.None);
        ICrmClient? client = null;
        try
        {
            await new SyncFieldsCommand(connector.Profiles, new SyncFieldsOptions { Profile = profile }, async (row, ct) =>
            {
                client = await connector.OpenClientAsync(row.Name, null, new CrmClientOptions(), ct);
                return client.Schema;
            }).ExecuteAsync(new AcceptingHost(), CancellationToken.None);
        }
        finally
        {
            client?.Dispose();
        }
    }

    private sealed class AcceptingHost : ICommandHost
    {
        public bool ShouldProcess(string target, string action) => true;
        public void WriteProgress(ProgressInfo progress) { }
        public void WriteVerbose(string message) { }
        public void WriteWarning(string message) { }
        public void WriteDebug(string message) { }
        public void WriteObject(object value) { }
        public void WriteError(Engine.CrmSyncException error) => throw error;
    }
}
