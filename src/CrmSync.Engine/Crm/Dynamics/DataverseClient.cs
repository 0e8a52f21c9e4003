using System.Net;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Crm.Dynamics;

/// <summary>
/// The Dynamics 365 (Dataverse Web API v9.2) implementation of <see cref="ICrmClient"/>: one HttpClient over one long-lived
/// SocketsHttpHandler (TLS always validated), one resilience pipeline for the org and its token endpoint, one session.
/// Create it with <see cref="CrmClientFactory.Create"/> or directly.
/// </summary>
public sealed class DataverseClient : ICrmClient
{
    private readonly HttpClient _http;
    private readonly DataverseSession _session;

    public DataverseClient(CrmConnectionSettings settings, CrmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        if (settings.Kind != CrmKind.Dynamics) throw new ArgumentException("The settings are not for Dynamics 365.", nameof(settings));
        // Checked before anything else exists: no request can be sent to an insecure or malformed URL.
        var organization = DataverseLogin.ResolveOrganizationUrl(settings);
        DataverseLogin.ResolveTokenEndpoint(settings);

        var primary = options.PrimaryHandler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        DataverseSession? session = null;
        var observer = new DataverseResponseObserver(u => session?.ObserveUsage(u), options.Events, primary,
            new DataversePacer(options.TimeProvider, options.Events));
        Pipeline = CrmResiliencePipeline.Build("Dynamics 365 " + organization.Host, options.Resilience, options.TimeProvider, options.Events);
        var resilience = new ResilienceHttpHandler(Pipeline, observer);
        _http = new HttpClient(resilience, disposeHandler: options.PrimaryHandler is null) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("CrmSync/" + EngineInfo.Version);

        session = new DataverseSession(_http, settings, options);
        _session = session;
        Schema = new DataverseSchemaReader(session);
        Changes = new DataverseChangeSource(session, Schema);
        Writer = new DataverseRecordWriter(session, Schema);
    }

    public CrmKind Kind => CrmKind.Dynamics;

    /// <summary>The pipeline every call goes through (one per client, i.e. per org).</summary>
    public Polly.ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    public DataverseSession Session => _session;

    ICrmSession ICrmClient.Session => _session;

    public DataverseSchemaReader Schema { get; }

    ICrmSchemaReader ICrmClient.Schema => Schema;

    public DataverseChangeSource Changes { get; }

    ICrmChangeSource ICrmClient.Changes => Changes;

    public DataverseRecordWriter Writer { get; }

    ICrmRecordWriter ICrmClient.Writer => Writer;

    /// <summary>
    /// Dataverse has no daily API allowance to ask for. This sends one cheap <c>GET WhoAmI</c> and returns the
    /// service-protection headroom its <c>x-ms-ratelimit-*</c> headers report (see <see cref="DataverseResponseObserver"/>),
    /// or null when the response carries none (the headers are informational and not always sent).
    /// </summary>
    public async Task<CrmApiUsage?> GetApiUsageAsync(CancellationToken cancellationToken)
    {
        using var response = await _session.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.ApiUri("WhoAmI")), cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw DataverseSession.ToException(response.StatusCode, text, "WhoAmI");
        // The response observer has already turned this response's headers into the session's usage.
        return response.Headers.Contains(DataverseResponseObserver.BurstRemainingHeader) || response.Headers.Contains(DataverseResponseObserver.TimeRemainingHeader)
            ? _session.ApiUsage
            : null;
    }

    public void Dispose()
    {
        _session.Dispose();
        // Disposes the handler chain only when it owns the primary handler (a caller's PrimaryHandler stays alive).
        _http.Dispose();
    }
}
