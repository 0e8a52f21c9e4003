using System.Globalization;
using CrmSync.Emulator.Dynamics;
using CrmSync.Emulator.Dynamics.Auth;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Seeding;

namespace CrmSync.Emulator.Hosting;

/// <summary>Which CRM surfaces an emulator serves.</summary>
public enum CrmKind
{
    /// <summary>Salesforce only (the default).</summary>
    Salesforce,
    /// <summary>Dynamics 365 (Dataverse Web API + Entra ID) only.</summary>
    Dynamics,
    /// <summary>Both, on their own paths of the same server.</summary>
    Both,
}

/// <summary>How to run an emulator.</summary>
public sealed record EmulatorOptions
{
    /// <summary>The CRM surfaces served (<c>--crm salesforce|dynamics|both</c>).</summary>
    public CrmKind Crm { get; init; } = CrmKind.Salesforce;
    /// <summary>Dataverse rows to generate at start (only when the Dataverse store is empty).</summary>
    public DynamicsSeedPlan? DynamicsSeed { get; init; }
    /// <summary>The Entra ID tenant, users and app registration of the Dataverse org.</summary>
    public EntraCredentials DynamicsCredentials { get; init; } = new();
    /// <summary>Dataverse org settings (token lifetime, change-tracking retention, service protection limits).</summary>
    public DynamicsSettings DynamicsSettings { get; init; } = new();

    /// <summary>Whether the Salesforce surface is served.</summary>
    public bool ServesSalesforce => Crm is CrmKind.Salesforce or CrmKind.Both;
    /// <summary>Whether the Dynamics surface is served.</summary>
    public bool ServesDynamics => Crm is CrmKind.Dynamics or CrmKind.Both;

    /// <summary>
    /// The Dataverse store's SQLite file: <see cref="DatabasePath"/> with <c>--crm dynamics</c>; next to it as
    /// <c>{name}.dataverse{ext}</c> with <c>--crm both</c>; null (memory) without <see cref="DatabasePath"/>.
    /// </summary>
    public string? DynamicsDatabasePath => DatabasePath is null ? null
        : Crm == CrmKind.Dynamics ? DatabasePath
        : Path.Combine(Path.GetDirectoryName(DatabasePath) ?? "", Path.GetFileNameWithoutExtension(DatabasePath) + ".dataverse" + Path.GetExtension(DatabasePath));

    /// <summary>
    /// Listen URL, e.g. <c>http://127.0.0.1:5080</c>; port 0 picks a free port. Default <c>http://127.0.0.1:0</c>. Several URLs
    /// are separated by ';' (e.g. <c>http://127.0.0.1:5080;https://127.0.0.1:5443</c>); the first one is the base URL.
    /// </summary>
    public string Url { get; init; } = "http://127.0.0.1:0";
    /// <summary>SQLite file for persistence; null keeps everything in memory.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>Records to generate at start (only when the database is empty).</summary>
    public SeedPlan? Seed { get; init; }
    /// <summary>Seed value for deterministic generation.</summary>
    public string SeedValue { get; init; } = "crmsync";
    /// <summary>Accepted credentials.</summary>
    public EmulatorCredentials Credentials { get; init; } = new();
    /// <summary>Session inactivity timeout (Salesforce's default: 2 hours).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromHours(2);
    /// <summary>Daily API request allowance.</summary>
    public int DailyApiLimit { get; init; } = 15000;
    /// <summary>Expose the /_emulator admin API.</summary>
    public bool EnableAdmin { get; init; }
    /// <summary>Clock; defaults to the system clock (wrapped in an <see cref="EmulatorClock"/> so it can be advanced).</summary>
    public TimeProvider? TimeProvider { get; init; }
    /// <summary>Bulk API 2.0: status polls before a job is complete.</summary>
    public int BulkPollsToComplete { get; init; } = 2;
    /// <summary>
    /// For an <c>https://</c> <see cref="Url"/>: where the self-signed loopback certificate is cached (PKCS#12). Null uses
    /// <see cref="LoopbackCertificate.DefaultPath"/> (next to the database, else the user's local app data folder).
    /// </summary>
    public string? CertificatePath { get; init; }
    /// <summary>For an <c>https://</c> <see cref="Url"/>: also write the public certificate as PEM here, for clients to trust.</summary>
    public string? CertificateOutPath { get; init; }

