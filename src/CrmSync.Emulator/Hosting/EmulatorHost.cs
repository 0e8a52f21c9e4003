using CrmSync.Emulator.Admin;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Salesforce;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Seeding;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CrmSync.Emulator.Hosting;

/// <summary>
/// A running emulator: a Kestrel server on 127.0.0.1 with the Salesforce surface, its data, its clock and its
/// fault controls. Start one per test (port 0 picks a free port) and dispose it at the end.
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmulatorHost(WebApplication app, SalesforceOrg org, EmulatorClock clock, EmulatorOptions options, string baseUrl)
    {
        _app = app;
        Org = org;
        Clock = clock;
        Options = options;
        BaseUrl = baseUrl;
        Data = new EmulatorData(org);
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:54321</c> (no trailing slash). Use it as loginUrl and instance URL.</summary>
    public string BaseUrl { get; }

    /// <summary>The options it runs with.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>The accepted credentials (sync user, restricted user, connected app).</summary>
    public EmulatorCredentials Credentials => Org.Credentials;

    /// <summary>The emulated org (store, sessions, usage, bulk jobs).</summary>
    public SalesforceOrg Org { get; }

    /// <summary>Test data access: insert/update/delete as a CRM user, convert, merge, schema changes, seeding.</summary>
    public EmulatorData Data { get; }

    /// <summary>The clock (advance it to expire sessions, age the delete log, move formula values).</summary>
    public EmulatorClock Clock { get; }

    /// <summary>Fault rules (throttling, 5xx, latency, dropped connections, per-record lock errors).</summary>
    public FaultInjector Faults => Org.Faults;

    /// <summary>The sync user's id.</summary>
    public string SyncUserId => Org.SyncUser.Id;

    /// <summary>The organization id.</summary>
    public string OrganizationId => Org.Store.OrganizationId;

    /// <summary>Ends every session now (the next API call gets 401 INVALID_SESSION_ID).</summary>
    public int ExpireAllSessions() => Org.Sessions.ExpireAll();

    /// <summary>Sets the daily API allowance and, optionally, the requests already made today.</summary>
    public void SetDailyApiLimit(int limit, int? used = null)
    {
        Org.Usage.DailyLimit = limit;
        if (used is { } u)
        {
            Org.Usage.SetUsed(u);
        }
    }

    /// <summary>Opens a session for the sync user without a login call (returns the bearer token).</summary>
    public string CreateSession(bool restrictedUser = false) => Org.Sessions.Open(restrictedUser ? Org.RestrictedUser : Org.SyncUser).Token;

    /// <summary>Starts an emulator.</summary>
    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = options.TimeProvider as EmulatorClock ?? new EmulatorClock(options.TimeProvider ?? TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 200 * 1024 * 1024;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var org = new SalesforceOrg(clock, options.DatabasePath, options.Credentials, options.SessionTimeout, options.DailyApiLimit, new FaultInjector());
        org.BulkJobs.PollsToComplete = options.BulkPollsToComplete;
        if (options.Seed is { } plan && org.Store.Definitions.Where(d => d.Name != "User").All(d => org.Store.Count(d) == 0))
        {
            DataSeeder.Seed(org.Store, plan, options.SeedValue, org.AdminUser.Id);
        }
        SalesforceEndpoints.Map(app, org);
        var host = default(EmulatorHost);
        if (options.EnableAdmin)
        {
            AdminEndpoints.Map(app, org, clock, new EmulatorData(org));
        }
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            org.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host = new EmulatorHost(app, org, clock, options, address.TrimEnd('/').Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal));
        return host;
    }

    /// <summary>Blocks until the host shuts down (Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Org.Dispose();
    }
}
