using System.Net;
using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// The Salesforce implementation of <see cref="ICrmClient"/>: one HttpClient over one long-lived SocketsHttpHandler (TLS always
/// validated), one resilience pipeline, one session. Create it with <see cref="CrmClientFactory.Create"/> or directly.
/// </summary>
public sealed class SalesforceClient : ICrmClient
{
    private readonly HttpClient _http;
    private readonly SalesforceSession _session;

    public SalesforceClient(CrmConnectionSettings settings, CrmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        if (settings.Kind != CrmKind.Salesforce) throw new ArgumentException("The settings are not for Salesforce.", nameof(settings));
        // Checked before anything else exists: no request can be sent to an insecure or malformed login URL.
        var loginUrl = SalesforceLogin.ResolveLoginUrl(settings);

        var primary = options.PrimaryHandler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        SalesforceSession? session = null;
        var observer = new SalesforceResponseObserver(u => session?.ObserveUsage(u), options.Events, primary);
        Pipeline = CrmResiliencePipeline.Build("Salesforce " + loginUrl.Host, options.Resilience, options.TimeProvider, options.Events);
        var resilience = new ResilienceHttpHandler(Pipeline, observer);
        _http = new HttpClient(resilience, disposeHandler: options.PrimaryHandler is null) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("CrmSync/" + EngineInfo.Version);

        session = new SalesforceSession(_http, settings, options);
        _session = session;
        Schema = new SalesforceSchemaReader(session);
        Changes = new SalesforceChangeSource(session, options.TimeProvider);
        Writer = new SalesforceRecordWriter(session);
    }

    public CrmKind Kind => CrmKind.Salesforce;

    /// <summary>The pipeline every call goes through (one per client, i.e. per org).</summary>
    public Polly.ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    public SalesforceSession Session => _session;

    ICrmSession ICrmClient.Session => _session;

    public SalesforceSchemaReader Schema { get; }

    ICrmSchemaReader ICrmClient.Schema => Schema;

    public SalesforceChangeSource Changes { get; }

    ICrmChangeSource ICrmClient.Changes => Changes;

    public SalesforceRecordWriter Writer { get; }

    ICrmRecordWriter ICrmClient.Writer => Writer;

    /// <summary>Every limit from /limits.</summary>
    public async Task<IReadOnlyList<SalesforceLimit>> GetLimitsAsync(CancellationToken cancellationToken)
    {
        using var doc = await _session.SendForJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri("limits/")), "the org limits", cancellationToken)
            .ConfigureAwait(false);
        return SalesforceSchemaReader.Parse(() => SalesforceJson.ParseLimits(doc.RootElement), "the org limits");
    }

    public async Task<CrmApiUsage?> GetApiUsageAsync(CancellationToken cancellationToken)
    {
        var daily = (await GetLimitsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(l => l.Name == "DailyApiRequests");
        if (daily is null) return null;
        var usage = new CrmApiUsage(daily.Max - daily.Remaining, daily.Max);
        _session.ObserveUsage(usage);
        return usage;
    }

    public void Dispose()
    {
        _session.Dispose();
        // Disposes the handler chain only when it owns the primary handler (a caller's PrimaryHandler stays alive).
        _http.Dispose();
    }
}
