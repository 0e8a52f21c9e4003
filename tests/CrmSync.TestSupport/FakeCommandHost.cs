using CrmSync.Engine;
using CrmSync.Engine.Commands;

namespace CrmSync.TestSupport;

/// <summary>
/// A fake cmdlet/CLI host for handler tests: records every call (thread-safe: engine callbacks come from any thread; each
/// list property is a snapshot), in order and with the thread it was made on (<see cref="Calls"/>, <see cref="CallThreads"/>),
/// and answers ShouldProcess with <see cref="Answer"/> (false = -WhatIf or the user declined).
/// </summary>
public sealed class FakeCommandHost(bool answer = true) : ICommandHost
{
    private readonly object _gate = new();
    private readonly List<(string Target, string Action)> _shouldProcess = [];
    private readonly List<ProgressInfo> _progress = [];
    private readonly List<string> _verbose = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _debug = [];
    private readonly List<object> _output = [];
    private readonly List<CrmSyncException> _errors = [];
    private readonly List<string> _calls = [];
    private readonly List<int> _callThreads = [];

    public bool Answer { get; set; } = answer;

    /// <summary>Called after each written object (tests cancel or stop a continuous sync here).</summary>
    public Action<object>? OnOutput { get; set; }

    /// <summary>Runs on every call before it is recorded, with its <see cref="Calls"/> entry (a test can throw from here).</summary>
    public Action<string>? OnCall { get; set; }

    /// <summary>Every call in order, e.g. "Verbose:text", "Object", "ShouldProcess:target:action", "Error:ErrorId".</summary>
    public IReadOnlyList<string> Calls => Copy(_calls);

    /// <summary>The managed thread id each of <see cref="Calls"/> was made on.</summary>
    public IReadOnlyList<int> CallThreads => Copy(_callThreads);

    public IReadOnlyList<(string Target, string Action)> ShouldProcessCalls => Copy(_shouldProcess);
    public IReadOnlyList<ProgressInfo> Progress => Copy(_progress);
    public IReadOnlyList<string> Verbose => Copy(_verbose);
    public IReadOnlyList<string> Warnings => Copy(_warnings);
    public IReadOnlyList<string> Debug => Copy(_debug);
    public IReadOnlyList<object> Output => Copy(_output);
    public IReadOnlyList<CrmSyncException> Errors => Copy(_errors);

    /// <summary>Every text the host received, for scanning for secrets.</summary>
    public string AllText
    {
        get
        {
            lock (_gate)
                return string.Join("\n", _verbose.Concat(_warnings).Concat(_debug).Concat(_errors.Select(e => e.ToString())));
        }
    }

    /// <summary>The written objects of type <typeparamref name="T"/>, in order.</summary>
    public IReadOnlyList<T> OutputOf<T>() => Output.OfType<T>().ToList();

    public bool ShouldProcess(string target, string action)
    {
        Add($"ShouldProcess:{target}:{action}", _shouldProcess, (target, action));
        return Answer;
    }

    public void WriteProgress(ProgressInfo progress) => Add("Progress:" + progress.Status, _progress, progress);
    public void WriteVerbose(string message) => Add("Verbose:" + message, _verbose, message);
    public void WriteWarning(string message) => Add("Warning:" + message, _warnings, message);
    public void WriteDebug(string message) => Add("Debug:" + message, _debug, message);

    public void WriteObject(object value)
    {
        Add("Object", _output, value);
        OnOutput?.Invoke(value);
    }

    public void WriteError(CrmSyncException error) => Add("Error:" + error.ErrorId, _errors, error);

    private void Add<T>(string call, List<T> list, T item)
    {
        OnCall?.Invoke(call);
        lock (_gate)
        {
            _calls.Add(call);
            _callThreads.Add(Environment.CurrentManagedThreadId);
            list.Add(item);
        }
    }

    private IReadOnlyList<T> Copy<T>(List<T> list)
    {
        lock (_gate)
            return list.ToList();
    }
}
