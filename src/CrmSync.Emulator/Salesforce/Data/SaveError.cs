namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>A Salesforce save error: <c>{statusCode, message, fields}</c> (REST error arrays use errorCode).</summary>
/// <param name="StatusCode">Salesforce status code, e.g. REQUIRED_FIELD_MISSING.</param>
/// <param name="Message">Message as Salesforce words it.</param>
/// <param name="Fields">Fields the error is about.</param>
public sealed record SaveError(string StatusCode, string Message, IReadOnlyList<string> Fields)
{
    /// <summary>An error that is about no particular field.</summary>
    public SaveError(string statusCode, string message) : this(statusCode, message, []) { }
}

/// <summary>Thrown by the in-process data API when a write is rejected.</summary>
public sealed class EmulatorWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmulatorWriteException(IReadOnlyList<SaveError> errors)
        : base(string.Join("; ", errors.Select(e => e.StatusCode + ": " + e.Message)))
    {
        Errors = errors;
    }

    /// <summary>The save errors.</summary>
    public IReadOnlyList<SaveError> Errors { get; }
}
