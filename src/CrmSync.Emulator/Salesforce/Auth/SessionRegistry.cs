using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CrmSync.Emulator.Salesforce.Auth;

/// <summary>A login session (the SOAP sessionId / OAuth access token).</summary>
/// <param name="Token">The bearer token.</param>
/// <param name="User">The user.</param>
public sealed record Session(string Token, EmulatorUser User)
{
    /// <summary>Last time the session was used (inactivity timeout counts from here).</summary>
    public DateTimeOffset LastUsed { get; set; }
}

/// <summary>Issues and checks sessions; a session expires after a period of inactivity.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly string _organizationId;

    /// <summary>Creates the registry.</summary>
    public SessionRegistry(TimeProvider clock, string organizationId, TimeSpan timeout)
    {
        _clock = clock;
        _organizationId = organizationId;
        Timeout = timeout;
    }

    /// <summary>Inactivity timeout.</summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>Opens a session for a user.</summary>
    public Session Open(EmulatorUser user)
    {
        Span<byte> bytes = stackalloc byte[72];
        RandomNumberGenerator.Fill(bytes);
        string secret = Convert.ToBase64String(bytes).Replace('+', '.').Replace('/', '_').TrimEnd('=');
        var session = new Session(_organizationId[..15] + "!" + secret, user) { LastUsed = _clock.GetUtcNow() };
        _sessions[session.Token] = session;
        return session;
    }

    /// <summary>Finds a live session and marks it used; null when unknown or expired.</summary>
    public Session? Validate(string? token)
    {
        if (token is null || !_sessions.TryGetValue(token, out var session))
        {
            return null;
        }
        var now = _clock.GetUtcNow();
        if (now - session.LastUsed > Timeout)
        {
            _sessions.TryRemove(token, out _);
            return null;
        }
        session.LastUsed = now;
        return session;
    }

    /// <summary>Ends every session now (fault injection: "expire every session").</summary>
    public int ExpireAll()
    {
        int count = _sessions.Count;
        _sessions.Clear();
        return count;
    }

    /// <summary>Ends one session.</summary>
    public bool Revoke(string token) => _sessions.TryRemove(token, out _);
}
