using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.PowerShell.Hosting;
using CrmSync.Engine.Sync;

namespace CrmSync.PowerShell.Tests.Commands;

/// <summary>Get-CrmSyncStatus's logic, driven through a fake host as the cmdlet and crmsync drive it.</summary>
public sealed class GetStatusCommandTests : IDisposable
{
    private readonly TempDataFolder data = new();

    public void Dispose() => data.Dispose();

    private static FakeCommandHost Run(ICommandHandler handler)
    {
        var host = new FakeCommandHost();
        CommandHostPump.Run(host, handler, CancellationToken.None);
        return host;
    }

    [Fact]
    public void A_fresh_profile_is_NotStarted()
    {
        data.CreateFreshProfile("default");

        FakeCommandHost host = Run(new CommandHandlers(data.Environment).Status("default"));

        var status = Assert.IsType<SyncStatus>(Assert.Single(host.Output));
        Assert.Equal(SyncState.NotStarted, status.State);
        Assert.Equal("default", status.Profile);
        Assert.Null(status.LastSuccess);
        Assert.Null(status.LastError);
        Assert.Empty(status.Counts);
        Assert.Equal(0, status.PushBacklog);
        Assert.Equal(Path.Combine(data.Paths.ProfilesDirectory, "default.db"), status.DatabasePath);
        Assert.Empty(host.Errors);
        Assert.Contains(host.Verbose, v => v.Contains("'default'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_profile_at_an_explicit_database_path_is_read_from_there()
    {
        string file = Path.Combine(data.Path, "elsewhere", "prod.db");
        data.CreateFreshProfile("prod", file);

        FakeCommandHost host = Run(new CommandHandlers(data.Environment).Status("prod", file));

        var status = Assert.IsType<SyncStatus>(Assert.Single(host.Output));
        Assert.Equal(SyncState.NotStarted, status.State);
        Assert.Equal(file, status.DatabasePath);
    }

    [Fact]
    public void An_unknown_profile_fails_the_run_with_ProfileNotFound_and_the_Connect_CrmSync_advice()
    {
        var error = Assert.Throws<CrmSyncException>(() => Run(new CommandHandlers(data.Environment).Status("nope")));

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
        Assert.StartsWith("Run Connect-CrmSync", PowerShellActionRenderer.Instance.RenderError(error).RecommendedAction, StringComparison.Ordinal);
        Assert.Equal("nope", error.Target);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_profile_creates_no_database()
    {
        Assert.Throws<CrmSyncException>(() => Run(new CommandHandlers(data.Environment).Status("nope")));
        Assert.False(File.Exists(Path.Combine(data.Paths.ProfilesDirectory, "nope.db")));
    }

    [Fact]
    public void Nothing_is_written_for_an_unknown_profile()
    {
        var host = new FakeCommandHost();
        Assert.Throws<CrmSyncException>(() => CommandHostPump.Run(host, new CommandHandlers(data.Environment).Status("nope"), CancellationToken.None));
        Assert.Empty(host.Output);
        Assert.Empty(host.Errors);
    }

    [Fact]
    public void An_invalid_profile_name_is_an_InvalidArgument_error()
    {
        var error = Assert.Throws<CrmSyncException>(() => Run(new CommandHandlers(data.Environment).Status("../etc/passwd")));
        Assert.Equal(ErrorIds.InvalidProfileName, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void A_cancelled_command_reads_nothing()
    {
        data.CreateFreshProfile("default");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var host = new FakeCommandHost();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            CommandHostPump.Run(host, new CommandHandlers(data.Environment).Status("default"), cancelled.Token));
        Assert.Empty(host.Output);
    }
}
