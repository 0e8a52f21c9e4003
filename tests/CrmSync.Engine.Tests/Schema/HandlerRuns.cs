using CrmSync.Engine.Commands;

namespace CrmSync.Engine.Tests.Schema;

/// <summary>Runs a handler to completion on the test's thread (handlers here complete synchronously or on fakes).</summary>
internal static class HandlerRuns
{
    public static FakeCommandHost Run(this ICommandHandler handler, FakeCommandHost host)
    {
        handler.ExecuteAsync(host, CancellationToken.None).GetAwaiter().GetResult();
        return host;
    }
}
