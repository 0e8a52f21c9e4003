using System.Diagnostics;
using CrmSync.Engine;

namespace CrmSync.Cli.Demo;

/// <summary>What the emulator printed at start: its base URL and the sync user's (local, non-secret) test credentials.</summary>
/// <remarks>For a Dynamics 365 org (<c>--crm dynamics</c>): <see cref="Username"/> is the sync user's UPN, <see cref="ClientId"/> and
/// <see cref="ClientSecret"/> the app registration's, <see cref="TenantId"/> the tenant; <see cref="SecurityToken"/> is empty.</remarks>
public sealed record EmulatorBanner(Uri BaseUrl, string Username, string Password, string SecurityToken, string ClientId, string ClientSecret, string TenantId = "");

/// <summary>
/// The CRM emulator (CrmSync.Emulator.dll) run as a child process with <c>dotnet</c>, so that crmsync itself never loads
/// ASP.NET Core. Started on a free loopback port; the base URL and credentials are read from its banner. Disposing kills it.
/// </summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    /// <summary>The environment variable naming the emulator DLL.</summary>
    public const string EmulatorVariable = "CRMSYNC_EMULATOR";

    private const string DllName = "CrmSync.Emulator.dll";
    private readonly Process _process;
    private readonly List<string> _errorLines;

    private EmulatorProcess(Process process, EmulatorBanner banner, List<string> errorLines)
    {
        _process = process;
        Banner = banner;
        _errorLines = errorLines;
    }

    /// <summary>The base URL and credentials.</summary>
    public EmulatorBanner Banner { get; }

    /// <summary>
    /// Finds CrmSync.Emulator.dll: <paramref name="explicitPath"/> (a file or its folder), env CRMSYNC_EMULATOR, next to crmsync.dll,
    /// or the repository's src/CrmSync.Emulator/bin/&lt;configuration&gt;/net8.0/ found by walking up from crmsync's folder
    /// (crmsync's own configuration first). Null when none exists.
    /// </summary>
    public static string? Locate(string? explicitPath, Func<string, string?> getEnvironmentVariable, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        foreach (var given in new[] { explicitPath, getEnvironmentVariable(EmulatorVariable) })
        {
            if (string.IsNullOrWhiteSpace(given))
                continue;
            var full = Path.GetFullPath(given);
            if (Directory.Exists(full))
                full = Path.Combine(full, DllName);
            return File.Exists(full) ? full : throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The emulator was not found at {full}.", $"Give the path of {DllName} (build it with: dotnet build src/CrmSync.Emulator).", full);
        }

        var beside = Path.Combine(baseDirectory, DllName);
        if (File.Exists(beside))
            return beside;

        // crmsync runs from <repo>/src/CrmSync.Cli/bin/<Configuration>/<tfm>/ (dotnet run) or from a test's output folder.
        var own = new DirectoryInfo(baseDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var configurations = new List<string>();
        if (own.Parent is { } configurationFolder)
            configurations.Add(configurationFolder.Name);
        configurations.AddRange(["Release", "Debug"]);
        for (var folder = own; folder is not null; folder = folder.Parent)
        {
            var emulatorBin = Path.Combine(folder.FullName, "src", "CrmSync.Emulator", "bin");
            if (!Directory.Exists(emulatorBin))
                continue;
            foreach (var configuration in configurations.Distinct(StringComparer.Ordinal))
            {
                var candidate = Path.Combine(emulatorBin, configuration, "net8.0", DllName);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    /// <summary>Starts the emulator with <paramref name="seed"/> (e.g. <c>lead=3000,contact=1000</c>) and the admin API, and waits for its banner.</summary>
    public static async Task<EmulatorProcess> StartAsync(string emulatorDll, string seed, string seedValue, TimeSpan startTimeout, CancellationToken cancellationToken,
        bool dynamics = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(emulatorDll);
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { emulatorDll, "--urls", "http://127.0.0.1:0", "--seed", seed, "--seed-value", seedValue, "--admin" })
            start.ArgumentList.Add(arg);
        if (dynamics)
        {
            start.ArgumentList.Add("--crm");
            start.ArgumentList.Add("dynamics");
        }
        // The last banner line: Salesforce's admin API, or the Dynamics org's.
        var lastLine = dynamics ? "Dynamics admin:" : "admin API:";
        var userLine = dynamics ? "sync user (UPN)" : "sync user";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var process = Process.Start(start) ?? throw new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
            $"The emulator could not be started (dotnet {emulatorDll}).", "Check that the dotnet command works.");
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        var bannerRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var emulator = new EmulatorProcess(process, new EmulatorBanner(new Uri("http://127.0.0.1"), "", "", "", "", ""), []);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                bannerRead.TrySetResult();
                return;
            }
            var line = e.Data.Trim();
            const string listening = "listening on ";
            var at = line.IndexOf(listening, StringComparison.Ordinal);
            lock (lines)
            {
                if (at >= 0)
                    lines["url"] = line[(at + listening.Length)..].Trim();
                else if (line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                    lines.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
                if (line.StartsWith(lastLine, StringComparison.Ordinal))
                    bannerRead.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (emulator._errorLines)
            {
                emulator._errorLines.Add(e.Data);
                if (emulator._errorLines.Count > 20)
                    emulator._errorLines.RemoveAt(0);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout);
        try
        {
            await bannerRead.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await emulator.StopAsync().ConfigureAwait(false);
            var failure = emulator.Failed($"The emulator did not start within {startTimeout.TotalSeconds:0} seconds.");
            await emulator.DisposeAsync().ConfigureAwait(false);
            throw failure;
        }
        catch (OperationCanceledException)
        {
            await emulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        string Field(string name)
        {
            lock (lines)
                return lines.TryGetValue(name, out var value) ? value.Split("  ", 2)[0].Trim() : "";
        }
        var url = Field("url");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || string.IsNullOrEmpty(Field(userLine)))
        {
            await emulator.StopAsync().ConfigureAwait(false);
            var failure = emulator.Failed("The emulator exited or printed no base URL.");
            await emulator.DisposeAsync().ConfigureAwait(false);
            throw failure;
        }
        var banner = dynamics
            ? new EmulatorBanner(baseUrl, Field(userLine), Field("users' password"), "", Field("app client id"), Field("app secret"), Field("tenant id"))
            : new EmulatorBanner(baseUrl, Field(userLine), Field("password"), Field("security token"), Field("consumer key"), Field("consumer secret"));
        return new EmulatorProcess(process, banner, emulator._errorLines);
    }

    private CrmSyncException Failed(string message)
    {
        string errors;
        lock (_errorLines)
            errors = string.Join(Environment.NewLine, _errorLines);
        return new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
            message + (errors.Length > 0 ? " Its error output: " + errors : ""),
            "Build the emulator (dotnet build src/CrmSync.Emulator) and run the demo again; --emulator PATH names the DLL.");
    }

    /// <summary>Stops the emulator (kills the process; its data is in memory and is not kept).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Kills the process if it still runs and waits until it and its output streams have ended.</summary>
    private async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // already gone, or it does not die: nothing more the demo can do
        }
    }

    /// <summary>The dotnet host running crmsync (or the one on PATH).</summary>
    internal static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            return fromSdk;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return current;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root))
        {
            var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate))
                return candidate;
        }
        return "dotnet";
    }
}
