using System.Net;
using System.Text.Json;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm.Salesforce;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>A token from the Entra ID v2 token endpoint; <see cref="ExpiresIn"/> as the endpoint said.</summary>
internal sealed record EntraToken(string AccessToken, TimeSpan ExpiresIn);

/// <summary>
/// The Entra ID (Azure AD) side of a Dataverse sign-in: the token endpoint, the form bodies of the password (ROPC) and
/// client-credentials grants, and the mapping of AADSTS error codes to errors a user can act on.
/// </summary>
internal static class DataverseLogin
{
    /// <summary>The public Entra authority.</summary>
    public static readonly Uri DefaultAuthority = new("https://login.microsoftonline.com");

    /// <summary>
    /// The client id used for a password sign-in when none is given: Microsoft's sample application id for Dataverse
    /// ("51f81489-12ee-4a9e-aaae-a2591f45987d", documented for development and testing). Production tenants should register
    /// their own app (Marketo's form asks for one) and pass -ClientId.
    /// </summary>
    public const string DefaultPublicClientId = "51f81489-12ee-4a9e-aaae-a2591f45987d";

    /// <summary>The Web API version this client speaks.</summary>
    public const string ApiVersion = "9.2";

    /// <summary>The organization URL reduced to scheme and authority, checked for transport security.</summary>
    public static Uri ResolveOrganizationUrl(CrmConnectionSettings settings)
    {
        var url = settings.OrganizationUrl ?? throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            "Connecting to Dynamics 365 needs the organization URL.", $"Give {ShellParameter.For(ActionParameter.Url)} https://<org>.crm.dynamics.com.");
        if (!url.IsAbsoluteUri)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The organization URL '{url}' is not an absolute URL.", "Give a URL such as https://contoso.crm.dynamics.com.", url.ToString());
        SalesforceLogin.CheckTransport(url, "organization URL");
        return new Uri(url.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>The token endpoint <c>{authority}/{tenant}/oauth2/v2.0/token</c>, checked for transport security.</summary>
    public static Uri ResolveTokenEndpoint(CrmConnectionSettings settings)
    {
        var authority = settings.LoginUrl ?? DefaultAuthority;
        if (!authority.IsAbsoluteUri)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The sign-in authority '{authority}' is not an absolute URL.", "Give a URL such as https://login.microsoftonline.com, or none.", authority.ToString());
        SalesforceLogin.CheckTransport(authority, "sign-in authority");
        var tenant = string.IsNullOrWhiteSpace(settings.TenantId) ? "organizations" : settings.TenantId.Trim();
        if (tenant.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The tenant '{tenant}' is not a tenant id or domain name.", "Give the Entra tenant id (a GUID) or its domain, e.g. contoso.onmicrosoft.com.", tenant);
        var baseText = authority.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri($"{baseText}/{tenant}/oauth2/v2.0/token");
    }

    /// <summary>The scope for a Dataverse org: <c>https://org.crm.dynamics.com/.default</c>.</summary>
    public static string ScopeFor(Uri organization) => organization.GetLeftPart(UriPartial.Authority) + "/.default";

    // ---- request bodies (built from the secrets' characters, never from strings) ----

    public static byte[] BuildPasswordBody(string clientId, SecretValue? clientSecret, string username, SecretValue password, string scope)
    {
        using var b = new SecretBodyBuilder();
        b.Append("grant_type=password&client_id=").AppendFormEncoded(clientId);
        if (clientSecret is not null) b.Append("&client_secret=").AppendFormEncoded(clientSecret.Span);
        b.Append("&scope=").AppendFormEncoded(scope)
            .Append("&username=").AppendFormEncoded(username)
            .Append("&password=").AppendFormEncoded(password.Span);
        return b.ToUtf8();
    }

    public static byte[] BuildClientCredentialsBody(string clientId, SecretValue clientSecret, string scope)
    {
        using var b = new SecretBodyBuilder();
        b.Append("grant_type=client_credentials&client_id=").AppendFormEncoded(clientId)
            .Append("&client_secret=").AppendFormEncoded(clientSecret.Span)
            .Append("&scope=").AppendFormEncoded(scope);
        return b.ToUtf8();
    }

    // ---- responses ----

    /// <summary>Interprets a token endpoint response (any status); throws the mapped error for every failure.
    /// <paramref name="username"/> is the user name sent (password grant), so that an unknown user typed as DOMAIN\user is
    /// told to use the user principal name.</summary>
    public static EntraToken ParseTokenResponse(HttpStatusCode status, string? contentType, string body, Uri tokenEndpoint, Uri organization,
        string? username = null)
    {
        JsonDocument doc;
        try
        {
            if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{') throw NotATokenEndpoint(tokenEndpoint, status, contentType);
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw NotATokenEndpoint(tokenEndpoint, status, contentType);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw NotATokenEndpoint(tokenEndpoint, status, contentType);
            if (DataverseJson.GetString(root, "error") is { } error)
            {
                var description = DataverseJson.GetString(root, "error_description") ?? error;
                var codes = new List<long>();
                if (root.TryGetProperty("error_codes", out var list) && list.ValueKind == JsonValueKind.Array)
                    foreach (var c in list.EnumerateArray())
                        if (c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var n)) codes.Add(n);
                throw TokenError(error, FirstLine(description), codes, tokenEndpoint, organization, username);
            }
            var token = DataverseJson.GetString(root, "access_token");
            if (status != HttpStatusCode.OK || string.IsNullOrEmpty(token)) throw NotATokenEndpoint(tokenEndpoint, status, contentType);
            var seconds = root.TryGetProperty("expires_in", out var e) ? e.ValueKind switch
            {
                JsonValueKind.Number when e.TryGetInt64(out var s) => s,
                JsonValueKind.String when long.TryParse(e.GetString(), out var s) => s,
                _ => 3600,
            } : 3600;
            return new EntraToken(token, TimeSpan.FromSeconds(Math.Max(60, seconds)));
        }
    }

    /// <summary>The first line of an AADSTS description (the rest is "Trace ID: ... Correlation ID: ... Timestamp: ...").</summary>
    private static string FirstLine(string description)
    {
        var cut = description.IndexOfAny(['\r', '\n']);
        return (cut < 0 ? description : description[..cut]).Trim();
    }

    private static bool Has(IReadOnlyList<long> codes, string description, params long[] wanted) =>
        wanted.Any(w => codes.Contains(w) || description.Contains("AADSTS" + w + ":", StringComparison.Ordinal));

    /// <summary>True for a user name typed as <c>DOMAIN\user</c> (a down-level logon name) rather than a user principal name.</summary>
    public static bool IsDownLevelLogonName(string? username) =>
        username is { Length: > 0 } name && name.IndexOf('\\', StringComparison.Ordinal) > 0 && !name.Contains('@', StringComparison.Ordinal);

    public static CrmSyncException TokenError(string error, string description, IReadOnlyList<long> codes, Uri tokenEndpoint, Uri organization,
        string? username = null)
    {
        var host = tokenEndpoint.Host;
        if (Has(codes, description, 50076, 50079, 50072, 50074, 50158))
            return new CrmSyncException(ErrorIds.CrmMfaRequired, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID requires multi-factor authentication for this user ({description}). A user name and password sign-in (ROPC) cannot answer an MFA challenge.",
                $"Exclude the sync user from MFA (Conditional Access), or connect server-to-server with {ShellParameter.For(ActionParameter.ClientCredentials)} {ShellParameter.For(ActionParameter.TenantId)} {ShellParameter.For(ActionParameter.ClientId)} {ShellParameter.For(ActionParameter.ClientSecret)} and an Application User.", host);
        if (Has(codes, description, 7000215, 7000222))
            return new CrmSyncException(ErrorIds.CrmClientRejected, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID rejected the client secret ({description}).",
                $"Check {ShellParameter.For(ActionParameter.ClientSecret)}: use the secret's Value (not its Secret ID) and make sure it has not expired; then connect again.", host);
        if (Has(codes, description, 7000218))
            return new CrmSyncException(ErrorIds.CrmClientRejected, ErrorKind.AuthenticationError,
                $"The Entra application requires a client secret ({description}).",
                $"Give {ShellParameter.For(ActionParameter.ClientSecret)}, or enable 'Allow public client flows' on the app registration.", host);
        if (Has(codes, description, 700016))
            return new CrmSyncException(ErrorIds.CrmClientRejected, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID does not know the application id in this tenant ({description}).",
                $"Check {ShellParameter.For(ActionParameter.ClientId)} (the Application (client) ID) and {ShellParameter.For(ActionParameter.TenantId)} of the app registration.", host);
        if (Has(codes, description, 90002, 900023))
            return new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"Microsoft Entra ID does not know the tenant ({description}).", $"Check {ShellParameter.For(ActionParameter.TenantId)} (the Directory (tenant) ID or the tenant's domain).", host);
        if (Has(codes, description, 500011))
            return new CrmSyncException(ErrorIds.NotACrmEndpoint, ErrorKind.InvalidArgument,
                $"{organization.Host} is not a Dynamics 365 organization in this tenant ({description}).",
                $"Check {ShellParameter.For(ActionParameter.Url)}: use the organization URL from Power Platform admin center (https://<org>.crm.dynamics.com) of the tenant the user belongs to.", organization.Host);
        if (Has(codes, description, 65001))
            return new CrmSyncException(ErrorIds.CrmClientRejected, ErrorKind.PermissionDenied,
                $"The application has no consent to access Dynamics 365 for this user ({description}).",
                "Grant admin consent to the app's 'Dynamics CRM > user_impersonation' permission, then connect again.", host);
        // Marketo's form takes DOMAIN\user as well as user@domain and CrmSync sends it as typed (Marketo's sync-user setup); Entra ID
        // (Dynamics 365 online) knows users by their user principal name, so an unknown DOMAIN\user is told to use the UPN.
        if (username is { } typed && IsDownLevelLogonName(typed) && Has(codes, description, 50034, 50126))
            return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID does not accept the user name '{username}' ({description}). Dynamics 365 online signs in with the user's " +
                "principal name (UPN, user@contoso.com), not with DOMAIN\\user.",
                $"Give the sync user's user principal name instead of '{username}' in {ShellAction.Connect.Parameter(ActionParameter.Credential)} (for example " +
                $"{typed[(typed.IndexOf('\\', StringComparison.Ordinal) + 1)..]}@contoso.com: the sign-in name shown in the Microsoft 365 admin center), then connect again.", host);
        if (Has(codes, description, 50034))
            return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID does not know the user{(string.IsNullOrEmpty(username) ? "" : $" '{username}'")} in this tenant ({description}).",
                $"Check the sync user's name: give its user principal name (user@contoso.com, the sign-in name shown in the Microsoft 365 admin center) in {ShellAction.Connect.Parameter(ActionParameter.Credential)}, then connect again.", host);
        if (Has(codes, description, 50126, 50056))
            return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID rejected the user name or password ({description}).",
                "Check the sync user's name (user@domain) and password, then connect again.", host);
        if (Has(codes, description, 50053, 50055, 50057, 50173))
            return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID refused the sync user's account ({description}).",
                "Fix the account as the message says (unlock it, reset an expired password, enable it), then connect again.", host);
        return error switch
        {
            "invalid_client" => new CrmSyncException(ErrorIds.CrmClientRejected, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID rejected the application ({description}).", $"Check {ShellParameter.For(ActionParameter.ClientId)} and {ShellParameter.For(ActionParameter.ClientSecret)} of the app registration.", host),
            "unauthorized_client" or "unsupported_grant_type" => new CrmSyncException(ErrorIds.CrmClientRejected, ErrorKind.AuthenticationError,
                $"The Entra application may not use this sign-in flow ({error}: {description}).",
                $"For a password sign-in enable 'Allow public client flows' on the app registration; for {ShellParameter.For(ActionParameter.ClientCredentials)} use a confidential app with a secret.", host),
            "invalid_scope" or "invalid_resource" => new CrmSyncException(ErrorIds.NotACrmEndpoint, ErrorKind.InvalidArgument,
                $"Microsoft Entra ID does not know {organization.Host} as a Dynamics 365 resource ({description}).",
                $"Check {ShellParameter.For(ActionParameter.Url)}: use the organization URL (https://<org>.crm.dynamics.com).", organization.Host),
            "invalid_grant" => new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID refused the sign-in ({description}).", "Check the sync user's name and password, then connect again.", host),
            _ => new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                $"Microsoft Entra ID refused the sign-in ({error}: {description}).", "Fix what the message says, then connect again.", host),
        };
    }

    public static CrmSyncException NotATokenEndpoint(Uri tokenEndpoint, HttpStatusCode status, string? contentType) =>
        (int)status is 429 or 500 or 502 or 503 or 504
            ? new(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                $"The sign-in service at {tokenEndpoint.Host} is unavailable (HTTP {(int)status}).", "Try again later.", tokenEndpoint.Host)
            : new(ErrorIds.NotACrmEndpoint, ErrorKind.InvalidArgument,
                $"{tokenEndpoint.Host} answered, but not as a Microsoft Entra ID token endpoint (HTTP {(int)status}{(contentType is null ? "" : ", " + contentType)}).",
                "Leave the sign-in authority empty (https://login.microsoftonline.com) or give the emulator's URL, and check {ShellParameter.For(ActionParameter.TenantId)}.", tokenEndpoint.Host);
}
