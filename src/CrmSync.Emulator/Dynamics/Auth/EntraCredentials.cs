namespace CrmSync.Emulator.Dynamics.Auth;

/// <summary>
/// The emulated Entra ID tenant and the Dataverse org's accounts (local test values, not secrets): the sync user and a
/// second CRM user (ROPC), and an app registration (client credentials) whose Application User exists in the org.
/// </summary>
public sealed record EntraCredentials
{
    public string TenantId { get; init; } = "6d1f1c2e-5a3b-4c8d-9e0f-1a2b3c4d5e6f";
    public string TenantDomain { get; init; } = "crmsync.onmicrosoft.test";
    public string SyncUserUpn { get; init; } = "sync@crmsync.onmicrosoft.test";
    public string SecondUserUpn { get; init; } = "alex@crmsync.onmicrosoft.test";
    /// <summary>Password of both users.</summary>
    public string Password { get; init; } = "CrmSync-Emulator-1";
    public string ClientId { get; init; } = "5e3c9a77-2f4b-4b61-9c3d-7a8b9c0d1e2f";
    public string ClientSecret { get; init; } = "crmsync-emulator-client-secret";
    /// <summary>The Application User's user name (the app's principal in the org).</summary>
    public string ApplicationUserName { get; init; } = "crmsync-app@crmsync.onmicrosoft.test";
}
