using System.Globalization;

namespace CrmSync.Emulator.Dynamics;

/// <summary>A service-protection refusal: 429 with Retry-After and one of Dataverse's hex codes.</summary>
/// <param name="Code">0x80072322 (requests), 0x80072321 (execution time), 0x80072326 (concurrency).</param>
/// <param name="Message">Dataverse's message.</param>
/// <param name="RetryAfterSeconds">Retry-After.</param>
public sealed record Throttle(string Code, string Message, int RetryAfterSeconds);

/// <summary>
/// Dataverse's service protection API limits, per user over a sliding window (default 300 s): number of requests
/// (6000), combined execution time (1,200,000 ms) and concurrent requests (52). The count and time limits trip after
/// they are exceeded, the concurrency limit immediately. Reports the remaining budget for the
/// <c>x-ms-ratelimit-*</c> headers.
/// </summary>
public sealed class ServiceProtection
{
    private readonly TimeProvider _clock;
    private readonly DynamicsSettings _settings;
    private readonly object _sync = new();
    private readonly Dictionary<Guid, UserWindow> _users = [];

    private sealed class UserWindow
    {
        public Queue<(DateTimeOffset At, double Ms)> Requests { get; } = new();
        public double TotalMs { get; set; }
        public int InFlight { get; set; }
    }

    public ServiceProtection(TimeProvider clock, DynamicsSettings settings)
    {
        _clock = clock;
        _settings = settings;
    }

    private UserWindow Window(Guid user, DateTimeOffset now)
    {
        if (!_users.TryGetValue(user, out var w))
        {
            _users[user] = w = new UserWindow();
        }
        while (w.Requests.Count > 0 && w.Requests.Peek().At <= now - _settings.Window)
        {
            w.TotalMs -= w.Requests.Dequeue().Ms;
        }
        return w;
    }

    /// <summary>Admits a request (returns null and counts it in flight) or refuses it.</summary>
    public Throttle? Enter(Guid user)
    {
        lock (_sync)
        {
            var now = _clock.GetUtcNow();
            var w = Window(user, now);
            if (w.InFlight >= _settings.ConcurrencyLimit)
            {
                return new Throttle("0x80072326", $"Number of concurrent requests exceeded the limit of {_settings.ConcurrencyLimit}.", 1);
            }
            if (w.Requests.Count >= _settings.RequestLimit)
            {
                return new Throttle("0x80072322",
                    $"Number of requests exceeded the limit of {_settings.RequestLimit} over time window of {(int)_settings.Window.TotalSeconds} seconds.",
                    RetryAfter(w.Requests.Peek().At + _settings.Window - now));
            }
            if (w.TotalMs > _settings.ExecutionTimeLimitMs)
            {
                // Wait until enough of the oldest execution time leaves the window.
                double excess = w.TotalMs - _settings.ExecutionTimeLimitMs;
                var at = w.Requests.Peek().At;
                foreach (var (t, ms) in w.Requests)
                {
                    at = t;
                    excess -= ms;
                    if (excess < 0)
                    {
                        break;
                    }
                }
                return new Throttle("0x80072321",
                    $"Combined execution time of incoming requests exceeded limit of {_settings.ExecutionTimeLimitMs.ToString("N0", CultureInfo.InvariantCulture)} milliseconds over time window of {(int)_settings.Window.TotalSeconds} seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
                    RetryAfter(at + _settings.Window - now));
            }
            w.InFlight++;
            return null;
        }
    }

    private static int RetryAfter(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    /// <summary>Ends an admitted request, charging its execution time.</summary>
    public void Exit(Guid user, double elapsedMs)
    {
        lock (_sync)
        {
            var now = _clock.GetUtcNow();
            var w = Window(user, now);
            w.InFlight = Math.Max(0, w.InFlight - 1);
            double ms = elapsedMs + _settings.SimulatedExecutionMs;
            w.Requests.Enqueue((now, ms));
            w.TotalMs += ms;
        }
    }

    /// <summary>Remaining requests and execution time (ms) for the headers.</summary>
    public (int Requests, long TimeMs) Remaining(Guid user)
    {
        lock (_sync)
        {
            var w = Window(user, _clock.GetUtcNow());
            return (Math.Max(0, _settings.RequestLimit - w.Requests.Count), Math.Max(0, _settings.ExecutionTimeLimitMs - (long)w.TotalMs));
        }
    }

    /// <summary>Requests of a user in flight now.</summary>
    public int InFlight(Guid user)
    {
        lock (_sync)
        {
            return _users.TryGetValue(user, out var w) ? w.InFlight : 0;
        }
    }

    /// <summary>Forgets all usage.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            _users.Clear();
        }
    }
}
