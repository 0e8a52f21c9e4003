using CrmSync.Engine;
using CrmSync.Engine.Shell;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Tests.Hosting;

public sealed class PowerShellActionRendererTests
{
    private static readonly PowerShellActionRenderer Renderer = PowerShellActionRenderer.Instance;

    [Fact]
    public void An_action_with_a_profile_is_a_cmdlet_call()
    {
        Assert.Equal("Run Connect-CrmSync -Profile prod to connect again.",
            Renderer.RenderText($"Run {ShellAction.Connect.Profile("prod")} to connect again."));
    }

    [Fact]
    public void Parameters_keep_their_PowerShell_names_and_values_with_blanks_are_quoted()
    {
        Assert.Equal("Connect-CrmSync -Profile 'my org' -Scope CurrentUser",
            Renderer.RenderText(ShellAction.Connect.Profile("my org").With(ActionParameter.Scope, "CurrentUser").ToString()));
        Assert.Equal("Start-CrmSync -RetryNow", Renderer.RenderText(ShellAction.Start.With(ActionParameter.RetryNow).ToString()));
        Assert.Equal("Sync-CrmField -ResetExclusions", Renderer.RenderText(ShellAction.SyncFields.With(ActionParameter.ResetExclusions).ToString()));
        Assert.Equal("Export-CrmFieldMapping -Path", Renderer.RenderText(ShellAction.ExportMapping.With(ActionParameter.Path).ToString()));
        Assert.Equal("-NoClobber", Renderer.RenderText(ShellAction.ExportMapping.Parameter(ActionParameter.NoClobber).ToString()));
        Assert.Equal("-Force", Renderer.RenderText(ShellAction.ExportMapping.Parameter(ActionParameter.Force).ToString()));
        Assert.Equal("Set-CrmSyncNotification -SmtpServer <host> -Recipient <address>",
            Renderer.RenderText(ShellAction.SetNotification.With(ActionParameter.SmtpServer, "<host>").With(ActionParameter.Recipient, "<address>").ToString()));
        Assert.Equal("Connect-CrmSync -Profile <new name>", Renderer.RenderText(ShellAction.Connect.Profile("<new name>").ToString()));
    }

    [Theory]
    [InlineData(CrmSyncAction.Connect, "Connect-CrmSync")]
    [InlineData(CrmSyncAction.Disconnect, "Disconnect-CrmSync")]
    [InlineData(CrmSyncAction.SyncFields, "Sync-CrmField")]
    [InlineData(CrmSyncAction.GetFields, "Get-CrmField")]
    [InlineData(CrmSyncAction.GetMapping, "Get-CrmFieldMapping")]
    [InlineData(CrmSyncAction.SetMapping, "Set-CrmFieldMapping")]
    [InlineData(CrmSyncAction.ExportMapping, "Export-CrmFieldMapping")]
    [InlineData(CrmSyncAction.MappingHelp, "Get-Help Set-CrmFieldMapping")]
    [InlineData(CrmSyncAction.Start, "Start-CrmSync")]
    [InlineData(CrmSyncAction.Stop, "Stop-CrmSync")]
    [InlineData(CrmSyncAction.Status, "Get-CrmSyncStatus")]
    [InlineData(CrmSyncAction.Errors, "Get-CrmSyncError")]
    [InlineData(CrmSyncAction.Conflicts, "Get-CrmSyncConflict")]
    [InlineData(CrmSyncAction.Duplicates, "Find-CrmDuplicate")]
    [InlineData(CrmSyncAction.GetNotification, "Get-CrmSyncNotification")]
    [InlineData(CrmSyncAction.SetNotification, "Set-CrmSyncNotification")]
    public void Every_action_is_a_cmdlet_of_the_module(CrmSyncAction action, string cmdlet)
    {
        Assert.Equal(cmdlet, Renderer.RenderText(new ShellAction(action).ToString()));
    }

