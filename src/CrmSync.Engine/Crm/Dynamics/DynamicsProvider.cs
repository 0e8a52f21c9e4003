namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// Dynamics 365 (Dataverse) behind the <see cref="ICrmProvider"/> seam, as far as the Dataverse client goes: it builds the
/// client, knows the connection rules and checks a connection (<see cref="DataverseConnectionValidator"/>), so a Dynamics
/// profile can be connected and tested; <see cref="SyncAvailable"/> is false (the field selection, pull and push for
/// Dynamics are a later issue), so the field sync and the sync refuse it.
/// </summary>
internal sealed class DynamicsProvider : ICrmProvider
{
    /// <summary>The API usage source recorded for Dynamics 365 responses.</summary>
    public const string UsageSourceName = "Dynamics 365 Web API";

    public CrmKind Kind => CrmKind.Dynamics;

    /// <summary>Not yet: the Dynamics person rules come with the Dynamics sync.</summary>
    public CrmDuplicateFields? DuplicateFields => null;
    public bool ConnectAvailable => true;
    public bool SyncAvailable => false;
    public ICrmConnectionValidator ConnectionValidator { get; } = new DataverseConnectionValidator();
    public string UsageSource => UsageSourceName;

    public ICrmClient CreateClient(CrmConnectionSettings settings, CrmClientOptions options) => new DataverseClient(settings, options);

    /// <summary>The organization URL (required) is what the profile keeps; -LoginUrl, when given, is the Entra authority.</summary>
    public CrmEndpoints ResolveEndpoints(Uri? loginUrl, Uri? organizationUrl, bool sandbox)
    {
        var url = organizationUrl ?? throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            "Connecting to Dynamics 365 needs the organization URL.", "Give -Url https://<org>.crm.dynamics.com.");
        return new CrmEndpoints(url, loginUrl, url, url.AbsoluteUri, loginUrl?.AbsoluteUri);
    }

    public CrmEndpoints SavedEndpoints(string profileUrl, string? authorityUrl)
    {
        var organization = new Uri(profileUrl);
        return new CrmEndpoints(organization, authorityUrl is null ? null : new Uri(authorityUrl), organization, profileUrl, authorityUrl);
    }

    /// <summary>Exactly, or as GUIDs in any case or format.</summary>
    public bool SameOrganizationId(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal) || (Guid.TryParse(a, out var ga) && Guid.TryParse(b, out var gb) && ga == gb);
}
