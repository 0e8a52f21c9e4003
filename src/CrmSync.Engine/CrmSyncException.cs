namespace CrmSync.Engine;

/// <summary>
/// How an error should be classified by a host. Mirrors the PowerShell ErrorCategory values we use,
/// without referencing PowerShell (the cmdlet layer maps it one to one).
/// </summary>
public enum ErrorKind
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    ResourceBusy,
    AuthenticationError,
    PermissionDenied,
    SecurityError,
    ConnectionError,
    ProtocolError,
    LimitsExceeded,
    QuotaExceeded,
    OperationTimeout,
    OperationStopped,
    WriteError,
    ReadError,
    NotImplemented,
}

/// <summary>
/// The one exception type the engine throws for anything a user must act on. It always carries a
/// catalogued, stable <see cref="ErrorId"/> (see <see cref="ErrorIds"/>), a kind, the target it is about,
/// and a recommended action. Messages never contain secrets.
/// </summary>
public class CrmSyncException : Exception
{
    public CrmSyncException(string errorId, ErrorKind kind, string message, string recommendedAction,
        object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        if (!ErrorIds.IsCatalogued(errorId))
            throw new ArgumentException($"ErrorId '{errorId}' is not in the ErrorIds catalog.", nameof(errorId));
        ErrorId = errorId;
        Kind = kind;
        RecommendedAction = recommendedAction;
        Target = target;
    }

    /// <summary>Stable identifier, e.g. "ProfileNotFound"; safe to match on in scripts.</summary>
    public string ErrorId { get; }
    public ErrorKind Kind { get; }
    /// <summary>What the user should do next, e.g. "Run Connect-CrmSync".</summary>
    public string RecommendedAction { get; }
    /// <summary>What the error is about: a profile name, a record id, a path. Never a secret.</summary>
    public object? Target { get; }
}
