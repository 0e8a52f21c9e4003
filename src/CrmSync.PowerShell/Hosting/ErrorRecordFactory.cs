using System.Management.Automation;
using CrmSync.Engine;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// Turns the engine's <see cref="CrmSyncException"/> into a PowerShell <see cref="ErrorRecord"/>: the catalogued
/// ErrorId, an <see cref="ErrorCategory"/> mapped one to one from <see cref="ErrorKind"/>, the target, and the
/// recommended action in <see cref="ErrorDetails.RecommendedAction"/>.
/// </summary>
public static class ErrorRecordFactory
{
    /// <summary>The ErrorRecord for <paramref name="error"/>, its message and recommended action naming cmdlets.</summary>
    public static ErrorRecord Create(CrmSyncException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        error = PowerShellActionRenderer.Instance.RenderError(error);
        return new ErrorRecord(error, error.ErrorId, ToCategory(error.Kind), error.Target)
        {
            ErrorDetails = new ErrorDetails(error.Message) { RecommendedAction = error.RecommendedAction },
        };
    }

    /// <summary>
    /// An exception the engine did not classify, wrapped so that it still carries a catalogued ErrorId.
    /// </summary>
    public static CrmSyncException Unexpected(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new CrmSyncException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified,
            $"CrmSync failed unexpectedly: {exception.Message}",
            "Run the command again with -Debug; if it fails again, report it with the output of Get-Error.",
            target: null, inner: exception);
    }

    /// <summary>The ErrorCategory with the same meaning (and name) as <paramref name="kind"/>.</summary>
    public static ErrorCategory ToCategory(ErrorKind kind) => kind switch
    {
        ErrorKind.NotSpecified => ErrorCategory.NotSpecified,
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        ErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        ErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.SecurityError => ErrorCategory.SecurityError,
        ErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ErrorKind.ProtocolError => ErrorCategory.ProtocolError,
        ErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        ErrorKind.QuotaExceeded => ErrorCategory.QuotaExceeded,
        ErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        ErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        ErrorKind.WriteError => ErrorCategory.WriteError,
        ErrorKind.ReadError => ErrorCategory.ReadError,
        ErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "This ErrorKind has no ErrorCategory mapping yet."),
    };
}
