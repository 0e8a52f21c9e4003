using CrmSync.Engine.Commands;

namespace CrmSync.Engine.Tests.Commands;

/// <summary>
/// A fake cmdlet/CLI host for handler tests: records every call (thread-safe: engine callbacks come from any thread) and
/// answers ShouldProcess with <see cref="Answer"/> (false = -WhatIf or the user declined).
/// </summary>
internal sealed class CommandTestHost(bool answer = true) : ICommandHost
{
    private readonly object _gate = new();
    private readonly List<(string Target, string Action)> _shouldProcess = [];
    private readonly List<ProgressInfo> _progress = [];
    private readonly List<string> _verbose = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _debug = [];
    private readonly List<object> _output = [];
    private readonly List<CrmSyncException> _errors = [];

    public bool Answer { get; set; } = answer;

    /// <summary>Called after each written object (tests cancel or stop a continuous sync here).</summary>
    public Action<object>? OnOutput { get; set; }

    public IReadOnlyList<(string Target, string Action)> ShouldProcessCalls => Copy(_shouldProcess);
    public IReadOnlyList<ProgressInfo> Progress => Copy(_progress);
    public IReadOnlyList<string> Verbose => Copy(_verbose);
    public IReadOnlyList<string> Warnings => Copy(_warnings);
    public IReadOnlyList<string> Debug => Copy(_debug);
    public IReadOnlyList<object> Output => Copy(_output);
    public IReadOnlyList<CrmSyncException> Errors => Copy(_errors);

    public IReadOnlyList<T> OutputOf<T>() => Output.OfType<T>().ToList();

    public bool ShouldProcess(string target, string action)
    {
        lock (_gate)
            _shouldProcess.Add((target, action));
        return Answer;
    }

    public void WriteProgress(ProgressInfo progress) => Add(_progress, progress);
    public void WriteVerbose(string message) => Add(_verbose, message);
    public void WriteWarning(string message) => Add(_warnings, message);
    public void WriteDebug(string message) => Add(_debug, message);

    public void WriteObject(object value)
    {
        Add(_output, value);
        OnOutput?.Invoke(value);
    }

    public void WriteError(CrmSyncException error) => Add(_errors, error);

    private void Add<T>(List<T> list, T item)
    {
        lock (_gate)
            list.Add(item);
    }

    private IReadOnlyList<T> Copy<T>(List<T> list)
    {
        lock (_gate)
            return list.ToList();
    }
}
