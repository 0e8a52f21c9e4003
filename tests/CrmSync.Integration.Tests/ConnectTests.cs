using System.Text;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Integration.Tests.Infrastructure;

namespace CrmSync.Integration.Tests;

/// <summary>Connect-CrmSync / Disconnect-CrmSync handlers end to end: a real login to the emulator, encrypted secrets on disk, reopening.</summary>
public sealed class ConnectTests
{
    // Distinctive test values, so a leak anywhere on disk or in the host's output is found by a byte search.
    private const string Password = "Pw-9f3kQ-integration";
    private const string Token = "Tk7xZ2vR8integration";

    private static readonly EmulatorCredentials Credentials = new() { Password = Password, SecurityToken = Token };

    private static ConnectionRequest Request(TestEmulator emulator, ConnectionScope scope = ConnectionScope.CurrentUser, string token = Token) => new()
    {
        Crm = CrmKind.Salesforce,
        Profile = "default",
        Scope = scope,
        LoginUrl = new Uri(emulator.Host.BaseUrl),
        Username = emulator.Host.Credentials.Username,
        Password = SecretValue.Copy(Password),
        SecurityToken = SecretValue.Copy(token),
    };

    private static ProfileConnector Connector(TempDirectory home) => new(new CrmSyncPaths(home.Path), registry: new CrmConnectionRegistry());

