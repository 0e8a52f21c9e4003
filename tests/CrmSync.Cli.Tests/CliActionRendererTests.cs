using CrmSync.Cli.Output;
using CrmSync.Engine;
using CrmSync.Engine.Shell;

namespace CrmSync.Cli.Tests;

public sealed class CliActionRendererTests
{
    private static readonly CliActionRenderer Renderer = CliActionRenderer.Instance;

    private static string Render(ShellAction action) => Renderer.RenderText(action.ToString())!;

    [Fact]
    public void An_action_with_a_profile_is_a_crmsync_command_line()
    {
        Assert.Equal("Run crmsync connect --profile prod to connect again.",
            Renderer.RenderText($"Run {ShellAction.Connect.Profile("prod")} to connect again."));
    }

    [Fact]
    public void Parameters_become_the_options_of_the_verbs()
    {
        Assert.Equal("crmsync connect --profile 'my org' --scope currentuser", Render(ShellAction.Connect.Profile("my org").With(ActionParameter.Scope, "CurrentUser")));
        Assert.Equal("crmsync connect --login-url <url>", Render(ShellAction.Connect.With(ActionParameter.LoginUrl)));
        Assert.Equal("crmsync start --retry-now", Render(ShellAction.Start.With(ActionParameter.RetryNow)));
        Assert.Equal("crmsync start --verbose", Render(ShellAction.Start.With(ActionParameter.Verbose)));
        Assert.Equal("crmsync sync-field --reset-exclusions", Render(ShellAction.SyncFields.With(ActionParameter.ResetExclusions)));
        Assert.Equal("crmsync sync-field --exclude Lead.Fax", Render(ShellAction.SyncFields.With(ActionParameter.ExcludeField, "Lead.Fax")));
        Assert.Equal("crmsync mapping --export <path>", Render(ShellAction.ExportMapping.With(ActionParameter.Path)));
        Assert.Equal("crmsync mapping --set <Object.Field> --disable", Render(ShellAction.SetMapping.With(ActionParameter.Disable)));
        Assert.Equal("crmsync mapping --help", Render(ShellAction.MappingHelp));
        Assert.Equal("crmsync notification --smtp-server <host> --recipient <address>",
            Render(ShellAction.SetNotification.With(ActionParameter.SmtpServer, "<host>").With(ActionParameter.Recipient, "<address>")));
        Assert.Equal("crmsync notification --smtp-user <user>", Render(ShellAction.SetNotification.With(ActionParameter.Credential)));
        Assert.Equal("crmsync connect --profile <new name>", Render(ShellAction.Connect.Profile("<new name>")));
    }

    [Theory]
    [InlineData(CrmSyncAction.Connect, "crmsync connect")]
    [InlineData(CrmSyncAction.Disconnect, "crmsync disconnect")]
    [InlineData(CrmSyncAction.SyncFields, "crmsync sync-field")]
    [InlineData(CrmSyncAction.GetFields, "crmsync field")]
    [InlineData(CrmSyncAction.GetMapping, "crmsync mapping")]
    [InlineData(CrmSyncAction.SetMapping, "crmsync mapping")]
    [InlineData(CrmSyncAction.ExportMapping, "crmsync mapping")]
    [InlineData(CrmSyncAction.Start, "crmsync start")]
    [InlineData(CrmSyncAction.Stop, "crmsync stop")]
    [InlineData(CrmSyncAction.Status, "crmsync status")]
    [InlineData(CrmSyncAction.Errors, "crmsync error")]
    [InlineData(CrmSyncAction.Conflicts, "crmsync conflict")]
    [InlineData(CrmSyncAction.Duplicates, "crmsync duplicate")]
    [InlineData(CrmSyncAction.GetNotification, "crmsync notification")]
    [InlineData(CrmSyncAction.SetNotification, "crmsync notification")]
    public void Every_action_is_a_verb_of_crmsync(CrmSyncAction action, string commandLine)
    {
        Assert.Equal(commandLine, Render(new ShellAction(action)));
    }

