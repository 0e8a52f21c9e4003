using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Resilience;
using Polly.CircuitBreaker;
using Polly.Timeout;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// A Dataverse session: gets an Entra ID v2 access token (ROPC password grant, or client credentials), checks it with
/// <c>GET WhoAmI</c>, adds the bearer token and the OData headers to every Web API call, renews the token shortly before it
/// expires and once when Dataverse answers 401 (then replays the call), and maps failures to <see cref="CrmSyncException"/>.
/// The token lives in memory only.
/// </summary>
public sealed class DataverseSession : ICrmSession, IDisposable
{
    /// <summary>A token is renewed this long before the expiry Entra gave for it.</summary>
    public static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromMinutes(5);

    private readonly HttpClient _http;
    private readonly Uri _organization;
    private readonly Uri _tokenEndpoint;
    private readonly CrmAuthMethod _method;
    private readonly string? _username;
    private readonly string _clientId;
    private readonly SecretValue? _password;
    private readonly SecretValue? _clientSecret;
    private readonly TimeProvider _time;
    private readonly IProgress<CrmClientEvent>? _events;
    private readonly IProgress<CrmApiUsage>? _usageSink;
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private string? _accessToken;
    private readonly SemaphoreSlim _loginLock = new(1, 1);
    private long _renewAtTicks;
    private int _tokenGeneration;
    private CrmIdentity? _identity;
    private CrmApiUsage? _apiUsage;

    internal DataverseSession(HttpClient http, CrmConnectionSettings settings, CrmClientOptions options)
    {
        _http = http;
        _organization = DataverseLogin.ResolveOrganizationUrl(settings);
        _tokenEndpoint = DataverseLogin.ResolveTokenEndpoint(settings);
        _method = settings.AuthMethod;
        _username = settings.Username;
        _time = options.TimeProvider;
        _events = options.Events;
        _usageSink = options.ApiUsage;
        ApiReserveFraction = Math.Clamp(options.ApiReserveFraction, 0, 1);
        if (settings.ApiVersion is { } v && v != DataverseLogin.ApiVersion)
            throw Invalid($"CrmSync speaks Dataverse Web API {DataverseLogin.ApiVersion}; '{v}' was asked for.", "Give no API version, or 9.2.");

        switch (_method)
        {
            case CrmAuthMethod.Password:
            case CrmAuthMethod.OAuthPassword:
                if (string.IsNullOrWhiteSpace(_username)) throw Invalid("A user name is required to sign in to Dynamics 365.", $"Give the sync user's name (user@domain or DOMAIN\\user) with {ShellAction.Connect.Parameter(ActionParameter.Credential)}.");
                if (settings.Password is null || settings.Password.Length == 0) throw Invalid("A password is required to sign in to Dynamics 365.", $"Give the sync user's password with {ShellParameter.For(ActionParameter.Password)}.");
                _clientId = string.IsNullOrWhiteSpace(settings.ClientId) ? DataverseLogin.DefaultPublicClientId : settings.ClientId.Trim();
                break;
            case CrmAuthMethod.ClientCredentials:
                if (string.IsNullOrWhiteSpace(settings.ClientId) || settings.ClientSecret is null || settings.ClientSecret.Length == 0)
                    throw Invalid("Server-to-server sign-in needs the app registration's client id and client secret.", $"Give {ShellParameter.For(ActionParameter.ClientId)} and {ShellParameter.For(ActionParameter.ClientSecret)}.");
                if (string.IsNullOrWhiteSpace(settings.TenantId))
                    throw Invalid("Server-to-server sign-in needs the Entra tenant.", $"Give {ShellParameter.For(ActionParameter.TenantId)} (the Directory (tenant) ID of the app registration).");
                _clientId = settings.ClientId.Trim();
                break;
            default:
                throw Invalid($"Unknown sign-in method {_method}.", "Use a password or client credentials.");
        }
        _password = settings.Password is { Length: > 0 } p ? SecretValue.Copy(p.Span) : null;
        _clientSecret = settings.ClientSecret is { Length: > 0 } s ? SecretValue.Copy(s.Span) : null;
    }

    public CrmKind Kind => CrmKind.Dynamics;

    public CrmIdentity? Identity => Volatile.Read(ref _identity);

    /// <summary>
    /// Dataverse has no daily allowance: this is the service-protection window as the last response's
    /// <c>x-ms-ratelimit-*</c> headers reported it (see <see cref="DataverseResponseObserver"/>), or null.
    /// </summary>
    public CrmApiUsage? ApiUsage => Volatile.Read(ref _apiUsage);

    public double ApiReserveFraction { get; }

