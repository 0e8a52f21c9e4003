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

    public static CliResult Run(string crmSyncHome, params string[] args) =>
        RunWith(crmSyncHome, args, removeVariables: [], environment: null, standardInput: null);

    /// <summary>
    /// Runs crmsync with CRMSYNC_HOME, without the inherited <paramref name="removeVariables"/>, with the extra
    /// <paramref name="environment"/> and with <paramref name="standardInput"/> written to its (redirected, then closed) input.
    /// </summary>
    public static CliResult RunWith(string crmSyncHome, string[] args, IEnumerable<string> removeVariables,
        IReadOnlyDictionary<string, string>? environment, string? standardInput)
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
        foreach (string name in removeVariables)
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
