using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Crm;

/// <summary>
/// Everything needed to sign in to a CRM. Contains no secret in any string property: secrets are
/// <see cref="SecretValue"/>s, which the client copies (so the caller may dispose its own after creating the client).
/// </summary>
public sealed class CrmConnectionSettings
{
    public required CrmKind Kind { get; init; }

    public CrmAuthMethod AuthMethod { get; init; } = CrmAuthMethod.Password;

    /// <summary>
    /// Salesforce: the login host (https://login.salesforce.com, https://test.salesforce.com, a My Domain or the emulator);
    /// null picks production or sandbox from <see cref="Sandbox"/>. Dynamics: the token authority (null = Entra ID).
    /// Plain http is accepted for loopback hosts only.
    /// </summary>
    public Uri? LoginUrl { get; init; }

    /// <summary>Dynamics: the organization URL (https://org.crm.dynamics.com). Salesforce: unused (the login returns the instance).</summary>
    public Uri? OrganizationUrl { get; init; }

    /// <summary>Salesforce: use the sandbox login host when <see cref="LoginUrl"/> is null.</summary>
    public bool Sandbox { get; init; }

    public string? Username { get; init; }

    public SecretValue? Password { get; init; }

    /// <summary>Salesforce: the security token appended to the password.</summary>
    public SecretValue? SecurityToken { get; init; }

    /// <summary>OAuth client id (Salesforce consumer key, Entra application id).</summary>
    public string? ClientId { get; init; }

    public SecretValue? ClientSecret { get; init; }

    /// <summary>Dynamics: the Entra tenant (id, name or "organizations").</summary>
    public string? TenantId { get; init; }

    /// <summary>A fixed API version such as "59.0"; null discovers the highest version both sides support.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>A description without secrets.</summary>
    public override string ToString() => $"{Kind} {AuthMethod} {Username ?? ClientId ?? "?"} @ {LoginUrl?.ToString() ?? (Sandbox ? "sandbox" : "production")}";
}
