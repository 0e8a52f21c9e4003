namespace CrmSync.Engine.Crm;

/// <summary>Who the client is signed in as, and where.</summary>
/// <param name="UserId">The CRM user id (Salesforce 18-character id; Dynamics systemuserid GUID as a string).</param>
/// <param name="OrganizationId">The org / environment id.</param>
/// <param name="UserName">The sign-in name, when known.</param>
/// <param name="InstanceUrl">The base URL data calls go to (Salesforce instance; Dynamics org URL).</param>
/// <param name="ApiVersion">The API version in use, e.g. "59.0" or "9.2".</param>
/// <param name="Sandbox">True for a Salesforce sandbox (Dynamics: from the URL or unknown=false).</param>
/// <param name="SessionValidFor">How long the CRM says the session lasts without activity, when it says.</param>
public sealed record CrmIdentity(
    string UserId,
    string OrganizationId,
    string? UserName,
    Uri InstanceUrl,
    string ApiVersion,
    bool Sandbox,
    TimeSpan? SessionValidFor);

/// <summary>
/// A signed-in connection to one CRM org. Thread-safe. Every data call made through the client uses it, logs in lazily
/// on first use, and logs in again once, transparently, when the CRM says the session expired.
/// </summary>
public interface ICrmSession
{
    CrmKind Kind { get; }

    /// <summary>Null until the first successful login.</summary>
    CrmIdentity? Identity { get; }

    /// <summary>Logs in for real (checks the credentials) and discovers the API version. Safe to call again.</summary>
    /// <exception cref="CrmSyncException">InvalidCredentials, CrmUnreachable, NotACrmEndpoint, InsecureTransport, ...</exception>
    Task<CrmIdentity> LoginAsync(CancellationToken cancellationToken);

    /// <summary>The allowance the CRM reported on its last response, or null if it has not said.</summary>
    CrmApiUsage? ApiUsage { get; }

    /// <summary>The share of the allowance kept in reserve (0..1); see <see cref="IsApiReserveReached"/>.</summary>
    double ApiReserveFraction { get; }

    /// <summary>True when the last reported usage leaves no more than the reserve: slow down or pause.</summary>
    bool IsApiReserveReached { get; }
}
