using CrmSync.Engine.Commands;

namespace CrmSync.Engine.Tests.Reports;

/// <summary>A fake command host for the report handlers: records every call; ShouldProcess answers <see cref="Answer"/>.</summary>
internal sealed class ReportHost(bool answer = true) : ICommandHost
{
    public bool Answer { get; set; } = answer;
    public List<(string Target, string Action)> ShouldProcessCalls { get; } = [];
    public List<ProgressInfo> Progress { get; } = [];
    public List<string> Verbose { get; } = [];
    public List<string> Warnings { get; } = [];
    public List<object> Output { get; } = [];
    public List<CrmSyncException> Errors { get; } = [];

    /// <summary>Called on every WriteObject (e.g. to cancel in the middle of a report).</summary>
    public Action<object>? OnOutput { get; set; }

    public IReadOnlyList<T> OutputOf<T>() => Output.OfType<T>().ToList();

    public bool ShouldProcess(string target, string action)
    {
        ShouldProcessCalls.Add((target, action));
        return Answer;
    }

    public void WriteProgress(ProgressInfo progress) => Progress.Add(progress);
    public void WriteVerbose(string message) => Verbose.Add(message);
    public void WriteWarning(string message) => Warnings.Add(message);
    public void WriteDebug(string message) { }

    public void WriteObject(object value)
    {
        Output.Add(value);
        OnOutput?.Invoke(value);
    }

    public void WriteError(CrmSyncException error) => Errors.Add(error);
}