    public bool IsApiReserveReached => ApiUsage is { } u && u.IsWithinReserve(ApiReserveFraction);

    /// <summary>The organization URL (scheme and authority).</summary>
    public Uri OrganizationUrl => _organization;

    /// <summary>The Entra token endpoint in use.</summary>
    public Uri TokenEndpoint => _tokenEndpoint;

    /// <summary>The session's clock (the client's TimeProvider).</summary>
    internal DateTimeOffset UtcNow => _time.GetUtcNow();

    /// <summary>The Web API base, <c>{org}/api/data/v9.2/</c>.</summary>
    public Uri ApiBase => new(_organization, "/api/data/v" + DataverseLogin.ApiVersion + "/");

    internal void ObserveUsage(CrmApiUsage usage)
    {
        Volatile.Write(ref _apiUsage, usage);
        _usageSink?.Report(usage);
    }

    internal void Report(CrmClientEvent e) => _events?.Report(e);

    /// <summary>Signs in (a new token) and checks it with WhoAmI; safe to call again.</summary>
    public async Task<CrmIdentity> LoginAsync(CancellationToken cancellationToken)
    {
        await RenewTokenAsync(staleGeneration: null, force: true, cancellationToken).ConfigureAwait(false);
        var identity = await WhoAmIAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _identity, identity);
        return identity;
    }

    private async Task<CrmIdentity> WhoAmIAsync(CancellationToken cancellationToken)
    {
        using var request = Authorize(new HttpRequestMessage(HttpMethod.Get, ApiUri("WhoAmI")), Volatile.Read(ref _accessToken)!);
        using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var error = DataverseJson.ParseError(text);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new CrmSyncException(ErrorIds.CrmPermissionDenied, ErrorKind.PermissionDenied,
                $"The sign-in worked, but Dynamics 365 ({_organization.Host}) refused the user ({error?.ToString() ?? "HTTP " + (int)response.StatusCode}).",
                "Make sure the sync user (or the Application User) exists in this environment, is enabled and has a security role such as the Marketo Sync User role.",
                _organization.Host);
        if (!response.IsSuccessStatusCode && error is not null && (int)response.StatusCode is not 404)
            throw ToException(response.StatusCode, text, "WhoAmI");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        try
        {
            if (!response.IsSuccessStatusCode || mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase)) throw new JsonException();
            using var doc = JsonDocument.Parse(text);
            var userId = DataverseJson.GetString(doc.RootElement, "UserId");
            var orgId = DataverseJson.GetString(doc.RootElement, "OrganizationId");
            if (userId is null || orgId is null) throw new JsonException();
            return new CrmIdentity(userId, orgId, _username, _organization,
                DataverseLogin.ApiVersion, Sandbox: false, SessionValidFor: null);
        }
        catch (JsonException)
        {
            throw new CrmSyncException(ErrorIds.NotACrmEndpoint, ErrorKind.InvalidArgument,
                $"{_organization.Host} is not a Dynamics 365 (Dataverse) organization: GET /api/data/v{DataverseLogin.ApiVersion}/WhoAmI answered HTTP {(int)response.StatusCode}{(mediaType is null ? "" : ", " + mediaType)}.",
                $"Check {ShellParameter.For(ActionParameter.Url)}: use the organization URL from the Power Platform admin center, such as https://contoso.crm.dynamics.com.", _organization.Host);
        }
    }

    /// <summary>Gets a new token unless another caller already renewed the one <paramref name="staleGeneration"/> names.</summary>
    private async Task RenewTokenAsync(int? staleGeneration, bool force, CancellationToken cancellationToken)
    {
        await _tokenLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (staleGeneration is { } g && g != _tokenGeneration) return;
            if (!force && _accessToken is not null && !TokenDue) return;
            var token = await RequestTokenAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _accessToken, token.AccessToken);
            var lifetime = token.ExpiresIn > RenewBeforeExpiry * 2 ? token.ExpiresIn - RenewBeforeExpiry : token.ExpiresIn / 2;
            Volatile.Write(ref _renewAtTicks, (_time.GetUtcNow() + lifetime).UtcTicks);
            _tokenGeneration++;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private async Task<EntraToken> RequestTokenAsync(CancellationToken cancellationToken)
    {
        var scope = DataverseLogin.ScopeFor(_organization);
        var body = _method == CrmAuthMethod.ClientCredentials
            ? DataverseLogin.BuildClientCredentialsBody(_clientId, _clientSecret!, scope)
            : DataverseLogin.BuildPasswordBody(_clientId, _clientSecret, _username!, _password!, scope);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _tokenEndpoint) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            // A token request changes nothing: retrying a throttled or failed one is safe (a rejected password is a 400, never retried).
            request.MarkIdempotent();
            using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return DataverseLogin.ParseTokenResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, _tokenEndpoint, _organization,
                _method == CrmAuthMethod.ClientCredentials ? null : _username);
        }
        finally
        {
            Array.Clear(body);
        }
    }

    /// <summary>A URL under the Web API base, e.g. <c>ApiUri("WhoAmI")</c>.</summary>
    internal Uri ApiUri(string relative) => new(ApiBase, relative.TrimStart('/'));

    /// <summary>
    /// A server-given link (nextLink, deltaLink) checked to point at this organization's Web API, so that the bearer token
    /// is never sent anywhere else (a stored watermark could have been edited).
    /// </summary>
    internal Uri OrganizationLink(string link)
    {
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri)
            || !string.Equals(uri.GetLeftPart(UriPartial.Authority), _organization.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
            || !uri.AbsolutePath.StartsWith("/api/data/", StringComparison.OrdinalIgnoreCase))
            throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                $"A Dataverse link does not point at {_organization.Host}/api/data: '{(link.Length > 120 ? link[..120] + "…" : link)}'.",
                "Run a full read of the object (the stored position is not usable).", link.Length > 120 ? link[..120] : link);
        return uri;
    }

    private static HttpRequestMessage Authorize(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (request.Headers.Accept.Count == 0) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("OData-MaxVersion", "4.0");
        request.Headers.TryAddWithoutValidation("OData-Version", "4.0");
        return request;
    }

    private bool TokenDue => _time.GetUtcNow().UtcTicks >= Volatile.Read(ref _renewAtTicks);

    /// <summary>Signs in once (concurrent first calls share it), or renews a token that is about to expire.</summary>
    internal async Task EnsureLoggedInAsync(CancellationToken cancellationToken)
    {
        if (Identity is null)
        {
            await _loginLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Identity is null) await LoginAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _loginLock.Release();
            }
        }
        else if (TokenDue)
        {
            await RenewTokenAsync(null, force: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends an authorised Web API request built by <paramref name="createRequest"/> (called again for the replay): signs in
    /// first when needed, renews a token about to expire, and renews once more and replays on 401. Returns the response
    /// whatever its status, except a second 401.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        await EnsureLoggedInAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var generation = Volatile.Read(ref _tokenGeneration);
            using var request = Authorize(createRequest(), Volatile.Read(ref _accessToken)!);
            var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            response.Dispose();
            var detail = DataverseJson.ParseError(body)?.ToString() ?? "HTTP 401";
            if (attempt > 0)
                throw new CrmSyncException(ErrorIds.SessionExpired, ErrorKind.AuthenticationError,
                    $"Dynamics 365 rejected the access token again right after a new sign-in ({detail}).",
                    $"Check that the sync user is enabled in the environment and has a security role, then run {ShellAction.Connect} again.", _organization.Host);
            _events?.Report(new CrmClientEvent(CrmEventLevel.Verbose, CrmEventKind.Relogin, $"Dynamics 365 access token rejected ({detail}); getting a new one."));
            await RenewTokenAsync(generation, force: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends an authorised request and returns the JSON body; throws the mapped error on any non-success status.</summary>
    internal async Task<JsonDocument> SendForJsonAsync(Func<HttpRequestMessage> createRequest, string target, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(createRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw ToException(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), target);
        return await DataverseJson.ReadAsync(() => Resilience.BufferedContent.ParseJsonAsync(response.Content, cancellationToken), target).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one <c>$batch</c> with <c>Prefer: odata.continue-on-error</c> and returns its status and its parts in request
    /// order. <paramref name="idempotent"/> lets the pipeline retry the whole batch (only when every part is safe to send twice).
    /// Throws the mapped error when the answer is not a multipart batch response.
    /// </summary>
    internal async Task<(HttpStatusCode Status, IReadOnlyList<DataverseBatchResponse> Parts)> SendBatchAsync(
        IReadOnlyList<DataverseBatchPart> parts, bool idempotent, string target, CancellationToken cancellationToken)
    {
        var boundary = DataverseBatch.NewBoundary("batch");
        var body = System.Text.Encoding.UTF8.GetBytes(DataverseBatch.Write(boundary, parts));
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, ApiUri("$batch")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = DataverseBatch.ContentType(boundary);
            request.Headers.TryAddWithoutValidation("Prefer", "odata.continue-on-error");
            if (idempotent) request.MarkIdempotent();
            return request;
        }, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var contentType = response.Content.Headers.ContentType;
        if (contentType?.MediaType?.Equals("multipart/mixed", StringComparison.OrdinalIgnoreCase) == true)
            return (response.StatusCode, DataverseJson.Read(() => DataverseBatch.Parse(contentType.ToString(), text), target));
        if (!response.IsSuccessStatusCode) throw ToException(response.StatusCode, text, target);
        throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
            $"Dynamics 365 answered the $batch for {target} with {contentType?.MediaType ?? "no content type"} instead of a multipart response.",
            "Retry; if it persists, report it to the CrmSync maintainers.", target);
    }

    /// <summary>The message Dataverse gives for a delta token older than the org's ExpireChangeTrackingInDays.</summary>
    internal const string ExpiredVersionStampMessage = "Version stamp associated with the client has expired";

    /// <summary>True for the answer to an expired change-tracking (delta) token.</summary>
    internal static bool IsExpiredChangeToken(DataverseError? error) =>
        error is not null && (error.Code.Equals(ExpiredVersionStampCode, StringComparison.OrdinalIgnoreCase)
                              || error.Message.Contains(ExpiredVersionStampMessage, StringComparison.OrdinalIgnoreCase));

    /// <summary>ErrorCodes.ExpiredVersionStamp (-2147204270), the platform code of that fault.</summary>
    internal const string ExpiredVersionStampCode = "0x80044352";

    /// <summary>The service-protection codes (api-limits.md): requests, execution time, concurrency.</summary>
    internal static bool IsServiceProtectionCode(string code) =>
        code.Equals("0x80072322", StringComparison.OrdinalIgnoreCase) || code.Equals("0x80072321", StringComparison.OrdinalIgnoreCase)
        || code.Equals("0x80072326", StringComparison.OrdinalIgnoreCase);

    /// <summary>Maps a failed Web API response to the error a user can act on.</summary>
    internal static CrmSyncException ToException(HttpStatusCode status, string body, string target)
    {
        var error = DataverseJson.ParseError(body);
        var detail = error?.ToString() ?? $"HTTP {(int)status}";
        if (IsExpiredChangeToken(error))
            return new CrmSyncException(ErrorIds.CrmChangeTokenExpired, ErrorKind.InvalidOperation,
                $"The change-tracking position for {target} has expired in Dynamics 365 ({detail}).",
                "Read the object in full again (the pull does this with a warning); then incremental reads resume.", target);
        if ((int)status == 429 || (error is not null && IsServiceProtectionCode(error.Code)))
            return new CrmSyncException(ErrorIds.CrmApiLimitExceeded, ErrorKind.LimitsExceeded,
                $"Dynamics 365 service protection limits stopped {target} ({detail}).",
                "Wait a few minutes (the limits are counted over 5 minutes), then run the sync again; it resumes where it stopped.", target);
        return (int)status switch
        {
            404 => new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.ObjectNotFound,
                $"Dynamics 365 found no {target} ({detail}).", "Check the entity or record name and the sync user's security role.", target),
            403 => new CrmSyncException(ErrorIds.CrmPermissionDenied, ErrorKind.PermissionDenied,
                $"Dynamics 365 refused {target}: the sync user lacks a privilege ({detail}).",
                "Give the sync user's security role organization-level Read (and Write, for pushed entities) on this entity, then try again.", target),
            400 => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.InvalidArgument,
                $"Dynamics 365 rejected {target} ({detail}).", $"Check the entity and column names (run {ShellAction.SyncFields} to refresh them).", target),
            >= 500 => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                $"Dynamics 365 could not serve {target} after retries ({detail}).", "Try again later; the sync resumes where it stopped.", target),
            _ => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ProtocolError,
                $"Dynamics 365 answered {target} with {detail}.", "Try again; if it persists, report it with the message above.", target),
        };
    }

    /// <summary>Sends through the resilience pipeline and maps transport failures.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var host = request.RequestUri!.Host;
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CrmSyncException(ErrorIds.CrmUnreachable, ErrorKind.ConnectionError,
                $"Could not reach {host}: {ex.Message}", $"Check the URL, DNS, the proxy and the network connection to {host}.", host, ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new CrmSyncException(ErrorIds.CrmTimeout, ErrorKind.OperationTimeout,
                $"{host} did not answer in time.", "Try again later; the sync resumes where it stopped.", host, ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new CrmSyncException(ErrorIds.CrmCircuitOpen, ErrorKind.ResourceUnavailable,
                $"Calls to {host} are paused after repeated failures.", "Wait a minute and try again.", host, ex);
        }
    }

    private static CrmSyncException Invalid(string message, string action) =>
        new(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, message, action);

    public void Dispose()
    {
        _password?.Dispose();
        _clientSecret?.Dispose();
        _accessToken = null;
        _tokenLock.Dispose();
        _loginLock.Dispose();
    }
}
