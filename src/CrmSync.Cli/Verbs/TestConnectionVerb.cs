using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Crm;

namespace CrmSync.Cli.Verbs;

/// <summary>
/// <c>crmsync test-connection [--profile NAME] [--sync-filter-field FIELD] [--json]</c>: Test-CrmSyncConnection for shells.
/// Exit code 0 when no check failed, 1 when one did (warnings and skipped checks do not fail).
/// </summary>
public sealed class TestConnectionVerb : ICliVerb
{
    public string Name => "test-connection";

    public string Summary => "Checks that a profile's connection can sync, one line per check (Test-CrmSyncConnection).";

    public string Description =>
        "Marketo's Validate Sync as a command: URL reachable, login, read access and change tracking on each synced object,\n" +
        "the sync filter field (Dynamics 365), the CrmSync key (idempotent creates) and the API limits headroom. Each check\n" +
        "prints PASSED, WARNING, FAILED or SKIPPED with what was found and what to do. Exit code 0 when no check failed,\n" +
        "1 when one did. Changes nothing.";

    public IReadOnlyList<OptionSpec> Options { get; } = ProfileVerbOptions.With(
    [
        new("sync-filter-field", TakesValue: true, "FIELD", "dynamics: the sync filter field to check (default: the profile's, else new_synctomkto)"),
    ], ProfileVerbOptions.VerboseOnly, "write one JSON array of the checks instead of text");

    public int Run(ParsedOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        TestConnectionCommand? command = null;
        var run = ProfileVerbOptions.Handler(console, handlers => command = handlers.TestConnection(new TestConnectionOptions
        {
            Profile = ProfileVerbOptions.Profile(options),
            DatabasePath = ProfileVerbOptions.Database(options),
            SyncFilterField = options.Value("sync-filter-field"),
        }));
        ICommandHandler handler = options.Has("json") ? new JsonListCommand(run) : new CheckLinesCommand(run);
        var code = ProfileVerbOptions.Run(handler, options, console, cancellationToken);
        return code == ExitCodes.Success && command is { Failed: > 0 } ? ExitCodes.Failure : code;
    }

    /// <summary>Writes each check as lines of text: the result, the check and its target, then the detail and what to do, indented.</summary>
    private sealed class CheckLinesCommand(ICommandHandler inner) : ICommandHandler
    {
        public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken) => inner.ExecuteAsync(new LinesHost(host), cancellationToken);

        private sealed class LinesHost(ICommandHost host) : ICommandHost
        {
            public bool ShouldProcess(string target, string action) => host.ShouldProcess(target, action);
            public bool ShouldProcess(ShouldProcessRequest request) => host.ShouldProcess(request);
            public void WriteProgress(ProgressInfo progress) => host.WriteProgress(progress);
            public void WriteVerbose(string message) => host.WriteVerbose(message);
            public void WriteWarning(string message) => host.WriteWarning(message);
            public void WriteDebug(string message) => host.WriteDebug(message);
            public void WriteError(CrmSyncException error) => host.WriteError(error);

            public void WriteObject(object value)
            {
                if (value is not CrmConnectionCheck check)
                {
                    host.WriteObject(value);
                    return;
                }
                var head = $"{check.Result.ToString().ToUpperInvariant(),-8}{check.Check}{(check.Target.Length == 0 ? "" : "  " + check.Target)}";
                host.WriteObject(head);
                host.WriteObject("        " + check.Detail);
                if (check.WhatToDo.Length > 0)
                    host.WriteObject("        What to do: " + check.WhatToDo);
            }
        }
    }
}
