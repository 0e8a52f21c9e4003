using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.Integration.Tests.Infrastructure;

/// <summary>Records every host call; answers ShouldProcess with <see cref="Answer"/>. Thread-safe (client events may come from any thread).</summary>
internal sealed class FakeCommandHost : ICommandHost
{
    private readonly object _gate = new();

    public bool Answer { get; set; } = true;
    public List<(string Target, string Action)> ShouldProcessCalls { get; } = [];
    public List<string> Verbose { get; } = [];
    public List<string> Warnings { get; } = [];
    public List<string> Debug { get; } = [];
    public List<object> Output { get; } = [];
    public List<CrmSyncException> Errors { get; } = [];

    /// <summary>Every text the host received, for scanning for secrets.</summary>
    public string AllText
    {
        get
        {
            lock (_gate)
                return string.Join("\n", Verbose.Concat(Warnings).Concat(Debug).Concat(Errors.Select(e => e.ToString())));
        }
    }

    public bool ShouldProcess(string target, string action)
    {
        lock (_gate)
            ShouldProcessCalls.Add((target, action));
        return Answer;
    }

    public void WriteProgress(ProgressInfo progress)
    {
    }

    public void WriteVerbose(string message)
    {
        lock (_gate)
            Verbose.Add(message);
    }

    public void WriteWarning(string message)
    {
        lock (_gate)
            Warnings.Add(message);
    }

    public void WriteDebug(string message)
    {
        lock (_gate)
            Debug.Add(message);
    }

    public void WriteObject(object value)
    {
        lock (_gate)
            Output.Add(value);
    }

    public void WriteError(CrmSyncException error)
    {
        lock (_gate)
            Errors.Add(error);
    }
}
