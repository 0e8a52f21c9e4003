using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CrmSync.Engine.Resilience;
using Polly.CircuitBreaker;
using Polly.Timeout;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// A Salesforce session: logs in (SOAP partner login or OAuth 2.0), discovers the API version, adds the bearer token
/// to every call, logs in again once on 401 and replays the call, and maps failures to <see cref="CrmSyncException"/>.
/// </summary>
public sealed class SalesforceSession : ICrmSession, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _loginUrl;
    private readonly CrmAuthMethod _method;
    private readonly string? _username;
    private readonly string? _clientId;
    private readonly SecretValue? _password;
    private readonly SecretValue? _securityToken;
    private readonly SecretValue? _clientSecret;
    private readonly string? _fixedApiVersion;
    private readonly bool _sandboxHint;
    private readonly IProgress<CrmClientEvent>? _events;
    private readonly IProgress<CrmApiUsage>? _usageSink;
    private readonly SemaphoreSlim _loginLock = new(1, 1);
    private string? _accessToken;
    private int _loginGeneration;
    private CrmIdentity? _identity;
    private CrmApiUsage? _apiUsage;

    internal SalesforceSession(HttpClient http, CrmConnectionSettings settings, CrmClientOptions options)
    {
        _http = http;
        _loginUrl = SalesforceLogin.ResolveLoginUrl(settings);
        _method = settings.AuthMethod;
        _username = settings.Username;
        _clientId = settings.ClientId;
        _fixedApiVersion = settings.ApiVersion;
        _sandboxHint = settings.Sandbox;
        _events = options.Events;
        _usageSink = options.ApiUsage;
        ApiReserveFraction = Math.Clamp(options.ApiReserveFraction, 0, 1);

        if (_fixedApiVersion is not null && !SalesforceApiVersion.IsWellFormed(_fixedApiVersion))
            throw Invalid($"The API version '{_fixedApiVersion}' is not of the form 59.0.", "Give a version such as 59.0, or none to discover it.");
        switch (_method)
        {
            case CrmAuthMethod.Password:
            case CrmAuthMethod.OAuthPassword:
                if (string.IsNullOrWhiteSpace(_username)) throw Invalid("A user name is required to log in to Salesforce.", $"Give the sync user's name ({ShellAction.Connect.Parameter(ActionParameter.Credential)}).");
                if (settings.Password is null || settings.Password.Length == 0) throw Invalid("A password is required to log in to Salesforce.", $"Give the sync user's password ({ShellParameter.For(ActionParameter.Password)}).");
                if (_method == CrmAuthMethod.OAuthPassword && string.IsNullOrWhiteSpace(_clientId))
                    throw Invalid("The OAuth password flow needs the connected app's consumer key.", $"Give {ShellParameter.For(ActionParameter.ClientId)} (and {ShellParameter.For(ActionParameter.ClientSecret)}).");
                break;
            case CrmAuthMethod.ClientCredentials:
                if (string.IsNullOrWhiteSpace(_clientId) || settings.ClientSecret is null || settings.ClientSecret.Length == 0)
                    throw Invalid("The client-credentials flow needs the connected app's consumer key and consumer secret.", $"Give {ShellParameter.For(ActionParameter.ClientId)} and {ShellParameter.For(ActionParameter.ClientSecret)}.");
                break;
        }
        _password = settings.Password is null ? null : SecretValue.Copy(settings.Password.Span);
        _securityToken = settings.SecurityToken is { Length: > 0 } t ? SecretValue.Copy(t.Span) : null;
        _clientSecret = settings.ClientSecret is { Length: > 0 } s ? SecretValue.Copy(s.Span) : null;
    }

    public CrmKind Kind => CrmKind.Salesforce;

    public CrmIdentity? Identity => Volatile.Read(ref _identity);

    public CrmApiUsage? ApiUsage => Volatile.Read(ref _apiUsage);

    public double ApiReserveFraction { get; }

    public bool IsApiReserveReached => ApiUsage is { } u && u.IsWithinReserve(ApiReserveFraction);

    /// <summary>The login base URL in use (production, sandbox, My Domain or emulator).</summary>
    public Uri LoginUrl => _loginUrl;

    internal void Report(CrmClientEvent e) => _events?.Report(e);

    internal void ObserveUsage(CrmApiUsage usage)
    {
        Volatile.Write(ref _apiUsage, usage);
        _usageSink?.Report(usage);
    }

    public async Task<CrmIdentity> LoginAsync(CancellationToken cancellationToken)
    {
        await LoginCoreAsync(staleGeneration: null, cancellationToken).ConfigureAwait(false);
        return Identity!;
    }

    private async Task LoginCoreAsync(int? staleGeneration, CancellationToken cancellationToken)
    {
        await _loginLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller already logged in again after the token we saw expired.
            if (staleGeneration is { } g && g != _loginGeneration) return;

            var result = _method == CrmAuthMethod.Password
                ? await SoapLoginAsync(cancellationToken).ConfigureAwait(false)
                : await OAuthLoginAsync(cancellationToken).ConfigureAwait(false);
            SalesforceLogin.CheckTransport(result.InstanceUrl, "instance URL returned by the login");
            _accessToken = result.AccessToken;
            _loginGeneration++;

            var version = _identity?.ApiVersion ?? _fixedApiVersion ?? await DiscoverApiVersionAsync(result.InstanceUrl, cancellationToken).ConfigureAwait(false);
            var sandbox = result.Sandbox ?? (_sandboxHint || _loginUrl.Host.Equals(SalesforceLogin.SandboxLoginUrl.Host, StringComparison.OrdinalIgnoreCase)
                || _loginUrl.Host.Contains(".sandbox.", StringComparison.OrdinalIgnoreCase));
            Volatile.Write(ref _identity, new CrmIdentity(result.UserId, result.OrganizationId, result.UserName ?? _username, result.InstanceUrl, version, sandbox, result.SessionValidFor));
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private async Task<SalesforceLoginResult> SoapLoginAsync(CancellationToken cancellationToken)
    {
        var version = _fixedApiVersion ?? SalesforceApiVersion.Default;
        var uri = new Uri(_loginUrl, $"/services/Soap/u/{version}");
        var body = SalesforceLogin.BuildSoapLoginBody(_username!, _password!, _securityToken, "CrmSync/" + EngineInfo.Version);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "UTF-8" };
            request.Headers.Add("SOAPAction", "login");
            request.MarkIdempotent().MarkSoap(); // a login fault (wrong password) is HTTP 500: final, never retried
            using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return SalesforceLogin.ParseSoapLoginResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, _loginUrl);
        }
        finally
        {
            Array.Clear(body);
        }
    }

    private async Task<SalesforceLoginResult> OAuthLoginAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri(_loginUrl, "/services/oauth2/token");
        var body = _method == CrmAuthMethod.ClientCredentials
            ? SalesforceLogin.BuildClientCredentialsBody(_clientId!, _clientSecret!)
            : SalesforceLogin.BuildOAuthPasswordBody(_clientId!, _clientSecret, _username!, _password!, _securityToken);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.MarkIdempotent();
            using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return SalesforceLogin.ParseOAuthTokenResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, _loginUrl);
        }
        finally
        {
            Array.Clear(body);
        }
    }

    private async Task<string> DiscoverApiVersionAsync(Uri instance, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(instance, "/services/data/"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _accessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> offered;
        try
        {
            if ((int)response.StatusCode is >= 500 and <= 599)
                throw new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                    $"{instance.Host} failed with a server error (HTTP {(int)response.StatusCode}) while listing its API versions; the CRM is down or in maintenance.",
                    "Try again later (a scheduled start retries by itself).", instance.Host);
            if (!response.IsSuccessStatusCode) throw new JsonException();
            using var doc = JsonDocument.Parse(text);
            offered = SalesforceJson.ParseVersions(doc.RootElement);
        }
        catch (JsonException)
        {
            throw new CrmSyncException(ErrorIds.NotACrmEndpoint, ErrorKind.ProtocolError,
                $"{instance.Host} did not list Salesforce API versions at /services/data/ (HTTP {(int)response.StatusCode}).",
                "Check that the login URL belongs to Salesforce or the CrmSync emulator.", instance.Host);
        }
        return SalesforceApiVersion.Choose(offered) ?? throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.NotImplemented,
            $"{instance.Host} offers API versions {string.Join(", ", offered)}, none between {SalesforceApiVersion.MinSupported} and {SalesforceApiVersion.MaxSupported}, which CrmSync needs.",
            "Use a Salesforce org that supports API version " + SalesforceApiVersion.MinSupported + " or later, or update CrmSync.", instance.Host);
    }

    /// <summary>A URL under /services/data/vNN.N/ on the instance (login first).</summary>
    internal Uri DataUri(string relative)
    {
        var identity = Identity ?? throw new InvalidOperationException("Not logged in.");
        return new Uri(identity.InstanceUrl, $"/services/data/v{identity.ApiVersion}/{relative.TrimStart('/')}");
    }

    /// <summary>A URL on the instance from a server-given relative path such as a nextRecordsUrl.</summary>
    internal Uri InstanceUri(string path)
    {
        var identity = Identity ?? throw new InvalidOperationException("Not logged in.");
        if (!path.StartsWith("/services/", StringComparison.Ordinal))
            throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError, $"Salesforce returned an unexpected link '{path}'.",
                "Report this to the CrmSync maintainers.", path);
        return new Uri(identity.InstanceUrl, path);
    }

    internal async Task EnsureLoggedInAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _accessToken) is null || Identity is null)
            await LoginCoreAsync(null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends an authorised request built by <paramref name="createRequest"/> (called again for the replay), logging in first if
    /// needed and once more on 401. Returns the response whatever its status, except a second 401.
    /// With <see cref="HttpCompletionOption.ResponseHeadersRead"/> the body is not buffered: the caller reads it as a stream
    /// (large bulk result chunks) and maps transport failures while reading with <see cref="ToReadException"/>.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        await EnsureLoggedInAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var generation = Volatile.Read(ref _loginGeneration);
            var token = Volatile.Read(ref _accessToken)!;
            using var request = createRequest();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (request.Headers.Accept.Count == 0) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            var response = await SendRawAsync(request, cancellationToken, completion).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            response.Dispose();
            var code = SalesforceJson.ParseErrors(body).FirstOrDefault()?.Code ?? "HTTP 401";
            if (attempt > 0)
                throw new CrmSyncException(ErrorIds.SessionExpired, ErrorKind.AuthenticationError,
                    $"Salesforce rejected the session again right after a new login ({code}).",
                    $"Check that the sync user is active and allowed to use the API, then run {ShellAction.Connect} again.", Identity?.InstanceUrl.Host);
            _events?.Report(new CrmClientEvent(CrmEventLevel.Verbose, CrmEventKind.Relogin, $"Salesforce session expired ({code}); logging in again."));
            await LoginCoreAsync(generation, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends an authorised request and returns the JSON body; throws a mapped <see cref="CrmSyncException"/> on any non-success status.</summary>
    internal async Task<JsonDocument> SendForJsonAsync(Func<HttpRequestMessage> createRequest, string target, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(createRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw ToException(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), target);
        try
        {
            return await Resilience.BufferedContent.ParseJsonAsync(response.Content, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw NotJson(target, ex);
        }
    }

    private static CrmSyncException NotJson(string target, JsonException ex) =>
        new(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
            $"Salesforce returned a body that is not JSON for {target}.", "Retry; if it persists, report it to the CrmSync maintainers.", target, ex);

    internal static JsonDocument ParseJson(string text, string target)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw NotJson(target, ex);
        }
    }

    /// <summary>Maps a failed REST response to the exception a user can act on.</summary>
    internal static CrmSyncException ToException(HttpStatusCode status, string body, string target)
    {
        var errors = SalesforceJson.ParseErrors(body);
        var first = errors.FirstOrDefault();
        var detail = first is null ? $"HTTP {(int)status}" : $"{first.Code}: {first.Message}";
        if (first?.Code == "REQUEST_LIMIT_EXCEEDED")
            return new CrmSyncException(ErrorIds.CrmApiLimitExceeded, ErrorKind.LimitsExceeded,
                $"Salesforce's API request limit is exhausted ({first.Message}).",
                "Wait until the org's 24-hour API allowance frees up (or ask Salesforce for more), then run the sync again.", target);
        return (int)status switch
        {
            404 => new CrmSyncException(ErrorIds.CrmObjectNotFound, ErrorKind.ObjectNotFound,
                $"Salesforce found no {target} ({detail}).", "Check the name and the sync user's permissions.", target),
            403 => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.PermissionDenied,
                $"Salesforce refused {target} ({detail}).", "Check the sync user's profile and permission sets (API Enabled, object and field access).", target),
            400 => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.InvalidArgument,
                $"Salesforce rejected {target} ({detail}).", $"Check the object and field names (run {ShellAction.SyncFields} to refresh them).", target),
            429 or 420 or >= 500 => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ResourceUnavailable,
                $"Salesforce could not serve {target} after retries ({detail}).", "Try again later; the sync resumes where it stopped.", target),
            _ => new CrmSyncException(ErrorIds.CrmRequestFailed, ErrorKind.ProtocolError,
                $"Salesforce answered {target} with {detail}.", "Try again; if it persists, report it with the message above.", target),
        };
    }

    /// <summary>Sends through the resilience pipeline and maps transport failures.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var host = request.RequestUri!.Host;
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw TransportFailure.Unreachable(host, ex);
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

    /// <summary>
    /// Maps a transport failure while a streamed body (<see cref="HttpCompletionOption.ResponseHeadersRead"/>) was read the
    /// way a failure while buffering it maps: the connection to <paramref name="host"/> broke.
    /// </summary>
    internal static CrmSyncException ToReadException(string host, Exception ex) => TransportFailure.Unreachable(host, ex);

    private static CrmSyncException Invalid(string message, string action) =>
        new(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument, message, action);

    public void Dispose()
    {
        _password?.Dispose();
        _securityToken?.Dispose();
        _clientSecret?.Dispose();
        _accessToken = null;
        _loginLock.Dispose();
    }
}
