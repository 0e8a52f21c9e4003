using CrmSync.Engine.Resilience;

namespace CrmSync.Engine.Crm;

/// <summary>How a CRM client behaves (not who it signs in as: that is <see cref="CrmConnectionSettings"/>).</summary>
public sealed class CrmClientOptions
{
    /// <summary>The clock for backoff, timeouts, the circuit breaker and bulk-job polling. Tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public CrmResilienceOptions Resilience { get; init; } = new();

    /// <summary>Receives the API usage the CRM reports on its responses (the header named by <see cref="CrmChangeCapabilities.UsageHeader"/>).</summary>
    public IProgress<CrmApiUsage>? ApiUsage { get; init; }

    /// <summary>Receives retries, throttling, re-logins (Verbose) and requests with their ids (Debug).</summary>
    public IProgress<CrmClientEvent>? Events { get; init; }

    /// <summary>Share of the API allowance to keep in reserve (0..1): <see cref="ICrmSession.IsApiReserveReached"/> turns true below it.</summary>
    public double ApiReserveFraction { get; init; } = 0.10;

    /// <summary>
    /// The innermost HTTP handler. Null (the default) uses one long-lived SocketsHttpHandler with full TLS validation.
    /// Tests pass a recorded-response handler. The client does not dispose a handler given here.
    /// </summary>
    public HttpMessageHandler? PrimaryHandler { get; init; }
}
