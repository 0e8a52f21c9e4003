namespace CrmSync.Engine.Crm;

/// <summary>How loud a client event is: hosts map Verbose to Write-Verbose, Debug to Write-Debug.</summary>
public enum CrmEventLevel
{
    Debug,
    Verbose,
    Warning,
}

/// <summary>What happened.</summary>
public enum CrmEventKind
{
    /// <summary>A request and its status (and the CRM's request id when it sends one). Debug.</summary>
    Request,
    /// <summary>A transient failure is being retried. Verbose.</summary>
    Retry,
    /// <summary>The CRM asked us to slow down (429/503 with Retry-After). Verbose.</summary>
    Throttled,
    /// <summary>The session expired and the client is logging in again. Verbose.</summary>
    Relogin,
    /// <summary>The circuit breaker opened or closed. Warning / Verbose.</summary>
    CircuitBreaker,
    /// <summary>Something the user may want to know (e.g. a bulk job could not be cleaned up). Warning.</summary>
    Notice,
}

/// <summary>One event from a CRM client. Messages never contain secrets, tokens or record values.</summary>
public sealed record CrmClientEvent(CrmEventLevel Level, CrmEventKind Kind, string Message);

/// <summary>
/// The CRM's API allowance as last reported by the CRM (the usage header its change source names in
/// <see cref="CrmChangeCapabilities.UsageHeader"/>, or a limits resource). <see cref="Used"/> of <see cref="Max"/> calls in the current window.
/// </summary>
public sealed record CrmApiUsage(long Used, long Max)
{
    public long Remaining => Math.Max(0, Max - Used);

    /// <summary>Remaining share of the allowance, 0..1 (1 when Max is unknown or zero).</summary>
    public double RemainingFraction => Max <= 0 ? 1.0 : Math.Clamp((double)(Max - Used) / Max, 0.0, 1.0);

    /// <summary>True when the remaining share is at or below <paramref name="reserveFraction"/>: callers should slow down or pause.</summary>
    public bool IsWithinReserve(double reserveFraction) => RemainingFraction <= reserveFraction;

    public override string ToString() => $"{Used}/{Max}";
}
