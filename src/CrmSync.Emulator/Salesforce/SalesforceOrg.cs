using CrmSync.Emulator.Faults;
using CrmSync.Emulator.Salesforce.Auth;
using CrmSync.Emulator.Salesforce.Bulk;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Querying;

namespace CrmSync.Emulator.Salesforce;

/// <summary>Everything one emulated Salesforce org consists of: data, users, sessions, API usage, queries, bulk jobs, faults.</summary>
public sealed class SalesforceOrg : IDisposable
{
    /// <summary>Lowest API version served.</summary>
    public const int MinApiVersion = 20;
    /// <summary>Highest API version served.</summary>
    public const int MaxApiVersion = 62;

    /// <summary>Creates the org.</summary>
    public SalesforceOrg(TimeProvider clock, string? databasePath, EmulatorCredentials credentials, TimeSpan sessionTimeout, int dailyApiLimit, FaultInjector faults)
    {
        Clock = clock;
        Credentials = credentials;
        Store = new SalesforceStore(clock, databasePath);
        Faults = faults;
        SyncUser = EnsureUser(credentials.Username, "Sync", "User", restricted: false);
        RestrictedUser = EnsureUser(credentials.RestrictedUsername, "Restricted", "User", restricted: true);
        AdminUser = EnsureUser(credentials.AdminUsername, "Alex", "Admin", restricted: false);
        Sessions = new SessionRegistry(clock, Store.OrganizationId, sessionTimeout);
        Usage = new ApiUsageMeter(clock, dailyApiLimit);
        Queries = new QueryService(Store);
        BulkJobs = new BulkQueryJobs(Store, Queries);
    }

    /// <summary>The clock.</summary>
    public TimeProvider Clock { get; }
    /// <summary>Accepted credentials.</summary>
    public EmulatorCredentials Credentials { get; }
    /// <summary>Data.</summary>
    public SalesforceStore Store { get; }
    /// <summary>Sessions.</summary>
    public SessionRegistry Sessions { get; }
    /// <summary>Daily API usage.</summary>
    public ApiUsageMeter Usage { get; }
    /// <summary>SOQL.</summary>
    public QueryService Queries { get; }
    /// <summary>Bulk API 2.0 query jobs.</summary>
    public BulkQueryJobs BulkJobs { get; }
    /// <summary>Fault rules.</summary>
    public FaultInjector Faults { get; }
    /// <summary>The sync user (full field access).</summary>
    public EmulatorUser SyncUser { get; }
    /// <summary>The restricted user (field-level security hides some fields).</summary>
    public EmulatorUser RestrictedUser { get; }
    /// <summary>The CRM admin user behind CRM-side changes made through the data and admin APIs.</summary>
    public EmulatorUser AdminUser { get; }

    /// <summary>Finds a user by login name (case-insensitive).</summary>
    public EmulatorUser? FindUser(string username) =>
        new[] { SyncUser, RestrictedUser, AdminUser }.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks a password (with the security token appended).</summary>
    public EmulatorUser? Authenticate(string? username, string? passwordWithToken)
    {
        if (username is null || passwordWithToken is null || FindUser(username) is not { } user)
        {
            return null;
        }
        var expected = Credentials.Password + Credentials.SecurityToken;
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(passwordWithToken)) ? user : null;
    }

    /// <summary>Whether a version string like <c>59.0</c> is served.</summary>
    public static bool IsSupportedVersion(string version) =>
        version.EndsWith(".0", StringComparison.Ordinal) && int.TryParse(version[..^2], out int major) && major is >= MinApiVersion and <= MaxApiVersion;

    private EmulatorUser EnsureUser(string username, string firstName, string lastName, bool restricted)
    {
        var userType = Store.Definition("User")!;
        var usernameField = userType.Field("Username")!;
        var existing = Store.Snapshot(userType).FirstOrDefault(r => string.Equals(r.Get(usernameField) as string, username, StringComparison.OrdinalIgnoreCase));
        string id;
        if (existing is not null)
        {
            id = existing.Id;
        }
        else
        {
            var outcome = Store.Create(userType, new Dictionary<string, object?>
            {
                ["Username"] = username,
                ["FirstName"] = firstName,
                ["LastName"] = lastName,
                ["Email"] = username,
                ["Alias"] = (firstName[..1] + lastName).ToLowerInvariant()[..Math.Min(8, lastName.Length + 1)],
                ["IsActive"] = true,
                ["TimeZoneSidKey"] = "America/Los_Angeles",
                ["UserType"] = "Standard",
                ["CompanyName"] = "CrmSync Emulator",
            }, new WriteContext(SalesforceId.Create("005", 0), System: true));
            id = outcome.Id ?? throw new InvalidOperationException("Could not create user " + username);
        }
        return new EmulatorUser(id, username, firstName + " " + lastName, restricted);
    }

    /// <inheritdoc />
    public void Dispose() => Store.Dispose();
}