    /// <summary>Whether the listen URL is https (the emulator then serves TLS with its loopback certificate).</summary>
    public bool UsesHttps => ListenUrls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>The listen URLs (<see cref="Url"/> split on ';').</summary>
    public IReadOnlyList<string> ListenUrls => Url.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Parses command-line arguments (see the README for the list).</summary>
    public static EmulatorOptions Parse(IReadOnlyList<string> args)
    {
        var options = new EmulatorOptions();
        var credentials = new EmulatorCredentials();
        var dv = new EntraCredentials();
        var settings = new DynamicsSettings();
        string? seed = null, dvSeed = null;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--urls": options = options with { Url = Next() }; break;
                case "--db": options = options with { DatabasePath = Next() }; break;
                case "--seed": seed = Next(); break;
                case "--crm":
                    string crm = Next();
                    options = options with
                    {
                        Crm = crm.ToLowerInvariant() switch
                        {
                            "salesforce" or "sf" => CrmKind.Salesforce,
                            "dynamics" or "dynamics365" or "dataverse" => CrmKind.Dynamics,
                            "both" => CrmKind.Both,
                            _ => throw new ArgumentException($"--crm is salesforce, dynamics or both (not '{crm}')."),
                        },
                    };
                    break;
                case "--dv-seed": dvSeed = Next(); break;
                case "--dv-tenant": dv = dv with { TenantId = Next() }; break;
                case "--dv-user": dv = dv with { SyncUserUpn = Next() }; break;
                case "--dv-second-user": dv = dv with { SecondUserUpn = Next() }; break;
                case "--dv-password": dv = dv with { Password = Next() }; break;
                case "--dv-client-id": dv = dv with { ClientId = Next() }; break;
                case "--dv-client-secret": dv = dv with { ClientSecret = Next() }; break;
                case "--dv-token-minutes": settings.TokenLifetime = TimeSpan.FromMinutes(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--dv-change-tracking-days": settings.ExpireChangeTrackingInDays = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dv-request-limit": settings.RequestLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dv-time-limit-ms": settings.ExecutionTimeLimitMs = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dv-concurrency-limit": settings.ConcurrencyLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed-value": options = options with { SeedValue = Next() }; break;
                case "--sf-user": credentials = credentials with { Username = Next() }; break;
                case "--sf-password": credentials = credentials with { Password = Next() }; break;
                case "--sf-token": credentials = credentials with { SecurityToken = Next() }; break;
                case "--client-id": credentials = credentials with { ClientId = Next() }; break;
                case "--client-secret": credentials = credentials with { ClientSecret = Next() }; break;
                case "--session-timeout": options = options with { SessionTimeout = TimeSpan.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--daily-api-limit": options = options with { DailyApiLimit = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--bulk-polls": options = options with { BulkPollsToComplete = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--admin": options = options with { EnableAdmin = true }; break;
                case "--cert": options = options with { CertificatePath = Next() }; break;
                case "--cert-out": options = options with { CertificateOutPath = Next() }; break;
                default: throw new ArgumentException($"Unknown option {arg}.");
            }
        }
        if (!Guid.TryParse(dv.ClientId, out _) || !Guid.TryParse(dv.TenantId, out _))
        {
            throw new ArgumentException("--dv-client-id and --dv-tenant are GUIDs.");
        }
        if (seed is not null)
        {
            if (options.Crm == CrmKind.Dynamics)
            {
                dvSeed ??= seed;
            }
            else
            {
                options = options with { Seed = SeedPlan.Parse(seed) };
            }
        }
        return options with
        {
            Credentials = credentials,
            DynamicsCredentials = dv,
            DynamicsSettings = settings,
            DynamicsSeed = dvSeed is null ? null : DynamicsSeedPlan.Parse(dvSeed),
        };
    }
}