    [Fact]
    public void Every_action_and_parameter_has_a_spelling_and_every_verb_exists()
    {
        var verbs = CliApplication.Verbs.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (CrmSyncAction action in Enum.GetValues<CrmSyncAction>())
        {
            Assert.Contains(CliActionRenderer.Verb(action), verbs);
            foreach (ActionParameter parameter in Enum.GetValues<ActionParameter>())
                Assert.StartsWith("crmsync ", Render(new ShellAction(action).With(parameter, "x")), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(CrmSyncAction.Connect, ActionParameter.Profile)]
    [InlineData(CrmSyncAction.Connect, ActionParameter.LoginUrl)]
    [InlineData(CrmSyncAction.Connect, ActionParameter.Scope)]
    [InlineData(CrmSyncAction.Start, ActionParameter.RetryNow)]
    [InlineData(CrmSyncAction.Start, ActionParameter.Verbose)]
    [InlineData(CrmSyncAction.SyncFields, ActionParameter.ExcludeField)]
    [InlineData(CrmSyncAction.SyncFields, ActionParameter.ResetExclusions)]
    [InlineData(CrmSyncAction.SyncFields, ActionParameter.ResetFieldSelection)]
    [InlineData(CrmSyncAction.SetMapping, ActionParameter.Disable)]
    [InlineData(CrmSyncAction.GetMapping, ActionParameter.Path)]
    [InlineData(CrmSyncAction.ExportMapping, ActionParameter.Path)]
    [InlineData(CrmSyncAction.ExportMapping, ActionParameter.NoClobber)]
    [InlineData(CrmSyncAction.ExportMapping, ActionParameter.Force)]
    [InlineData(CrmSyncAction.SetNotification, ActionParameter.SmtpServer)]
    [InlineData(CrmSyncAction.SetNotification, ActionParameter.Recipient)]
    [InlineData(CrmSyncAction.SetNotification, ActionParameter.Credential)]
    public void The_options_the_engine_names_are_options_of_the_verb(CrmSyncAction action, ActionParameter parameter)
    {
        var verb = CliApplication.Verbs.Single(v => v.Name == CliActionRenderer.Verb(action));
        var options = verb.Options.Select(o => "--" + o.Name).ToHashSet(StringComparer.Ordinal);
        var named = Render(new ShellAction(action).With(parameter, "x")).Split(' ').Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(named);
        Assert.All(named, option => Assert.Contains(option, options));
    }

    [Fact]
    public void A_parameter_named_on_its_own_is_the_option_of_the_verb()
    {
        Assert.Equal("Give --database a file on a local disk.",
            Renderer.RenderText($"Give {ShellParameter.For(ActionParameter.DatabasePath)} a file on a local disk."));
        Assert.Equal("--interval applies to --continuous only.",
            Renderer.RenderText($"{ShellParameter.For(ActionParameter.Interval)} applies to {ShellParameter.For(ActionParameter.Continuous)} only."));
        Assert.Equal("--import", Renderer.RenderText(ShellAction.SetMapping.Parameter(ActionParameter.Path).ToString()));
        Assert.Equal("--export", Renderer.RenderText(ShellAction.GetMapping.Parameter(ActionParameter.Path).ToString()));
        Assert.Equal("--export", Renderer.RenderText(ShellAction.ExportMapping.Parameter(ActionParameter.Path).ToString()));
        Assert.Equal("--no-clobber", Renderer.RenderText(ShellAction.ExportMapping.Parameter(ActionParameter.NoClobber).ToString()));
        Assert.Equal("--set OBJECT.FIELD", Renderer.RenderText(ShellParameter.For(ActionParameter.ObjectAndField).ToString()));
        Assert.Equal("--smtp-user", Renderer.RenderText(ShellAction.SetNotification.Parameter(ActionParameter.Credential).ToString()));
        Assert.Equal("--username", Renderer.RenderText(ShellAction.Connect.Parameter(ActionParameter.Credential).ToString()));
        Assert.Equal("CRMSYNC_CLIENT_SECRET", Renderer.RenderText(ShellParameter.For(ActionParameter.ClientSecret).ToString()));
    }

    [Theory]
    [InlineData(ActionParameter.DatabasePath, "mapping")]
    [InlineData(ActionParameter.Object, "error")]
    [InlineData(ActionParameter.Field, "conflict")]
    [InlineData(ActionParameter.Column, "mapping")]
    [InlineData(ActionParameter.Rule, "mapping")]
    [InlineData(ActionParameter.Enable, "mapping")]
    [InlineData(ActionParameter.Disable, "mapping")]
    [InlineData(ActionParameter.Continuous, "start")]
    [InlineData(ActionParameter.Interval, "start")]
    [InlineData(ActionParameter.NotifyEmail, "start")]
    [InlineData(ActionParameter.Purge, "error")]
    [InlineData(ActionParameter.Retention, "error")]
    [InlineData(ActionParameter.Last, "error")]
    [InlineData(ActionParameter.RemoveCredential, "notification")]
    [InlineData(ActionParameter.TlsMode, "notification")]
    [InlineData(ActionParameter.TrustedCertificatePath, "notification")]
    [InlineData(ActionParameter.ExcludeField, "sync-field")]
    [InlineData(ActionParameter.ClientId, "connect")]
    [InlineData(ActionParameter.Sandbox, "connect")]
    public void The_parameters_the_engine_names_are_options_of_a_verb(ActionParameter parameter, string verbName)
    {
        var verb = CliApplication.Verbs.Single(v => v.Name == verbName);
        Assert.Contains(Renderer.RenderText(ShellParameter.For(parameter).ToString())![2..], verb.Options.Select(o => o.Name));
    }

    [Fact]
    public void The_console_host_writes_errors_warnings_and_verbose_lines_as_crmsync_command_lines()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var host = new ConsoleCommandHost(new CliConsole(output, error, TextReader.Null, _ => null), OutputFormat.Text, verbose: true);

        host.WriteWarning($"Run {ShellAction.SyncFields} first.");
        host.WriteVerbose($"Disabled; {ShellAction.Start} enables it again.");
        host.ReportError(new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"No profile ({ShellAction.Stop}).", $"Run {ShellAction.Connect.Profile("prod")}.", "prod"));

        string text = error.ToString();
        Assert.Contains("WARNING: Run crmsync sync-field first.", text, StringComparison.Ordinal);
        Assert.Contains("VERBOSE: Disabled; crmsync start enables it again.", text, StringComparison.Ordinal);
        Assert.Contains("crmsync: error ProfileNotFound: No profile (crmsync stop).", text, StringComparison.Ordinal);
        Assert.Contains("recommended action: Run crmsync connect --profile prod.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[[", text, StringComparison.Ordinal);
    }
}
