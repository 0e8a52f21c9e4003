using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>Salesforce login hosts, login request bodies and login response parsing (SOAP partner login and OAuth 2.0).</summary>
internal static class SalesforceLogin
{
    public static readonly Uri ProductionLoginUrl = new("https://login.salesforce.com");
    public static readonly Uri SandboxLoginUrl = new("https://test.salesforce.com");

    private const string CheckPasswordAndToken =
        "Check the user name, the password AND the security token (Salesforce sends a new security token by e-mail whenever the password is reset: Settings > Reset My Security Token).";

    /// <summary>The login base URL (scheme and authority only), checked for transport security before anything is sent.</summary>
    public static Uri ResolveLoginUrl(CrmConnectionSettings settings)
    {
        var url = settings.LoginUrl ?? (settings.Sandbox ? SandboxLoginUrl : ProductionLoginUrl);
        if (!url.IsAbsoluteUri)
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The login URL '{url}' is not an absolute URL.", "Give a URL such as https://login.salesforce.com or https://mydomain.my.salesforce.com.", url.ToString());
        CheckTransport(url, "login URL");
        return new Uri(url.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>Refuses anything but https, except plain http to a loopback host (the local emulator).</summary>
    public static void CheckTransport(Uri url, string what)
    {
        if (url.Scheme == Uri.UriSchemeHttps) return;
        if (url.Scheme == Uri.UriSchemeHttp)
        {
            if (IsLoopback(url)) return;
            throw new CrmSyncException(ErrorIds.InsecureTransport, ErrorKind.SecurityError,
                $"Refusing to send credentials over plain http to {url.Host}: the {what} must use https (plain http is accepted for loopback addresses only).",
                "Use the https:// address of the CRM.", url.Host);
        }
        throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            $"The {what} '{url.GetLeftPart(UriPartial.Authority)}' must be an https URL.", "Use the https:// address of the CRM.", url.Host);
    }

    public static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    // ---- request bodies (built from the secrets' characters, never from strings) ----

    public static byte[] BuildSoapLoginBody(string username, SecretValue password, SecretValue? securityToken, string clientName)
    {
        using var b = new SecretBodyBuilder();
        b.Append("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
            .Append("<env:Envelope xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ")
            .Append("xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:urn=\"urn:partner.soap.sforce.com\">")
            .Append("<env:Header><urn:CallOptions><urn:client>").AppendXmlEscaped(clientName).Append("</urn:client></urn:CallOptions></env:Header>")
            .Append("<env:Body><n1:login xmlns:n1=\"urn:partner.soap.sforce.com\"><n1:username>").AppendXmlEscaped(username)
            .Append("</n1:username><n1:password>").AppendXmlEscaped(password.Span);
        if (securityToken is not null) b.AppendXmlEscaped(securityToken.Span);
        b.Append("</n1:password></n1:login></env:Body></env:Envelope>");
        return b.ToUtf8();
    }

    public static byte[] BuildOAuthPasswordBody(string clientId, SecretValue? clientSecret, string username, SecretValue password, SecretValue? securityToken)
    {
        using var b = new SecretBodyBuilder();
        b.Append("grant_type=password&client_id=").AppendFormEncoded(clientId);
        if (clientSecret is not null) b.Append("&client_secret=").AppendFormEncoded(clientSecret.Span);
        b.Append("&username=").AppendFormEncoded(username).Append("&password=").AppendFormEncoded(password.Span);
        if (securityToken is not null) b.AppendFormEncoded(securityToken.Span);
        return b.ToUtf8();
    }

    public static byte[] BuildClientCredentialsBody(string clientId, SecretValue clientSecret)
    {
        using var b = new SecretBodyBuilder();
        b.Append("grant_type=client_credentials&client_id=").AppendFormEncoded(clientId)
            .Append("&client_secret=").AppendFormEncoded(clientSecret.Span);
        return b.ToUtf8();
    }

    // ---- responses ----

    /// <summary>Interprets a SOAP login response (any status). Throws the right CrmSyncException for faults and non-Salesforce answers.</summary>
    public static SalesforceLoginResult ParseSoapLoginResponse(HttpStatusCode status, string? contentType, string body, Uri loginUrl)
    {
        XDocument doc;
        try
        {
            if (status == HttpStatusCode.NotFound || string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '<')
                throw NotSalesforce(loginUrl, status, contentType);
            doc = XDocument.Parse(body);
        }
        catch (XmlException)
        {
            throw NotSalesforce(loginUrl, status, contentType);
        }

        var root = doc.Root;
        if (root is null || root.Name.LocalName != "Envelope") throw NotSalesforce(loginUrl, status, contentType);

        var fault = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "Fault");
        if (fault is not null)
        {
            var code = Child(fault, "faultcode") ?? "";
            if (code.Contains(':', StringComparison.Ordinal)) code = code[(code.LastIndexOf(':') + 1)..];
            var text = fault.Descendants().FirstOrDefault(e => e.Name.LocalName == "exceptionMessage")?.Value ?? Child(fault, "faultstring") ?? code;
            throw LoginFault(code, text, loginUrl, oauth: false);
        }

        var result = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "loginResponse")?.Elements().FirstOrDefault(e => e.Name.LocalName == "result")
            ?? throw NotSalesforce(loginUrl, status, contentType);
        var serverUrl = Child(result, "serverUrl") ?? throw NotSalesforce(loginUrl, status, contentType);
        var sessionId = Child(result, "sessionId") ?? throw NotSalesforce(loginUrl, status, contentType);
        var userInfo = result.Elements().FirstOrDefault(e => e.Name.LocalName == "userInfo");
        var userId = Child(result, "userId") ?? (userInfo is null ? null : Child(userInfo, "userId")) ?? "";
        var orgId = (userInfo is null ? null : Child(userInfo, "organizationId")) ?? OrgIdFromServerUrl(serverUrl) ?? "";
        var userName = userInfo is null ? null : Child(userInfo, "userName");
        bool? sandbox = bool.TryParse(Child(result, "sandbox"), out var sb) ? sb : null;
        TimeSpan? valid = userInfo is not null && int.TryParse(Child(userInfo, "sessionSecondsValid"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var secs)
            ? TimeSpan.FromSeconds(secs) : null;
        return new SalesforceLoginResult(sessionId, InstanceFromServerUrl(serverUrl), userId, orgId, userName, sandbox, valid);
    }

    /// <summary>Interprets an OAuth 2.0 token endpoint response (any status).</summary>
    public static SalesforceLoginResult ParseOAuthTokenResponse(HttpStatusCode status, string? contentType, string body, Uri loginUrl)
    {
        JsonDocument doc;
        try
        {
            if (status == HttpStatusCode.NotFound || string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
                throw NotSalesforce(loginUrl, status, contentType);
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw NotSalesforce(loginUrl, status, contentType);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (SalesforceJson.GetString(root, "error") is { } error)
                throw LoginFault(error, SalesforceJson.GetString(root, "error_description") ?? error, loginUrl, oauth: true);
            var token = SalesforceJson.GetString(root, "access_token");
            var instance = SalesforceJson.GetString(root, "instance_url");
            if (status != HttpStatusCode.OK || token is null || instance is null || !Uri.TryCreate(instance, UriKind.Absolute, out var instanceUrl))
                throw NotSalesforce(loginUrl, status, contentType);
            var (org, user) = IdsFromIdentityUrl(SalesforceJson.GetString(root, "id"));
            return new SalesforceLoginResult(token, new Uri(instanceUrl.GetLeftPart(UriPartial.Authority)), user ?? "", org ?? "", null, null, null);
        }
    }

    /// <summary>The REST instance from a SOAP serverUrl: its scheme and host, with simple-salesforce's "-api" suffix removed.</summary>
    public static Uri InstanceFromServerUrl(string serverUrl)
    {
        var u = new Uri(serverUrl);
        var host = u.Host;
        var dot = host.IndexOf('.');
        var first = dot < 0 ? host : host[..dot];
        if (first.EndsWith("-api", StringComparison.OrdinalIgnoreCase)) host = first[..^4] + (dot < 0 ? "" : host[dot..]);
        var b = new UriBuilder(u.Scheme, host, u.IsDefaultPort ? -1 : u.Port);
        return new Uri(b.Uri.GetLeftPart(UriPartial.Authority));
    }

    private static string? OrgIdFromServerUrl(string serverUrl)
    {
        var segments = new Uri(serverUrl).AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // /services/Soap/u/59.0/{orgId}[/...]
        return segments.Length >= 5 ? segments[4] : null;
    }

    /// <summary>Org and user ids from an identity URL such as https://login.salesforce.com/id/{orgId}/{userId}.</summary>
    public static (string? OrgId, string? UserId) IdsFromIdentityUrl(string? identityUrl)
    {
        if (identityUrl is null || !Uri.TryCreate(identityUrl, UriKind.Absolute, out var u)) return (null, null);
        var s = u.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return s.Length >= 3 && s[^3] == "id" ? (s[^2], s[^1]) : (null, null);
    }

    private static string? Child(XElement e, string localName) =>
        e.Elements().FirstOrDefault(x => x.Name.LocalName == localName) is { } c && c.Attribute(XName.Get("nil", "http://www.w3.org/2001/XMLSchema-instance"))?.Value != "true"
            ? c.Value : null;

    /// <summary>
    /// The error for a login answer that is not a Salesforce login response. A server error (any 5xx without a SOAP fault,
    /// 429, 420) is the CRM failing, not a wrong URL: CrmRequestFailed (a run failure, exit 1, retried by the next start),
    /// never the usage-like NotACrmEndpoint.
    /// </summary>
    public static CrmSyncException NotSalesforce(Uri loginUrl, HttpStatusCode status, string? contentType) =>
        (int)status is 429 or 420 or >= 500 and <= 599
            ? new(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                $"The login service at {loginUrl.Host} failed with a server error (HTTP {(int)status}); the CRM is down or in maintenance.",
                "Try again later (a scheduled start retries by itself); check https://status.salesforce.com for maintenance.", loginUrl.Host)
            : new(ErrorIds.NotACrmEndpoint, ErrorKind.InvalidArgument,
            $"{loginUrl.Host} answered, but not as a Salesforce login endpoint (HTTP {(int)status}{(contentType is null ? "" : ", " + contentType)}).",
            $"Check the login URL: use https://login.salesforce.com, https://test.salesforce.com ({ShellParameter.For(ActionParameter.Sandbox)}), your My Domain (https://yourdomain.my.salesforce.com) or the emulator's URL.",
            loginUrl.Host);

    private static CrmSyncException LoginFault(string code, string crmMessage, Uri loginUrl, bool oauth)
    {
        switch (code)
        {
            case "INVALID_LOGIN":
            case "LOGIN_MUST_USE_SECURITY_TOKEN":
            case "invalid_grant" when !crmMessage.Contains("expired", StringComparison.OrdinalIgnoreCase):
                return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                    $"Salesforce ({loginUrl.Host}) rejected the login: {crmMessage} {CheckPasswordAndToken}"
                    + (oauth ? " For OAuth also check the consumer key and consumer secret of the connected app." : ""),
                    "Check the password and the security token" + (oauth ? ", and the consumer key and secret," : "") + " then connect again.", loginUrl.Host);
            case "invalid_client_id":
            case "invalid_client":
            case "invalid_client_credentials":
            case "unauthorized_client":
            case "unsupported_grant_type":
                return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                    $"Salesforce ({loginUrl.Host}) rejected the connected app: {code}: {crmMessage}. Check the consumer key (client id) and consumer secret, and that the connected app allows this OAuth flow.",
                    "Check the consumer key and consumer secret of the connected app, then connect again.", loginUrl.Host);
            default:
                return new CrmSyncException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                    $"Salesforce ({loginUrl.Host}) refused the login: {code}: {crmMessage}",
                    "Fix the sync user's account as the message says (for example reset an expired password), then connect again.", loginUrl.Host);
        }
    }
}
