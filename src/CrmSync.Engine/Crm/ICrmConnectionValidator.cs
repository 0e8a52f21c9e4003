namespace CrmSync.Engine.Crm;

/// <summary>The outcome of one connection check.</summary>
public enum ConnectionCheckResult
{
    /// <summary>The check passed.</summary>
    Passed,

    /// <summary>The sync works, but not as expected (for example every record syncs because the filter field is missing).</summary>
    Warning,

    /// <summary>The sync cannot work until this is fixed.</summary>
    Failed,

    /// <summary>Not checked: an earlier check failed, or the check does not apply.</summary>
    Skipped,
}

/// <summary>
/// One row of Test-CrmSyncConnection (Marketo's "Validate Sync"): which check, on what, the result, what was found and what to do.
/// </summary>
public sealed record CrmConnectionCheck
{
    /// <summary>The profile checked.</summary>
    public string Profile { get; init; } = "";

    /// <summary>The profile's CRM.</summary>
    public CrmKind Crm { get; init; }

    /// <summary>The check: URL reachable, Login, Read access, Change tracking, Sync filter field, CrmSync key, API limits.</summary>
    public required string Check { get; init; }

    /// <summary>What was checked: a host, a user, an object or entity (lead, Contact); empty for the whole org.</summary>
    public string Target { get; init; } = "";

    /// <summary>Passed, Warning, Failed or Skipped.</summary>
    public required ConnectionCheckResult Result { get; init; }

    /// <summary>What was found.</summary>
    public required string Detail { get; init; }

    /// <summary>What to do about it; empty when nothing needs doing.</summary>
    public string WhatToDo { get; init; } = "";

    /// <summary>One row of the validators' checks; a passed row has nothing to do, whatever <paramref name="whatToDo"/> says.</summary>
    internal static CrmConnectionCheck Row(string check, string target, ConnectionCheckResult result, string detail, string whatToDo = "") => new()
    {
        Check = check, Target = target, Result = result, Detail = detail, WhatToDo = result == ConnectionCheckResult.Passed ? "" : whatToDo,
    };

    /// <summary>The check names, in the order the checks run.</summary>
    public static class Names
    {
        public const string UrlReachable = "URL reachable";
        public const string Login = "Login";
        public const string ReadAccess = "Read access";
        public const string ChangeTracking = "Change tracking";
        public const string SyncFilterField = "Sync filter field";
        public const string CrmSyncKey = "CrmSync key";
        public const string ApiLimits = "API limits";
    }
}

/// <summary>What Test-CrmSyncConnection was asked to check beyond the defaults.</summary>
/// <param name="SyncFilterField">The sync filter field to look for (Dynamics: a Two Options field); null for the CRM's default.</param>
/// <param name="SyncFilterFieldNamed">True when the user named the filter field (the profile or -SyncFilterField): its absence is then a warning.</param>
public sealed record ConnectionCheckOptions(string? SyncFilterField = null, bool SyncFilterFieldNamed = false)
{
    /// <summary>The objects the profile syncs now (its field catalog, fields not orphaned): custom objects among them are
    /// checked too, also when the CRM no longer offers them to the sync.</summary>
    public IReadOnlyList<string> SyncedObjects { get; init; } = [];
}

/// <summary>
/// The CRM-specific checks of a connection, behind the provider seam (<see cref="ICrmProvider.ConnectionValidator"/>): the
/// command handler runs them in order and knows nothing of either CRM.
/// </summary>
public interface ICrmConnectionValidator
{
    /// <summary>
    /// "URL reachable": one request without credentials to where the profile signs in or reads data, telling a host that
    /// does not answer, a host that is not this CRM, and insecure transport apart. Never sends a secret.
    /// </summary>
    Task<CrmConnectionCheck> CheckEndpointAsync(CrmEndpoints endpoints, CrmClientOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// A new connection's read-access check (Connect-CrmSync, after the login, before anything is stored): throws
    /// <see cref="ErrorIds.CrmPermissionDenied"/> naming every synced entity or object the signed-in user cannot read.
    /// </summary>
    Task EnsureReadAccessAsync(ICrmClient client, CancellationToken cancellationToken);

    /// <summary>The checks after a successful login, in order, one row per check and object.</summary>
    IAsyncEnumerable<CrmConnectionCheck> CheckAsync(ICrmClient client, ConnectionCheckOptions options, CancellationToken cancellationToken);
}
