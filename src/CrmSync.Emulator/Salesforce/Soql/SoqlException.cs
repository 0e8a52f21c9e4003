namespace CrmSync.Emulator.Salesforce.Soql;

/// <summary>
/// A query Salesforce would refuse: carries the Salesforce <see cref="ErrorCode"/> (for example
/// <c>MALFORMED_QUERY</c>, <c>INVALID_FIELD</c>, <c>INVALID_TYPE</c>) and a message shaped like Salesforce's,
/// so the server can answer HTTP 400 with <c>[{"message": Message, "errorCode": ErrorCode}]</c>.
/// </summary>
public sealed class SoqlException : Exception
{
    /// <summary>Creates an error with a Salesforce error code and a Salesforce-style message.</summary>
    public SoqlException(string errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Creates an error that points at a place in the query text (1-based row and column).</summary>
    public SoqlException(string errorCode, string message, int row, int column)
        : base(message)
    {
        ErrorCode = errorCode;
        Row = row;
        Column = column;
    }

    /// <summary>The Salesforce error code, one of the constants in <see cref="SoqlErrorCodes"/>.</summary>
    public string ErrorCode { get; }

    /// <summary>1-based row of the offending token, when the error points at one.</summary>
    public int? Row { get; }

    /// <summary>1-based column of the offending token, when the error points at one.</summary>
    public int? Column { get; }
}

/// <summary>The Salesforce error codes a SOQL query can fail with.</summary>
public static class SoqlErrorCodes
{
    /// <summary>Syntax errors and constructs Salesforce (or this emulator) does not accept.</summary>
    public const string MalformedQuery = "MALFORMED_QUERY";

    /// <summary>Unknown field or relationship, or a literal of the wrong type for its field.</summary>
    public const string InvalidField = "INVALID_FIELD";

    /// <summary>Unknown sObject type in FROM.</summary>
    public const string InvalidType = "INVALID_TYPE";

    /// <summary>A malformed record id compared with an id field, or an operator a field type does not allow.</summary>
    public const string InvalidQueryFilterOperator = "INVALID_QUERY_FILTER_OPERATOR";

    /// <summary>OFFSET above 2000.</summary>
    public const string NumberOutsideValidRange = "NUMBER_OUTSIDE_VALID_RANGE";
}
