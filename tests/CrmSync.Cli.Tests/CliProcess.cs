using System.Diagnostics;
using System.Reflection;

namespace CrmSync.Cli.Tests;

/// <summary>The outcome of one <c>crmsync</c> process.</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs the built <c>crmsync.dll</c> with <c>dotnet</c>, with CRMSYNC_HOME pointing at a test folder.</summary>
public static class CliProcess
{
    public static string CliDll { get; } = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrmSyncCliDll").Value!;

    public static CliResult Run(string crmSyncHome, params string[] args)
    {
        Assert.True(File.Exists(CliDll), $"{CliDll} does not exist: build src/CrmSync.Cli first");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliDll);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["CRMSYNC_HOME"] = crmSyncHome;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
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
