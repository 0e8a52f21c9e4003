using System.Globalization;
using CrmSync.Engine;

namespace CrmSync.Cli.Tests;

/// <summary><c>crmsync notification</c> in process, against a real SMTP server on 127.0.0.1.</summary>
public sealed class NotificationVerbTests : IDisposable
{
    private readonly TempDataFolder home = new();
    private readonly StringWriter output = new(CultureInfo.InvariantCulture);
    private readonly StringWriter error = new(CultureInfo.InvariantCulture);
    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal);

    public void Dispose() => home.Dispose();

    private int Run(string? input, params string[] args) =>
        CliApplication.Run(args, new CliConsole(output, error, new StringReader(input ?? ""),
            name => environment.TryGetValue(name, out var value) ? value : home.Environment(name)), CancellationToken.None);

    [Fact]
    public void Without_options_it_shows_the_settings_and_with_options_it_saves_them()
    {
        home.CreateFreshProfile("default");
        Assert.Equal(0, Run(null, "notification", "--json"));
        Assert.Contains("\"configured\": false", output.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, Run(null, "notification", "--recipient", "admin@example.com", "--smtp-server", "smtp.example.com", "--tls-mode", "implicittls"));
        output.GetStringBuilder().Clear();
        Assert.Equal(0, Run(null, "notification", "--json"));
        var shown = output.ToString();
        Assert.Contains("\"configured\": true", shown, StringComparison.Ordinal);
        Assert.Contains("smtp.example.com", shown, StringComparison.Ordinal);
        Assert.Contains("\"port\": 465", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_SMTP_password_comes_from_the_environment_or_stdin_never_an_argument_and_test_prints_the_answer()
    {
        home.CreateFreshProfile("default");
        await using var smtp = await LocalSmtpServer.StartAsync(new LocalSmtpOptions { RequireAuthentication = ("mailer", "Env-Pass-1") });

        Assert.Equal(ExitCodes.Usage, Run(null, "notification", "--smtp-user", "mailer", "--smtp-server", "127.0.0.1"));
        Assert.Contains("CRMSYNC_SMTP_PASSWORD", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, Run(null, "notification", "--smtp-password", "x"));

        environment["CRMSYNC_SMTP_PASSWORD"] = "Env-Pass-1";
        Assert.Equal(0, Run(null, "notification", "--recipient", "admin@example.com", "--smtp-server", "127.0.0.1",
            "--port", smtp.Port.ToString(CultureInfo.InvariantCulture), "--tls-mode", "None", "--smtp-user", "mailer", "--test", "--json"));
        var mail = Assert.Single(await smtp.WaitForAsync(1));
        Assert.Equal("mailer", mail.AuthenticatedUser);
        Assert.Contains("\"testResponse\":", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Env-Pass-1", output.ToString() + error.ToString(), StringComparison.Ordinal);

        environment.Remove("CRMSYNC_SMTP_PASSWORD");
        Assert.Equal(ExitCodes.Failure, Run("wrong-one\n", "notification", "--smtp-user", "mailer", "--smtp-password-stdin", "--test"));
        Assert.Contains("NotificationSendFailed", error.ToString(), StringComparison.Ordinal);
        Assert.Single(smtp.Received);
    }

    [Fact]
    public void What_if_saves_nothing_and_plain_SMTP_to_a_remote_server_is_refused()
    {
        home.CreateFreshProfile("default");
        Assert.Equal(0, Run(null, "notification", "--recipient", "admin@example.com", "--what-if"));
        Assert.Contains("What if:", error.ToString(), StringComparison.Ordinal);
        output.GetStringBuilder().Clear();
        Assert.Equal(0, Run(null, "notification", "--json"));
        Assert.Contains("\"configured\": false", output.ToString(), StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Failure, Run(null, "notification", "--smtp-server", "smtp.example.com", "--tls-mode", "None"));
        Assert.Contains("InsecureTransport", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, Run(null, "notification", "--tls-mode", "Sometimes"));
        Assert.Equal(ExitCodes.Usage, Run(null, "notification", "--event", "Everything"));
    }
}
