using CrmSync.Engine.Commands;
using CrmSync.Engine.Shell;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Tests.Commands;

/// <summary>
/// Issue 11, item 6: the combinations of parameters a command refuses are checked by its handler (built by
/// <see cref="CommandHandlers"/>, as both shells build it), before anything is opened or asked, and named with parameter
/// tokens that each shell spells (-Interval / --interval).
/// </summary>
public sealed class CrossParameterValidationTests : IDisposable
{
    private readonly TempDataFolder data = new();

    public CrossParameterValidationTests() => data.CreateFreshProfile("prod");

    public void Dispose() => data.Dispose();

    private CommandHandlers Handlers => new(data.Environment);

    private static async Task<CrmSyncException> RefusedAsync(ICommandHandler handler, params ActionParameter[] named)
    {
        var host = new FakeCommandHost();
        var error = await Assert.ThrowsAsync<CrmSyncException>(() => handler.ExecuteAsync(host, CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidArgument, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        foreach (var parameter in named)
            Assert.Contains(ShellParameter.For(parameter).ToString(), error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Calls);
        return error;
    }

    [Fact]
    public async Task Start_refuses_an_interval_without_continuous_before_asking_or_running()
    {
        var error = await RefusedAsync(Handlers.Start(new StartSyncOptions { Profile = "prod", Interval = TimeSpan.FromMinutes(1) }),
            ActionParameter.Interval, ActionParameter.Continuous);
        Assert.Equal(TimeSpan.FromMinutes(1), error.Target);
        using var store = data.Profiles.Open("prod");
        Assert.Null(store.Runs.Latest());
    }

    [Fact]
    public async Task Start_refuses_an_interval_out_of_range_even_with_continuous()
    {
        await RefusedAsync(Handlers.Start(new StartSyncOptions { Profile = "prod", Continuous = true, Interval = TimeSpan.FromDays(2) }));
        await RefusedAsync(Handlers.Start(new StartSyncOptions { Profile = "prod", Continuous = true, Interval = TimeSpan.FromMilliseconds(10) }));
    }

    [Fact]
    public void Start_without_an_interval_uses_the_default_pause()
    {
        Assert.Equal(CrmSync.Engine.Sync.SyncOrchestrator.DefaultInterval, new StartSyncOptions { Continuous = true }.EffectiveInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), new StartSyncOptions { Continuous = true, Interval = TimeSpan.FromSeconds(30) }.EffectiveInterval);
    }

    [Fact]
    public async Task Error_refuses_a_retention_without_purge_and_deletes_nothing()
    {
        using (var store = data.Profiles.Open("prod"))
            store.Errors.Record(new NewSyncError(SyncErrorLevel.Job, ErrorIds.SyncFailed, "old"));

        await RefusedAsync(Handlers.GetErrors(new GetSyncErrorOptions { Profile = "prod", Retention = TimeSpan.Zero }),
            ActionParameter.Retention, ActionParameter.Purge);

        using var after = data.Profiles.Open("prod");
        Assert.Single(after.Errors.List());
    }

    [Fact]
    public void Error_purges_with_the_default_retention_unless_one_is_given()
    {
        Assert.Null(new GetSyncErrorOptions().PurgeOlderThan);
        Assert.Equal(SyncErrorLog.DefaultRetention, new GetSyncErrorOptions { Purge = true }.PurgeOlderThan);
        Assert.Equal(TimeSpan.FromDays(1), new GetSyncErrorOptions { Purge = true, Retention = TimeSpan.FromDays(1) }.PurgeOlderThan);
    }

    [Fact]
    public async Task Mapping_refuses_enable_with_disable()
    {
        var error = await RefusedAsync(Handlers.SetFieldMapping(new SetFieldMappingOptions
        {
            Profile = "prod", ObjectName = "Lead", FieldName = "Phone", Enable = true, Disable = true,
        }), ActionParameter.Enable, ActionParameter.Disable);
        Assert.Equal("Lead.Phone", error.Target);
    }

    [Fact]
    public async Task Mapping_refuses_an_import_with_an_edit_and_an_edit_without_a_change()
    {
        await RefusedAsync(Handlers.SetFieldMapping(new SetFieldMappingOptions { Profile = "prod", ImportPath = "x.json", Disable = true, ObjectName = "Lead", FieldName = "Phone" }),
            ActionParameter.ObjectAndField);
        await RefusedAsync(Handlers.SetFieldMapping(new SetFieldMappingOptions { Profile = "prod", ObjectName = "Lead", FieldName = "Phone" }),
            ActionParameter.Column, ActionParameter.Enable);
    }

    [Fact]
    public async Task Notification_refuses_remove_credential_with_a_credential()
    {
        await RefusedAsync(Handlers.SetNotification(new SetNotificationOptions { Profile = "prod", RemoveCredential = true, SmtpUserName = "mailer" }),
            ActionParameter.RemoveCredential);
    }
}
