using System.Security.Cryptography;
using CrmSync.Emulator.Dynamics.Auth;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Schema;
using CrmSync.Emulator.Faults;

namespace CrmSync.Emulator.Dynamics;

/// <summary>A systemuser the org knows by name.</summary>
/// <param name="Id">systemuserid.</param>
/// <param name="Upn">domainname.</param>
/// <param name="FullName">Full name.</param>
public readonly record struct DvUser(Guid Id, string Upn, string FullName);

/// <summary>
/// One emulated Dataverse org: its store, users (sync user, second user, Application User), Entra ID token service,
/// service-protection limits, settings and fault rules. Shares the emulator's clock and fault machinery with Salesforce.
/// </summary>
public sealed class DynamicsOrg : IDisposable
{
    public DynamicsOrg(TimeProvider clock, string? databasePath, EntraCredentials credentials, DynamicsSettings settings, FaultInjector faults)
    {
        Clock = clock;
        Credentials = credentials;
        Settings = settings;
        Faults = faults;
        Store = new DataverseStore(databasePath);
        BusinessUnitId = DataverseCatalog.StableGuid("businessunit:" + Store.OrganizationId);
        Writer = new DataverseWriter(this);
        SyncUser = EnsureUser(credentials.SyncUserUpn, "CrmSync", "Sync User", null);
        SecondUser = EnsureUser(credentials.SecondUserUpn, "Alex", "Sales", null);
        ApplicationUser = EnsureUser(credentials.ApplicationUserName, "#", "CrmSync App", Guid.Parse(credentials.ClientId));
        Tokens = new EntraTokenService(this, SHA256.HashData(Store.OrganizationId.ToByteArray().Concat("crmsync-entra-signing"u8.ToArray()).ToArray()));
        Protection = new ServiceProtection(clock, settings);
    }

    public TimeProvider Clock { get; }
    public EntraCredentials Credentials { get; }
    public DynamicsSettings Settings { get; }
    public FaultInjector Faults { get; }
    public DataverseStore Store { get; }
    public DataverseWriter Writer { get; }
    public EntraTokenService Tokens { get; }
    public ServiceProtection Protection { get; }
    public Guid BusinessUnitId { get; }
    public DvUser SyncUser { get; }
    public DvUser SecondUser { get; }
    public DvUser ApplicationUser { get; }

    /// <summary>The Entra object id of a user (derived from the systemuserid).</summary>
    public static Guid ObjectIdOf(Guid systemUserId) => DataverseCatalog.StableGuid("oid:" + systemUserId);

    /// <summary>A user who can sign in with a password (sync or second user, or a seeded user).</summary>
    public DvUser? FindInteractiveUser(string upn)
    {
        foreach (var u in new[] { SyncUser, SecondUser })
        {
            if (string.Equals(u.Upn, upn, StringComparison.OrdinalIgnoreCase))
            {
                return u;
            }
        }
        return null;
    }

    public string DisplayNameOf(Guid userId) =>
        Store.Find("systemuser", userId)?.Get("fullname") as string ?? "";

    /// <summary>Resolves "sync", "second", "app" or a systemuserid.</summary>
    public Guid ResolveUser(string? who) => who?.ToLowerInvariant() switch
    {
        null or "" or "second" => SecondUser.Id,
        "sync" => SyncUser.Id,
        "app" or "application" => ApplicationUser.Id,
        _ => Guid.TryParse(who, out var g) && Store.Find("systemuser", g) is not null ? g : throw new ArgumentException($"Unknown user '{who}' (use sync, second, app or a systemuserid)."),
    };

    private DvUser EnsureUser(string upn, string first, string last, Guid? applicationId)
    {
        var id = DataverseCatalog.StableGuid("systemuser:" + upn.ToLowerInvariant());
        string full = first == "#" ? "# " + last : first + " " + last;
        if (Store.Find("systemuser", id) is null)
        {
            var now = Clock.GetUtcNow().UtcDateTime;
            var record = new DvRecord { Id = id, Version = Store.NextVersion() };
            record.Values["systemuserid"] = id;
            record.Values["firstname"] = first == "#" ? null : first;
            record.Values["lastname"] = last;
            record.Values["fullname"] = full;
            record.Values["domainname"] = upn;
            record.Values["internalemailaddress"] = upn;
            record.Values["applicationid"] = applicationId;
            record.Values["isdisabled"] = false;
            record.Values["accessmode"] = applicationId is null ? 0 : 4;
            record.Values["createdon"] = now;
            record.Values["modifiedon"] = now;
            record.Values["createdby"] = new EntityRef(id, "systemuser");
            record.Values["modifiedby"] = new EntityRef(id, "systemuser");
            record.Values["versionnumber"] = record.Version;
            lock (Store.Sync)
            {
                Store.Put("systemuser", record);
            }
        }
        return new DvUser(id, upn, full);
    }

    public void Dispose() => Store.Dispose();
}
