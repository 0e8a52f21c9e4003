namespace CrmSync.Emulator.Salesforce.Soql.Evaluation;

/// <summary>How values of a field compare, derived from its <see cref="SoqlFieldType"/>.</summary>
internal enum SoqlValueKind
{
    /// <summary>Text: case-insensitive; an empty string is null, as in Salesforce.</summary>
    Text,
    /// <summary>Ids and references: exact, 15-character ids widened to 18.</summary>
    Id,
    /// <summary>Checkboxes: false &lt; true; null reads as false.</summary>
    Boolean,
    /// <summary>long, decimal or double.</summary>
    Number,
    /// <summary><see cref="DateOnly"/>.</summary>
    Date,
    /// <summary>UTC <see cref="DateTime"/>.</summary>
    DateTime,
}

/// <summary>Turns row values into the one CLR shape per kind, and compares them. No parsing, no reflection.</summary>
internal static class SoqlValues
{
    private static readonly object BoxedFalse = false;

    public static SoqlValueKind KindOf(SoqlFieldType type) => type switch
    {
        SoqlFieldType.Id or SoqlFieldType.Reference => SoqlValueKind.Id,
        SoqlFieldType.String => SoqlValueKind.Text,
        SoqlFieldType.Boolean => SoqlValueKind.Boolean,
        SoqlFieldType.Integer or SoqlFieldType.Double or SoqlFieldType.Currency or SoqlFieldType.Percent => SoqlValueKind.Number,
        SoqlFieldType.Date => SoqlValueKind.Date,
        SoqlFieldType.DateTime => SoqlValueKind.DateTime,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown SOQL field type."),
    };

    /// <summary>Salesforce's name for a field type in "must be of type …" messages.</summary>
    public static string SalesforceTypeName(SoqlFieldType type) => type switch
    {
        SoqlFieldType.Id => "id",
        SoqlFieldType.String => "string",
        SoqlFieldType.Reference => "reference",
        SoqlFieldType.Boolean => "boolean",
        SoqlFieldType.Integer => "int",
        SoqlFieldType.Double => "double",
        SoqlFieldType.Currency => "currency",
        SoqlFieldType.Percent => "percent",
        SoqlFieldType.Date => "date",
        SoqlFieldType.DateTime => "dateTime",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown SOQL field type."),
    };

    /// <summary>The comparable form of a row value (null stays null, except checkboxes which read false).</summary>
    /// <exception cref="InvalidOperationException">The row holds a CLR type the field type cannot have.</exception>
    public static object? Normalize(object? raw, SoqlValueKind kind, string field)
    {
        switch (kind)
        {
            case SoqlValueKind.Text:
                return raw switch
                {
                    null => null,
                    string { Length: 0 } => null,
                    string s => s,
                    _ => throw WrongType(raw, kind, field),
                };
            case SoqlValueKind.Id:
                return raw switch
                {
                    null => null,
                    string { Length: 0 } => null,
                    string { Length: 15 } s => SoqlRecordId.To18(s),
                    string s => s,
                    _ => throw WrongType(raw, kind, field),
                };
            case SoqlValueKind.Boolean:
                return raw switch
                {
                    null => BoxedFalse,
                    bool => raw,
                    _ => throw WrongType(raw, kind, field),
                };
            case SoqlValueKind.Number:
                return raw switch
                {
                    null => null,
                    long or decimal or double => raw,
                    int i => (long)i,
                    short s => (long)s,
                    float f => (double)f,
                    _ => throw WrongType(raw, kind, field),
                };
            case SoqlValueKind.Date:
                return raw switch
                {
                    null => null,
                    DateOnly => raw,
                    DateTime d => DateOnly.FromDateTime(d),
                    DateTimeOffset o => DateOnly.FromDateTime(o.UtcDateTime),
                    _ => throw WrongType(raw, kind, field),
                };
            case SoqlValueKind.DateTime:
                return raw switch
                {
                    null => null,
                    DateTime { Kind: DateTimeKind.Utc } => raw,
                    DateTime { Kind: DateTimeKind.Unspecified } d => DateTime.SpecifyKind(d, DateTimeKind.Utc),
                    DateTime d => d.ToUniversalTime(),
                    DateTimeOffset o => o.UtcDateTime,
                    DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
                    _ => throw WrongType(raw, kind, field),
                };
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown value kind.");
        }
    }

    /// <summary>The value a query result shows: normalized, except ids keep the form the row stores.</summary>
    public static object? ForOutput(object? raw, SoqlValueKind kind, string field) =>
        kind == SoqlValueKind.Id ? (raw is string { Length: > 0 } s ? s : null) : Normalize(raw, kind, field);

    /// <summary>Compares two non-null normalized values of one kind.</summary>
    public static int Compare(object left, object right, SoqlValueKind kind) => kind switch
    {
        SoqlValueKind.Text => string.Compare((string)left, (string)right, StringComparison.OrdinalIgnoreCase),
        SoqlValueKind.Id => string.CompareOrdinal((string)left, (string)right),
        SoqlValueKind.Boolean => ((bool)left).CompareTo((bool)right),
        SoqlValueKind.Number => CompareNumbers(left, right),
        SoqlValueKind.Date => ((DateOnly)left).CompareTo((DateOnly)right),
        SoqlValueKind.DateTime => ((DateTime)left).Ticks.CompareTo(((DateTime)right).Ticks),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown value kind."),
    };

    /// <summary>Compares two nullable normalized values; null sorts first here (callers place nulls themselves).</summary>
    public static int CompareNullable(object? left, object? right, SoqlValueKind kind)
    {
        if (left is null)
        {
            return right is null ? 0 : -1;
        }

        return right is null ? 1 : Compare(left, right, kind);
    }

    private static int CompareNumbers(object left, object right)
    {
        switch (left, right)
        {
            case (long a, long b):
                return a.CompareTo(b);
            case (decimal a, decimal b):
                return a.CompareTo(b);
            case (long a, decimal b):
                return ((decimal)a).CompareTo(b);
            case (decimal a, long b):
                return a.CompareTo(b);
            default:
                return ToDouble(left).CompareTo(ToDouble(right));
        }
    }

    private static double ToDouble(object value) => value switch
    {
        long l => l,
        decimal m => (double)m,
        double d => d,
        _ => throw new InvalidOperationException($"Not a number: {value.GetType().Name}."),
    };

    private static InvalidOperationException WrongType(object raw, SoqlValueKind kind, string field) =>
        new($"Field '{field}' holds a {raw.GetType().Name}, which is not a valid {kind} value for SOQL.");
}
