using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Connections;

/// <summary>
/// The output of Connect-CrmSync: who is signed in where, and what was kept. It holds no secret (no password, token,
/// client secret or session id), so it may be printed, logged or serialised.
/// </summary>
public sealed record CrmConnectionInfo
{
    /// <summary>The profile name.</summary>
    public required string Profile { get; init; }
    /// <summary>Salesforce or Dynamics.</summary>
    public required CrmKind Crm { get; init; }
    /// <summary>The sync user's sign-in name (for client credentials: the integration user the CRM reported, or the client id).</summary>
    public required string UserName { get; init; }
    /// <summary>The CRM user id.</summary>
    public required string UserId { get; init; }
    /// <summary>The CRM org / environment id the profile belongs to.</summary>
    public required string OrganizationId { get; init; }
    /// <summary>The login host used.</summary>
    public required string LoginUrl { get; init; }
    /// <summary>The base URL data calls go to.</summary>
    public required string InstanceUrl { get; init; }
    /// <summary>The CRM API version in use.</summary>
    public required string ApiVersion { get; init; }
    /// <summary>True for a CRM sandbox.</summary>
    public bool Sandbox { get; init; }
    /// <summary>How the sync user signs in.</summary>
    public CrmAuthMethod AuthMethod { get; init; }
    /// <summary>What was kept: saved for the current user, or this process only.</summary>
    public ConnectionScope Scope { get; init; }
    /// <summary>The profile's database file.</summary>
    public required string DatabasePath { get; init; }
    /// <summary>Where the encrypted secrets were saved (CurrentUser scope), or null when none were written (Process scope).</summary>
    public string? SecretsStoredAt { get; init; }
    /// <summary>True when this connect created the profile (false: an existing profile of the same org).</summary>
    public bool ProfileCreated { get; init; }
    /// <summary>When the login succeeded.</summary>
    public DateTimeOffset ConnectedAt { get; init; }
}

/// <summary>The output of Disconnect-CrmSync. The profile's database and all local data are kept.</summary>
public sealed record CrmDisconnectionInfo
{
    /// <summary>The profile name.</summary>
    public required string Profile { get; init; }
    /// <summary>The profile's database file, which is kept.</summary>
    public required string DatabasePath { get; init; }
    /// <summary>True when saved (encrypted) secrets were deleted.</summary>
    public bool SavedSecretsForgotten { get; init; }
    /// <summary>True when this process's in-memory connection (Process scope) was forgotten.</summary>
    public bool ProcessConnectionForgotten { get; init; }
    /// <summary>What happened, for people.</summary>
    public required string Message { get; init; }
}
