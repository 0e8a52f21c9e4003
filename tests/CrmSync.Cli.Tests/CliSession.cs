using System.Diagnostics;

namespace CrmSync.Cli.Tests;

/// <summary>
/// Runs the built crmsync as a process with CRMSYNC_HOME, extra environment variables (the secrets) and a standard input
/// (redirected: no one can answer a prompt), the way a scheduled task or a CI job runs it.
/// </summary>
public static class CliSession
{
    public static CliResult Run(string crmSyncHome, IReadOnlyDictionary<string, string>? environment, string? standardInput, params string[] args)
    {
        Assert.True(File.Exists(CliProcess.CliDll), $"{CliProcess.CliDll} does not exist: build src/CrmSync.Cli first");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliProcess.CliDll);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        foreach (string name in new[] { "CRMSYNC_PASSWORD", "CRMSYNC_SECURITY_TOKEN", "CRMSYNC_CLIENT_SECRET", "CI" })
            start.Environment.Remove(name);
        start.Environment["CRMSYNC_HOME"] = crmSyncHome;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = Process.Start(start)!;
        if (standardInput is not null)
            process.StandardInput.Write(standardInput);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"crmsync {string.Join(' ', args)} did not finish");
        }
        process.WaitForExit();
        return new CliResult(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    private static string DotnetHost()
    {
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            return fromSdk;
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return current;
        return "dotnet";
    }
}
