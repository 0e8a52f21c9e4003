using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrmSync.Benchmarks.Infrastructure;

/// <summary>
/// The emulator as a child process (<c>dotnet src/CrmSync.Emulator/bin/&lt;Configuration&gt;/net8.0/CrmSync.Emulator.dll</c>) on a
/// free loopback port with the admin API on, so that the benchmark process's working set is the sync side's alone.
/// </summary>
internal sealed partial class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private EmulatorProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(10) };
    }

    /// <summary>The login (and instance) URL.</summary>
    public string BaseUrl { get; }

    public int ProcessId => _process.Id;

    /// <summary>The emulator's sync user (local test values printed by the emulator itself, not secrets).</summary>
    public const string Username = "sync@crmsync.emulator";
    public const string Password = "password";
    public const string SecurityToken = "emulatortoken";

    /// <summary>The Dynamics org's sync user and app registration (the emulator's printed local test values, not secrets).</summary>
    public const string DynamicsUser = "sync@crmsync.onmicrosoft.test";
    public const string DynamicsPassword = "CrmSync-Emulator-1";
    public const string DynamicsTenant = "6d1f1c2e-5a3b-4c8d-9e0f-1a2b3c4d5e6f";
    public const string DynamicsClientId = "5e3c9a77-2f4b-4b61-9c3d-7a8b9c0d1e2f";

    /// <summary>Starts the emulator with <paramref name="seed"/> (e.g. <c>lead=700000,contact=300000,account=1000</c>) and waits until it listens.</summary>
    public static async Task<EmulatorProcess> StartAsync(string seed, int bulkPolls, CancellationToken cancellationToken, bool dynamics = false)
    {
        var dll = LocateEmulator();
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     dll, "--urls", $"http://127.0.0.1:{port}", "--seed", seed, "--seed-value", "benchmark", "--admin",
                     "--daily-api-limit", "100000000", "--bulk-polls", bulkPolls.ToString(CultureInfo.InvariantCulture),
                     "--session-timeout", "12:00:00",
                 })
            info.ArgumentList.Add(a);
        if (dynamics)
        {
            // A Dynamics 365 org with Dataverse's default service-protection limits (a 429 would show up as retried requests).
            info.ArgumentList.Add("--crm");
            info.ArgumentList.Add("dynamics");
        }
        // GC settings given to the benchmark (e.g. DOTNET_GCHeapHardLimit for the sync side) are not the emulator's.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet could not start the emulator.");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(15));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (line is null)
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw new InvalidOperationException($"The emulator exited ({process.ExitCode}) before listening: {errors}");
            }
            if (ListeningLine().Match(line) is { Success: true } m)
            {
                // Keep draining stdout so the child never blocks on a full pipe.
                _ = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is not null) { } },
                    CancellationToken.None);
                return new EmulatorProcess(process, m.Groups[1].Value.TrimEnd('/'));
            }
        }
    }

    /// <summary>The emulator process's peak resident set (VmHWM), in bytes, when the OS tells.</summary>
    /// <summary>The emulator's CPU time so far (user + kernel, all threads; /proc/&lt;pid&gt;/stat).</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public long? PeakWorkingSet()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        _process.Refresh();
        return _process.PeakWorkingSet64;
    }

    /// <summary>Updates a record as the CRM admin user (admin API: not counted as the sync user's API usage).</summary>
    public async Task UpdateAsync(string sobject, string id, IReadOnlyDictionary<string, object?> fields, CancellationToken cancellationToken)
    {
        using var content = new StringContent(JsonSerializer.Serialize(fields), Encoding.UTF8, "application/json");
        using var response = await _http.PatchAsync($"/_emulator/records/{sobject}/{id}", content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The emulator refused the update of {sobject} {id}: {(int)response.StatusCode} " +
                                                await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The emulator's info document (API usage, record counts).</summary>
    public async Task<JsonDocument> InfoAsync(CancellationToken cancellationToken)
    {
        var text = await _http.GetStringAsync("/_emulator/info", cancellationToken).ConfigureAwait(false);
        return JsonDocument.Parse(text);
    }

    /// <summary>The sync user's API calls the emulator counted today (its Sforce-Limit-Info "used").</summary>
    public async Task<long?> ApiUsedAsync(CancellationToken cancellationToken)
    {
        using var info = await InfoAsync(cancellationToken).ConfigureAwait(false);
        return FindNumber(info.RootElement, "used");
    }

    private static long? FindNumber(JsonElement element, string name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in element.EnumerateObject())
            {
                if (p.NameEquals(name) && p.Value.ValueKind == JsonValueKind.Number) return p.Value.GetInt64();
                if (FindNumber(p.Value, name) is { } found) return found;
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        _process.Dispose();
    }

    /// <summary>src/CrmSync.Emulator/bin/&lt;Configuration&gt;/net8.0/CrmSync.Emulator.dll of the repository this benchmark was built in.</summary>
    private static string LocateEmulator()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CrmSync.sln"))) continue;
            var dll = Path.Combine(dir.FullName, "src", "CrmSync.Emulator", "bin", configuration, "net8.0", "CrmSync.Emulator.dll");
            if (File.Exists(dll)) return dll;
            throw new FileNotFoundException($"Build the emulator first (dotnet build -c {configuration} src/CrmSync.Emulator).", dll);
        }
        throw new DirectoryNotFoundException("The repository root (CrmSync.sln) was not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();
}
