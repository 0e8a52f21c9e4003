namespace CrmSync.Engine.Commands;

/// <summary>
/// What a command handler may ask of whoever runs it: a PowerShell cmdlet, the crmsync CLI, or a test's fake host.
/// Handlers are plain C# and never see PowerShell types; the cmdlet maps these calls one to one onto
/// ShouldProcess / WriteProgress / WriteVerbose / WriteWarning / WriteDebug / WriteObject / WriteError.
/// A host receives calls on its own (pipeline) thread only: hosts run handlers through <see cref="CommandHostPump"/>,
/// which lets a handler call from any thread and replays each call, in order, on the thread that started the command.
/// </summary>
public interface ICommandHost
{
    /// <summary>ShouldProcess(target, action): false when -WhatIf was given or the user declined.</summary>
    bool ShouldProcess(string target, string action);

    /// <summary>
    /// ShouldProcess with a full text: PowerShell's ShouldProcess(verboseDescription, verboseWarning, caption), for an operation
    /// whose -WhatIf text must list more than one line can carry (e.g. every field Sync-CrmField would create). Hosts that have
    /// no use for the long form fall back to <see cref="ShouldProcess(string, string)"/> with the request's target and action.
    /// </summary>
    bool ShouldProcess(ShouldProcessRequest request) => ShouldProcess(request.Target, request.Action);

    void WriteProgress(ProgressInfo progress);
    void WriteVerbose(string message);
    void WriteWarning(string message);
    void WriteDebug(string message);

    /// <summary>A result object for the pipeline.</summary>
    void WriteObject(object value);

    /// <summary>A non-terminating error: this record or item failed, the command goes on.</summary>
    void WriteError(CrmSyncException error);
}

/// <summary>
/// A ShouldProcess question in full. <see cref="Target"/> and <see cref="Action"/> are the short form;
/// <see cref="Description"/> is what -WhatIf prints after "What if: " (may span lines), <see cref="Warning"/> the confirmation
/// question and <see cref="Caption"/> the confirmation prompt's title.
/// </summary>
public sealed record ShouldProcessRequest(string Target, string Action, string Description, string Warning, string Caption);

/// <summary>One progress report. <see cref="PercentComplete"/> is -1 when unknown; Completed closes the bar.</summary>
public sealed record ProgressInfo(
    int ActivityId,
    string Activity,
    string Status,
    int PercentComplete = -1,
    int SecondsRemaining = -1,
    string? CurrentOperation = null,
    bool Completed = false);