    private static void AssertNoSecretIn(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var secret in new[] { Password, Token, Password + Token })
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds a secret in clear (UTF-8)");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"{file} holds a secret in clear (UTF-16)");
            }
        }
    }

    [Fact]
    public async Task Connect_logs_in_saves_encrypted_secrets_and_a_fresh_connector_reopens_the_profile()
    {
        await using var emulator = await TestEmulator.StartAsync(credentials: Credentials);
        using var home = new TempDirectory("crmsync-it-connect");
        var host = new FakeCommandHost();
        using var request = Request(emulator);
        var command = new ConnectCommand(Connector(home), request);

        await command.ExecuteAsync(host, CancellationToken.None);

        var info = Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
        Assert.Same(command.Result, info);
        Assert.Equal(emulator.Host.OrganizationId, info.OrganizationId);
        Assert.Equal(emulator.Host.SyncUserId, info.UserId);
        Assert.Equal(emulator.Host.Credentials.Username, info.UserName);
        Assert.Equal(new Uri(emulator.Host.BaseUrl), new Uri(info.InstanceUrl));
        Assert.Equal(CrmAuthMethod.Password, info.AuthMethod);
        Assert.Equal(ConnectionScope.CurrentUser, info.Scope);
        Assert.True(info.ProfileCreated);
        Assert.True(File.Exists(info.DatabasePath));
        Assert.NotNull(info.SecretsStoredAt);
        Assert.True(File.Exists(info.SecretsStoredAt));
        Assert.StartsWith(home.Path, info.DatabasePath, StringComparison.Ordinal);
        AssertNoSecretIn(home.Path);
        Assert.DoesNotContain(Password, host.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, host.AllText, StringComparison.Ordinal);
        Assert.NotEmpty(host.Verbose);

        // Another process (a scheduled task): a new connector over the same folder, nothing in memory.
        var reopened = Connector(home);
        using var client = await reopened.OpenClientAsync("default", null, new CrmClientOptions(), CancellationToken.None);
        var lead = await client.Schema.DescribeAsync("Lead", CancellationToken.None);

        Assert.Equal("Lead", lead.Name);
        Assert.Equal(emulator.Host.OrganizationId, client.Session.Identity!.OrganizationId);
        Assert.Equal(emulator.Host.SyncUserId, client.Session.Identity.UserId);
        Assert.Equal(info.ApiVersion, client.Session.Identity.ApiVersion);
    }

    [Fact]
    public async Task A_wrong_security_token_fails_clearly_and_leaves_no_file()
    {
        await using var emulator = await TestEmulator.StartAsync(credentials: Credentials);
        using var home = new TempDirectory("crmsync-it-connect");
        var host = new FakeCommandHost();
        using var request = Request(emulator, token: "WRONGtoken123");

        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => new ConnectCommand(Connector(home), request).ExecuteAsync(host, CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.Contains("security token", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("WRONGtoken123", ex.ToString(), StringComparison.Ordinal);
        Assert.Empty(host.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(home.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Disconnect_forgets_the_saved_secrets_so_reopening_needs_a_new_connect()
    {
        await using var emulator = await TestEmulator.StartAsync(credentials: Credentials);
        using var home = new TempDirectory("crmsync-it-connect");
        var connector = Connector(home);
        using (var request = Request(emulator))
            await new ConnectCommand(connector, request).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);

        var host = new FakeCommandHost();
        var disconnect = new DisconnectCommand(connector, "default");
        await disconnect.ExecuteAsync(host, CancellationToken.None);

        Assert.Equal([("CrmSync profile 'default'", DisconnectCommand.Action)], host.ShouldProcessCalls);
        Assert.True(disconnect.Result!.SavedSecretsForgotten);
        Assert.True(File.Exists(disconnect.Result.DatabasePath));
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => Connector(home).OpenClientAsync("default", null, new CrmClientOptions(), CancellationToken.None));
        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
    }

    [Fact]
    public async Task Process_scope_keeps_the_credentials_in_memory_only()
    {
        await using var emulator = await TestEmulator.StartAsync(credentials: Credentials);
        using var home = new TempDirectory("crmsync-it-connect");
        var connector = Connector(home);
        var host = new FakeCommandHost();
        using (var request = Request(emulator, ConnectionScope.Process))
            await new ConnectCommand(connector, request).ExecuteAsync(host, CancellationToken.None);

        var info = Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
        Assert.Null(info.SecretsStoredAt);
        Assert.False(Directory.Exists(connector.Paths.SecretsDirectory) && Directory.EnumerateFiles(connector.Paths.SecretsDirectory).Any());
        AssertNoSecretIn(home.Path);

        using (var client = await connector.OpenClientAsync("default", null, new CrmClientOptions(), CancellationToken.None))
            Assert.Equal("Contact", (await client.Schema.DescribeAsync("Contact", CancellationToken.None)).Name);
        var ex = await Assert.ThrowsAsync<CrmSyncException>(() => Connector(home).OpenClientAsync("default", null, new CrmClientOptions(), CancellationToken.None));
        Assert.Equal(ErrorIds.CredentialsNotSaved, ex.ErrorId);
    }

    [Fact]
    public async Task Reopening_a_profile_records_the_api_usage_the_emulator_reports()
    {
        await using var emulator = await TestEmulator.StartAsync(credentials: Credentials);
        using var home = new TempDirectory("crmsync-it-connect");
        using (var request = Request(emulator))
            await new ConnectCommand(Connector(home), request).ExecuteAsync(new FakeCommandHost(), CancellationToken.None);
        var usage = new EventLog();

        using (var client = await Connector(home).OpenClientAsync("default", null, new CrmClientOptions { ApiUsage = usage }, CancellationToken.None))
            await client.Changes.EstimateCountAsync("Lead", CancellationToken.None);

        Assert.Equal(new CrmApiUsage(emulator.Host.Org.Usage.Used, emulator.Host.Options.DailyApiLimit), usage.Usage[^1]);
    }

    [Theory]
    [InlineData(CrmAuthMethod.OAuthPassword)]
    [InlineData(CrmAuthMethod.ClientCredentials)]
    public async Task An_OAuth_profile_keeps_its_consumer_secret_encrypted_and_reopens_with_it(CrmAuthMethod method)
    {
        const string consumerSecret = "Cs-5ecret-integration-77";
        await using var emulator = await TestEmulator.StartAsync(credentials: Credentials with { ClientSecret = consumerSecret });
        using var home = new TempDirectory("crmsync-it-connect");
        var host = new FakeCommandHost();
        using (var request = new ConnectionRequest
        {
            Crm = CrmKind.Salesforce,
            LoginUrl = new Uri(emulator.Host.BaseUrl),
            Username = method == CrmAuthMethod.ClientCredentials ? null : emulator.Host.Credentials.Username,
            Password = method == CrmAuthMethod.ClientCredentials ? null : SecretValue.Copy(Password),
            SecurityToken = method == CrmAuthMethod.ClientCredentials ? null : SecretValue.Copy(Token),
            ClientId = emulator.Host.Credentials.ClientId,
            ClientSecret = SecretValue.Copy(consumerSecret),
        })
        {
            Assert.Equal(method, request.EffectiveAuthMethod);
            await new ConnectCommand(Connector(home), request).ExecuteAsync(host, CancellationToken.None);
        }

        var info = Assert.IsType<CrmConnectionInfo>(Assert.Single(host.Output));
        Assert.Equal(method, info.AuthMethod);
        Assert.Equal(emulator.Host.SyncUserId, info.UserId);
        foreach (var file in Directory.EnumerateFiles(home.Path, "*", SearchOption.AllDirectories))
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(Encoding.UTF8.GetBytes(consumerSecret)) < 0, file);
        AssertNoSecretIn(home.Path);

        using var client = await Connector(home).OpenClientAsync("default", null, new CrmClientOptions(), CancellationToken.None);
        Assert.Equal(emulator.Host.SyncUserId, client.Session.Identity!.UserId);
        Assert.Equal("Account", (await client.Schema.DescribeAsync("Account", CancellationToken.None)).Name);
    }
}
