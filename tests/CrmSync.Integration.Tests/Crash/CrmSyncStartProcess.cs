using System.Diagnostics;
using System.Text;

namespace CrmSync.Integration.Tests.Crash;

/// <summary>
/// One <c>crmsync start --yes --profile NAME</c> process (the built CLI, run with dotnet, CRMSYNC_HOME set), which the test
/// either lets finish or kills with SIGKILL (<see cref="Process.Kill(bool)"/> on Linux) once a condition on the database holds.
/// </summary>
internal sealed class CrmSyncStartProcess : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private CrmSyncStartProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_error) _error.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string StandardOutput { get { lock (_output) return _output.ToString(); } }

    public string StandardError { get { lock (_error) return _error.ToString(); } }

    /// <summary>The built crmsync.dll: copied into the test output by the project reference, else the CLI's own bin folder.</summary>
    public static string CliDll
    {
        get
        {
            var beside = Path.Combine(AppContext.BaseDirectory, "crmsync.dll");
            if (File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "crmsync.runtimeconfig.json")))
                return beside;
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Debug";
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "src", "CrmSync.Cli", "bin", configuration, "net8.0", "crmsync.dll");
                if (File.Exists(candidate))
                    return candidate;
            }
            throw new InvalidOperationException("crmsync.dll was not found: build src/CrmSync.Cli first.");
        }
    }

    public static CrmSyncStartProcess Start(string crmSyncHome, string profile)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { CliDll, "start", "--yes", "--profile", profile })
            start.ArgumentList.Add(arg);
        // CRMSYNC_CRASH_BULK_THRESHOLD=N sends initial copies of N records or more through the bulk API (and its row writer);
        // unset, the 20k-person default stays under the 50,000 threshold and copies by paged queries.
        if (Environment.GetEnvironmentVariable("CRMSYNC_CRASH_BULK_THRESHOLD") is { Length: > 0 } threshold)
        {
            start.ArgumentList.Add("--bulk-threshold");
            start.ArgumentList.Add(threshold);
        }
        start.Environment["CRMSYNC_HOME"] = crmSyncHome;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("crmsync could not be started.");
        process.StandardInput.Close();
        return new CrmSyncStartProcess(process);
    }

    /// <summary>
    /// Watches the process and SIGKILLs it (whole tree) as soon as <paramref name="condition"/> holds. Returns true when it was
    /// killed, false when it exited by itself first. The condition reads the database through its own read connection; the
    /// process's progress is only visible there, so this polls it (every few milliseconds) instead of waiting on an event.
    /// </summary>
    public async Task<bool> KillWhenAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!_process.HasExited)
        {
            if (condition())
            {
                var killed = true;
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    killed = false; // it exited between the check and the kill
                }
                await _process.WaitForExitAsync();
                return killed;
            }
            if (deadline.Elapsed > RunTimeout)
                throw new TimeoutException($"crmsync start ran longer than {RunTimeout}; stderr: {StandardError}");
            await Task.Delay(3);
        }
        await _process.WaitForExitAsync();
        return false;
    }

    /// <summary>Waits for the process to exit by itself; returns its exit code.</summary>
    public async Task<int> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"crmsync start ran longer than {RunTimeout}; stderr: {StandardError}");
        }
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            return fromSdk;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return current;
        return "dotnet";
    }
}
