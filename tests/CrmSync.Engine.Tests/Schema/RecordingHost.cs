using CrmSync.Engine.Commands;

namespace CrmSync.Engine.Tests.Schema;

/// <summary>A fake command host: records every call; ShouldProcess answers <see cref="Answer"/> (false = -WhatIf or declined).</summary>
internal sealed class RecordingHost(bool answer = true) : ICommandHost
{
    public bool Answer { get; set; } = answer;
    public List<(string Target, string Action)> ShouldProcessCalls { get; } = [];
    public List<ProgressInfo> Progress { get; } = [];
    public List<string> Verbose { get; } = [];
    public List<string> Warnings { get; } = [];
    public List<object> Output { get; } = [];
    public List<CrmSyncException> Errors { get; } = [];

    public IEnumerable<T> OutputOf<T>() => Output.OfType<T>();

    public bool ShouldProcess(string target, string action)
    {
        ShouldProcessCalls.Add((target, action));
        return Answer;
    }

    public void WriteProgress(ProgressInfo progress) => Progress.Add(progress);
    public void WriteVerbose(string message) => Verbose.Add(message);
    public void WriteWarning(string message) => Warnings.Add(message);
    public void WriteDebug(string message) { }
    public void WriteObject(object value) => Output.Add(value);
    public void WriteError(CrmSyncException error) => Errors.Add(error);
}

/// <summary>Runs a handler to completion on the test's thread (handlers here complete synchronously or on fakes).</summary>
internal static class HandlerRuns
{
    public static RecordingHost Run(this ICommandHandler handler, RecordingHost host)
    {
        handler.ExecuteAsync(host, CancellationToken.None).GetAwaiter().GetResult();
        return host;
    }
}
