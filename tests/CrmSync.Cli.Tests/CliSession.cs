namespace CrmSync.Cli.Tests;

/// <summary>
/// Runs the built crmsync as a process with CRMSYNC_HOME, extra environment variables (the secrets) and a standard input
/// (redirected: no one can answer a prompt), the way a scheduled task or a CI job runs it.
/// </summary>
public static class CliSession
{
    public static CliResult Run(string crmSyncHome, IReadOnlyDictionary<string, string>? environment, string? standardInput, params string[] args) =>
        CliProcess.RunWith(crmSyncHome, args, ["CRMSYNC_PASSWORD", "CRMSYNC_SECURITY_TOKEN", "CRMSYNC_CLIENT_SECRET", "CI"], environment, standardInput);
}
