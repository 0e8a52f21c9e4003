using System.Net.Http.Headers;
using System.Text.Json;
using CrmSync.Emulator.Hosting;

namespace CrmSync.Cli.Tests;

/// <summary>One Salesforce emulator on 127.0.0.1 (a free port) for a test class, stopped after it.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    private EmulatorHost? host;

    public EmulatorHost Host => host ?? throw new InvalidOperationException("The emulator is not running.");

    /// <summary>The login URL crmsync connects to.</summary>
    public string LoginUrl => Host.BaseUrl.TrimEnd('/');

    public async Task InitializeAsync() => host = await EmulatorHost.StartAsync(new EmulatorOptions());

    public async Task DisposeAsync()
    {
        if (host is not null)
            await host.DisposeAsync();
    }

    /// <summary>
    /// The names and describe types of the fields of <paramref name="objectName"/> that a user sees, read straight from the
    /// emulator's REST describe with that user's session (the ground truth the plan is compared with).
    /// </summary>
    public async Task<IReadOnlyList<(string Name, string Type)>> DescribeFieldsAsync(string objectName, bool restrictedUser)
    {
        using var http = new HttpClient { BaseAddress = new Uri(LoginUrl + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Host.CreateSession(restrictedUser));
        using var response = await http.GetAsync($"services/data/v62.0/sobjects/{objectName}/describe");
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("fields").EnumerateArray()
            .Select(f => (f.GetProperty("name").GetString()!, f.GetProperty("type").GetString()!)).ToList();
    }
}