    [Fact]
    public void A_parameter_named_on_its_own_is_the_cmdlet_parameter()
    {
        Assert.Equal("Give -DatabasePath a file on a local disk.",
            Renderer.RenderText($"Give {ShellParameter.For(ActionParameter.DatabasePath)} a file on a local disk."));
        Assert.Equal("-Interval applies to -Continuous only.",
            Renderer.RenderText($"{ShellParameter.For(ActionParameter.Interval)} applies to {ShellParameter.For(ActionParameter.Continuous)} only."));
        Assert.Equal("-Path", Renderer.RenderText(ShellAction.SetMapping.Parameter(ActionParameter.Path).ToString()));
        Assert.Equal("-Object and -Field", Renderer.RenderText(ShellParameter.For(ActionParameter.ObjectAndField).ToString()));
        Assert.Equal("-Credential", Renderer.RenderText(ShellParameter.For(ActionParameter.Password).ToString()));
    }

    [Theory]
    [InlineData(ActionParameter.DatabasePath, typeof(CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand))]
    [InlineData(ActionParameter.Continuous, typeof(CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand))]
    [InlineData(ActionParameter.Interval, typeof(CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand))]
    [InlineData(ActionParameter.NotifyEmail, typeof(CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand))]
    [InlineData(ActionParameter.Purge, typeof(CrmSync.PowerShell.Cmdlets.GetCrmSyncErrorCommand))]
    [InlineData(ActionParameter.Retention, typeof(CrmSync.PowerShell.Cmdlets.GetCrmSyncErrorCommand))]
    [InlineData(ActionParameter.Last, typeof(CrmSync.PowerShell.Cmdlets.GetCrmSyncErrorCommand))]
    [InlineData(ActionParameter.Object, typeof(CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand))]
    [InlineData(ActionParameter.Column, typeof(CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand))]
    [InlineData(ActionParameter.Enable, typeof(CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand))]
    [InlineData(ActionParameter.RemoveCredential, typeof(CrmSync.PowerShell.Cmdlets.SetCrmSyncNotificationCommand))]
    [InlineData(ActionParameter.TlsMode, typeof(CrmSync.PowerShell.Cmdlets.SetCrmSyncNotificationCommand))]
    [InlineData(ActionParameter.TrustedCertificatePath, typeof(CrmSync.PowerShell.Cmdlets.SetCrmSyncNotificationCommand))]
    [InlineData(ActionParameter.ExcludeField, typeof(CrmSync.PowerShell.Cmdlets.SyncCrmFieldCommand))]
    [InlineData(ActionParameter.ClientCredentials, typeof(CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand))]
    [InlineData(ActionParameter.Url, typeof(CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand))]
    [InlineData(ActionParameter.Sandbox, typeof(CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand))]
    public void The_parameters_the_engine_names_are_parameters_of_a_cmdlet(ActionParameter parameter, Type cmdlet)
    {
        string name = Renderer.RenderText(ShellParameter.For(parameter).ToString())![1..];
        Assert.NotNull(cmdlet.GetProperty(name));
    }

    [Fact]
    public void Every_action_has_a_cmdlet()
    {
        foreach (CrmSyncAction action in Enum.GetValues<CrmSyncAction>())
            Assert.Contains("-Crm", PowerShellActionRenderer.Cmdlet(action), StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_gets_its_message_and_recommended_action_rendered_and_keeps_id_kind_target()
    {
        var inner = new IOException("disk");
        var error = new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"No profile; {ShellAction.Connect} creates it.", $"Run {ShellAction.Connect.Profile("prod")}.", "prod", inner);

        var rendered = Renderer.RenderError(error);

        Assert.Equal(("No profile; Connect-CrmSync creates it.", "Run Connect-CrmSync -Profile prod."), (rendered.Message, rendered.RecommendedAction));
        Assert.Equal((error.ErrorId, error.Kind, error.Target, (Exception?)inner), (rendered.ErrorId, rendered.Kind, rendered.Target, rendered.InnerException));
    }

    [Fact]
    public void Text_without_tokens_is_unchanged()
    {
        var error = new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound, "plain [x] text", "do [[nothing]]");
        Assert.Same(error, Renderer.RenderError(error));
    }
}
