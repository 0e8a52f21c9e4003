namespace CrmSync.Emulator.Faults;

/// <summary>What a fault does.</summary>
public enum FaultKind
{
    /// <summary>Answer with an HTTP error status (500, 502, 503, 429 …), optionally with Retry-After.</summary>
    HttpStatus,
    /// <summary>Answer 403 REQUEST_LIMIT_EXCEEDED.</summary>
    RequestLimitExceeded,
    /// <summary>Delay the request, then serve it normally.</summary>
    Latency,
    /// <summary>Abort the connection without an answer.</summary>
    DropConnection,
    /// <summary>Per-record UNABLE_TO_LOCK_ROW (or another code) in save results for chosen ids or a fraction of records.</summary>
    RecordError,
}

/// <summary>
/// One fault rule. It fires for the next <see cref="Count"/> matching requests (or records), or when
/// <see cref="Count"/> is null, for each match with <see cref="Probability"/> drawn from a generator seeded by <see cref="Seed"/>.
/// </summary>
public sealed record FaultRule
{
    /// <summary>What the fault does.</summary>
    public required FaultKind Kind { get; init; }
    /// <summary>HTTP status for <see cref="FaultKind.HttpStatus"/> (default 503).</summary>
    public int StatusCode { get; init; } = 503;
    /// <summary>Retry-After seconds to send with the status, if any.</summary>
    public int? RetryAfterSeconds { get; init; }
    /// <summary>Delay for <see cref="FaultKind.Latency"/>.</summary>
    public TimeSpan Delay { get; init; }
    /// <summary>Fire for this many matches, then retire. Null: unlimited, governed by <see cref="Probability"/>.</summary>
    public int? Count { get; init; }
    /// <summary>Chance of firing per match (0..1) when <see cref="Count"/> is null.</summary>
    public double Probability { get; init; } = 1.0;
    /// <summary>Seed of the generator for <see cref="Probability"/> (deterministic runs).</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Only requests whose path contains this text (case-insensitive).</summary>
    public string? PathContains { get; init; }
    /// <summary>Only requests with this HTTP method.</summary>
    public string? Method { get; init; }
    /// <summary>For <see cref="FaultKind.RecordError"/>: the record ids that fail (null: any record, by probability/count).</summary>
    public IReadOnlyCollection<string>? RecordIds { get; init; }
    /// <summary>For <see cref="FaultKind.RecordError"/>: the status code (default UNABLE_TO_LOCK_ROW).</summary>
    public string ErrorCode { get; init; } = "UNABLE_TO_LOCK_ROW";
    /// <summary>Optional message override.</summary>
    public string? Message { get; init; }
}

/// <summary>A request-level fault to apply now.</summary>
/// <param name="Rule">The rule that fired.</param>
public sealed record FaultDecision(FaultRule Rule);

/// <summary>Holds fault rules and decides, deterministically, which requests and records they hit.</summary>
public sealed class FaultInjector
{
    private readonly object _sync = new();
    private readonly List<ActiveRule> _rules = [];
    private int _nextId;

    private sealed class ActiveRule(string id, FaultRule rule)
    {
        public string Id { get; } = id;
        public FaultRule Rule { get; } = rule;
        public int? Remaining { get; set; } = rule.Count;
        public Random Random { get; } = new(rule.Seed);
        public int Fired { get; set; }
    }

    /// <summary>A rule with its id and how often it fired.</summary>
    /// <param name="Id">Rule id (for removal).</param>
    /// <param name="Rule">The rule.</param>
    /// <param name="Fired">Times it fired.</param>
    /// <param name="Remaining">Remaining count, when counted.</param>
    public sealed record FaultRuleState(string Id, FaultRule Rule, int Fired, int? Remaining);

    /// <summary>Adds a rule; returns its id.</summary>
    public string Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Probability is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rule), "Probability must be between 0 and 1.");
        }
        lock (_sync)
        {
            var id = "fault-" + (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _rules.Add(new ActiveRule(id, rule));
            return id;
        }
    }

    /// <summary>Removes a rule.</summary>
    public bool Remove(string id)
    {
        lock (_sync)
        {
            return _rules.RemoveAll(r => r.Id == id) > 0;
        }
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _rules.Clear();
        }
    }

    /// <summary>The rules and their counters.</summary>
    public IReadOnlyList<FaultRuleState> Rules
    {
        get
        {
            lock (_sync)
            {
                return _rules.Select(r => new FaultRuleState(r.Id, r.Rule, r.Fired, r.Remaining)).ToList();
            }
        }
    }

    /// <summary>The request-level faults that fire for this request (latency first, then at most one failure).</summary>
    public IReadOnlyList<FaultDecision> ForRequest(string method, string path)
    {
        lock (_sync)
        {
            var fired = new List<FaultDecision>();
            foreach (var active in _rules.ToList())
            {
                var rule = active.Rule;
                if (rule.Kind == FaultKind.RecordError || !Matches(rule, method, path))
                {
                    continue;
                }
                if (rule.Kind != FaultKind.Latency && fired.Any(f => f.Rule.Kind != FaultKind.Latency))
                {
                    continue;
                }
                if (Fire(active))
                {
                    fired.Add(new FaultDecision(rule));
                }
            }
            return fired.OrderBy(f => f.Rule.Kind == FaultKind.Latency ? 0 : 1).ToList();
        }
    }

    /// <summary>A per-record error for a record (by id when known), or null.</summary>
    public (string Code, string Message)? ForRecord(string method, string path, string? recordId) =>
        ForRecordRule(method, path, recordId) is { } hit ? (hit.Rule.ErrorCode, hit.Message) : null;

    /// <summary>The per-record rule that fires for a record (by id when known) with its message, or null.</summary>
    public (FaultRule Rule, string Message)? ForRecordRule(string method, string path, string? recordId)
    {
        lock (_sync)
        {
            foreach (var active in _rules.ToList())
            {
                var rule = active.Rule;
                if (rule.Kind != FaultKind.RecordError || !Matches(rule, method, path))
                {
                    continue;
                }
                if (rule.RecordIds is { Count: > 0 } ids && (recordId is null || !ids.Any(i => IdsEqual(i, recordId))))
                {
                    continue;
                }
                if (Fire(active))
                {
                    string message = rule.Message ?? (rule.ErrorCode == "UNABLE_TO_LOCK_ROW"
                        ? "unable to obtain exclusive access to this record or 1 records: " + (recordId ?? "")
                        : "The operation failed (injected fault).");
                    return (rule, message);
                }
            }
            return null;
        }
    }

    private static bool IdsEqual(string a, string b) =>
        Guid.TryParse(a, out var ga) && Guid.TryParse(b, out var gb) ? ga == gb :
        a.Length >= 15 && b.Length >= 15 && string.CompareOrdinal(a, 0, b, 0, 15) == 0;

    private static bool Matches(FaultRule rule, string method, string path) =>
        (rule.PathContains is null || path.Contains(rule.PathContains, StringComparison.OrdinalIgnoreCase))
        && (rule.Method is null || string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase));

    private bool Fire(ActiveRule active)
    {
        if (active.Remaining is { } remaining)
        {
            if (remaining <= 0)
            {
                _rules.Remove(active);
                return false;
            }
            active.Remaining = remaining - 1;
            if (active.Remaining == 0)
            {
                _rules.Remove(active);
            }
            active.Fired++;
            return true;
        }
        if (active.Rule.Probability >= 1 || active.Random.NextDouble() < active.Rule.Probability)
        {
            active.Fired++;
            return true;
        }
        return false;
    }
}
