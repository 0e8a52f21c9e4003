using System.Security.Cryptography.X509Certificates;
using CrmSync.Emulator.Admin;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Salesforce;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Seeding;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.ResponseCompression;

namespace CrmSync.Emulator.Hosting;

/// <summary>
/// A running emulator: a Kestrel server on 127.0.0.1 with the Salesforce surface, its data, its clock and its
/// fault controls. Start one per test (port 0 picks a free port) and dispose it at the end.
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmulatorHost(WebApplication app, SalesforceOrg org, DynamicsOrg? dynamics, EmulatorClock clock, EmulatorOptions options, string baseUrl, X509Certificate2? certificate)
    {
        _app = app;
        Dynamics = dynamics;
        Certificate = certificate;
        Org = org;
        Clock = clock;
        Options = options;
        BaseUrl = baseUrl;
        Data = new EmulatorData(org);
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:54321</c> (no trailing slash). Use it as loginUrl and instance URL.</summary>
    public string BaseUrl { get; }

    /// <summary>Every address it listens on (<see cref="BaseUrl"/> is one of them), e.g. an http and an https one.</summary>
    public IReadOnlyList<string> Addresses { get; private init; } = [];

    /// <summary>The TLS certificate it serves when listening on https (null for http). Pin it in clients (public part only).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The options it runs with.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>The accepted credentials (sync user, restricted user, connected app).</summary>
    public EmulatorCredentials Credentials => Org.Credentials;

    /// <summary>The emulated org (store, sessions, usage, bulk jobs).</summary>
    public SalesforceOrg Org { get; }

    /// <summary>The emulated Dataverse org (with <c>--crm dynamics</c> or <c>both</c>; null otherwise). Its org URL is <see cref="BaseUrl"/>.</summary>
    public DynamicsOrg? Dynamics { get; }

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
        X509Certificate2? certificate = null;
        if (options.UsesHttps)
        {
            certificate = LoopbackCertificate.LoadOrCreate(options.CertificatePath ?? LoopbackCertificate.DefaultPath(options.DatabasePath));
            if (options.CertificateOutPath is { } pemPath)
            {
                LoopbackCertificate.WritePem(certificate, pemPath);
            }
            builder.WebHost.UseKestrelHttpsConfiguration();
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 200 * 1024 * 1024;
            k.AddServerHeader = false;
            if (certificate is not null)
            {
                k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        // Salesforce gzips answers for clients that send Accept-Encoding: gzip, and accepts gzip request bodies
        // (Content-Encoding: gzip) from jsforce/restforce.
        builder.Services.AddResponseCompression(compression =>
        {
            compression.EnableForHttps = true;
            compression.Providers.Add<GzipCompressionProvider>();
            compression.MimeTypes = [.. ResponseCompressionDefaults.MimeTypes, "text/csv"];
        });
        builder.Services.Configure<GzipCompressionProviderOptions>(gzip => gzip.Level = System.IO.Compression.CompressionLevel.Fastest);
        builder.Services.AddRequestDecompression();
        var app = builder.Build();
        app.UseResponseCompression();
        app.UseRequestDecompression();
        // With --crm dynamics the Salesforce org still exists (in memory, unserved) so the host's API stays the same.
        var org = new SalesforceOrg(clock, options.ServesSalesforce ? options.DatabasePath : null, options.Credentials, options.SessionTimeout, options.DailyApiLimit, new FaultInjector());
        org.BulkJobs.PollsToComplete = options.BulkPollsToComplete;
        if (options.ServesSalesforce && options.Seed is { } plan && org.Store.Definitions.Where(d => d.Name != "User").All(d => org.Store.Count(d) == 0))
        {
            DataSeeder.Seed(org.Store, plan, options.SeedValue, org.AdminUser.Id);
        }
        DynamicsOrg? dynamics = null;
        if (options.ServesDynamics)
        {
            dynamics = new DynamicsOrg(clock, options.DynamicsDatabasePath, options.DynamicsCredentials, options.DynamicsSettings, new FaultInjector());
            if (options.DynamicsSeed is { } dvPlan && dynamics.Store.Entities.Where(e => e.LogicalName != "systemuser").All(e => dynamics.Store.Count(e.LogicalName) == 0))
            {
                DynamicsSeeder.Seed(dynamics, dvPlan, options.SeedValue);
            }
            DynamicsEndpoints.Map(app, dynamics);
            if (options.EnableAdmin)
            {
                DynamicsAdminEndpoints.Map(app, dynamics, clock);
            }
        }
        if (options.ServesSalesforce)
        {
            SalesforceEndpoints.Map(app, org);
            if (options.EnableAdmin)
            {
                AdminEndpoints.Map(app, org, clock, new EmulatorData(org));
            }
        }
        var host = default(EmulatorHost);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            certificate?.Dispose();
            org.Dispose();
            dynamics?.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        static string Loopback(string address) =>
            address.TrimEnd('/').Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(Loopback).ToList();
        // The base URL has the scheme of the first --urls entry (Kestrel may list bound addresses in another order).
        string firstScheme = options.ListenUrls.FirstOrDefault()?.Split("://")[0] ?? "http";
        string baseUrl = addresses.FirstOrDefault(a => a.StartsWith(firstScheme + "://", StringComparison.OrdinalIgnoreCase)) ?? addresses[0];
        host = new EmulatorHost(app, org, dynamics, clock, options, baseUrl, certificate) { Addresses = addresses };
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
        Dynamics?.Dispose();
        Certificate?.Dispose();
    }
}
