using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.PowerShell.Tests.TestSupport;

/// <summary>
/// A host that records every call a handler makes, with the thread it was made on, and answers ShouldProcess
/// from <see cref="ShouldProcessAnswer"/> (false = -WhatIf or the user declined).
/// </summary>
internal sealed class FakeCommandHost : ICommandHost
{
    private readonly object gate = new();

    public bool ShouldProcessAnswer { get; set; } = true;

    /// <summary>Every call in order, e.g. "Verbose:text", "Object", "ShouldProcess:target:action".</summary>
    public List<string> Calls { get; } = [];
    public List<int> CallThreads { get; } = [];
    public List<object> Objects { get; } = [];
    public List<CrmSyncException> Errors { get; } = [];
    public List<ProgressInfo> Progress { get; } = [];
    public List<string> Verbose { get; } = [];
    public List<string> Warnings { get; } = [];

    /// <summary>Runs on every call before it is recorded (a test can throw from here).</summary>
    public Action<string>? OnCall { get; set; }

    public bool ShouldProcess(string target, string action)
    {
        Record($"ShouldProcess:{target}:{action}");
        return ShouldProcessAnswer;
    }

    public void WriteProgress(ProgressInfo progress)
    {
        Record("Progress:" + progress.Status);
        lock (gate) Progress.Add(progress);
    }

    public void WriteVerbose(string message)
    {
        Record("Verbose:" + message);
        lock (gate) Verbose.Add(message);
    }

    public void WriteWarning(string message)
    {
        Record("Warning:" + message);
        lock (gate) Warnings.Add(message);
    }

    public void WriteDebug(string message) => Record("Debug:" + message);

    public void WriteObject(object value)
    {
        Record("Object");
        lock (gate) Objects.Add(value);
    }

    public void WriteError(CrmSyncException error)
    {
        Record("Error:" + error.ErrorId);
        lock (gate) Errors.Add(error);
    }

    private void Record(string call)
    {
        OnCall?.Invoke(call);
        lock (gate)
        {
            Calls.Add(call);
            CallThreads.Add(Environment.CurrentManagedThreadId);
        }
    }
}
