using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>Comparison operators a <see cref="SoqlCondition"/> may use.</summary>
public enum SoqlOperator
{
    Equal,
    NotEqual,
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
}

/// <summary>SOQL identifiers and literals. Identifiers are checked, never escaped; literals are always escaped.</summary>
public static partial class SoqlSyntax
{
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]{0,79}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierRegex();

    /// <summary>True when <paramref name="name"/> has the shape of an object or field API name (letters, digits, underscores; a letter first; no "__" at the end alone).</summary>
    public static bool IsValidIdentifier(string? name) =>
        name is not null && IdentifierRegex().IsMatch(name) && !name.EndsWith('_') && !name.Contains("___", StringComparison.Ordinal);

    /// <summary>Throws unless <paramref name="name"/> is a well-formed API name.</summary>
    public static string CheckIdentifier(string name, string what)
    {
        if (!IsValidIdentifier(name))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{Truncate(name)}' is not a valid Salesforce {what} name.",
                $"Use the API name of the {what} as Salesforce shows it (letters, digits and underscores).", Truncate(name));
        return name;
    }

    [GeneratedRegex(@"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$", RegexOptions.CultureInvariant)]
    private static partial Regex RecordIdRegex();

    /// <summary>True for a 15- or 18-character Salesforce id.</summary>
    public static bool IsValidRecordId(string? id) => id is not null && RecordIdRegex().IsMatch(id);

    /// <summary>Throws unless <paramref name="id"/> is a 15- or 18-character Salesforce id (checked before an id goes into a URL).</summary>
    public static string CheckRecordId(string id, string what)
    {
        if (!IsValidRecordId(id))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{Truncate(id)}' is not a valid Salesforce {what}.", $"Give the 15- or 18-character {what}.", Truncate(id));
        return id;
    }

    /// <summary>Escapes text for a single-quoted SOQL string literal (quotes, backslashes and control characters).</summary>
    public static string EscapeString(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\'': sb.Append("\\'"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Formats a value as a SOQL literal: strings quoted and escaped, datetimes unquoted UTC <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>,
    /// dates <c>yyyy-MM-dd</c>, numbers invariant, booleans and null as keywords.</summary>
    public static string FormatLiteral(object? value) => value switch
    {
        null => "null",
        string s => "'" + EscapeString(s) + "'",
        bool b => b ? "true" : "false",
        DateTimeOffset d => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateTime d => FormatLiteral(new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d)),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        int or long or short or byte => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        double db when double.IsFinite(db) => db.ToString("R", CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"A SOQL literal cannot be of type {value.GetType().Name}.", nameof(value)),
    };

    private static string Truncate(string? s) => s is null ? "" : s.Length > 80 ? s[..80] + "…" : s;

    internal static string Operator(SoqlOperator op) => op switch
    {
        SoqlOperator.Equal => "=",
        SoqlOperator.NotEqual => "!=",
        SoqlOperator.LessThan => "<",
        SoqlOperator.LessOrEqual => "<=",
        SoqlOperator.GreaterThan => ">",
        SoqlOperator.GreaterOrEqual => ">=",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}

/// <summary>A typed WHERE condition; field names are resolved against the object's schema when the query is built.</summary>
public abstract class SoqlCondition
{
    private protected SoqlCondition() { }

    /// <summary><c>field op literal</c>.</summary>
    public static SoqlCondition Compare(string field, SoqlOperator op, object? value) => new Comparison(field, op, value);

    public static SoqlCondition And(params SoqlCondition[] conditions) => new Group("AND", conditions);

    public static SoqlCondition Or(params SoqlCondition[] conditions) => new Group("OR", conditions);

    internal abstract void Write(StringBuilder sb, Func<string, string> resolveField);

    private sealed class Comparison(string field, SoqlOperator op, object? value) : SoqlCondition
    {
        internal override void Write(StringBuilder sb, Func<string, string> resolveField)
        {
            var literal = SoqlSyntax.FormatLiteral(value);
            sb.Append(resolveField(field)).Append(' ').Append(SoqlSyntax.Operator(op)).Append(' ').Append(literal);
        }
    }

    private sealed class Group(string keyword, SoqlCondition[] conditions) : SoqlCondition
    {
        internal override void Write(StringBuilder sb, Func<string, string> resolveField)
        {
            if (conditions.Length == 0) throw new ArgumentException("A condition group needs at least one condition.");
            sb.Append('(');
            for (var i = 0; i < conditions.Length; i++)
            {
                if (i > 0) sb.Append(' ').Append(keyword).Append(' ');
                conditions[i].Write(sb, resolveField);
            }
            sb.Append(')');
        }
    }
}

/// <summary>
/// Builds a SOQL query from an object's described schema: every identifier must be well formed and must exist in the
/// describe (the schema's spelling is used); every value is an escaped literal. No text is ever concatenated in.
/// </summary>
public sealed class SoqlBuilder
{
    private readonly CrmObjectSchema _schema;
    private readonly List<string> _select = [];
    private readonly List<SoqlCondition> _where = [];
    private readonly List<string> _orderBy = [];
    private bool _count;
    private int? _limit;

    private SoqlBuilder(CrmObjectSchema schema)
    {
        SoqlSyntax.CheckIdentifier(schema.Name, "object");
        _schema = schema;
    }

    public static SoqlBuilder From(CrmObjectSchema schema) => new(schema ?? throw new ArgumentNullException(nameof(schema)));

    /// <summary>Adds fields (duplicates are ignored, case-insensitively).</summary>
    public SoqlBuilder Select(IEnumerable<string> fields)
    {
        foreach (var f in fields)
        {
            var name = Resolve(f);
            if (!_select.Contains(name, StringComparer.OrdinalIgnoreCase)) _select.Add(name);
        }
        return this;
    }

    public SoqlBuilder Select(params string[] fields) => Select((IEnumerable<string>)fields);

    /// <summary><c>SELECT COUNT()</c>.</summary>
    public SoqlBuilder SelectCount()
    {
        _count = true;
        return this;
    }

    /// <summary>Adds a condition; several are joined with AND.</summary>
    public SoqlBuilder Where(SoqlCondition condition)
    {
        _where.Add(condition ?? throw new ArgumentNullException(nameof(condition)));
        return this;
    }

    /// <summary>Ascending order by these fields.</summary>
    public SoqlBuilder OrderBy(params string[] fields)
    {
        foreach (var f in fields) _orderBy.Add(Resolve(f));
        return this;
    }

    public SoqlBuilder Limit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        return this;
    }

    public string Build()
    {
        if (!_count && _select.Count == 0) throw new InvalidOperationException("A query needs at least one field.");
        var sb = new StringBuilder("SELECT ");
        sb.Append(_count ? "COUNT()" : string.Join(", ", _select));
        sb.Append(" FROM ").Append(_schema.Name);
        for (var i = 0; i < _where.Count; i++)
        {
            sb.Append(i == 0 ? " WHERE " : " AND ");
            _where[i].Write(sb, Resolve);
        }
        if (_orderBy.Count > 0) sb.Append(" ORDER BY ").Append(string.Join(", ", _orderBy));
        if (_limit is { } l) sb.Append(" LIMIT ").Append(l.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    public override string ToString() => Build();

    private string Resolve(string field)
    {
        SoqlSyntax.CheckIdentifier(field, "field");
        var described = _schema.FindField(field)
            ?? throw new CrmSyncException(ErrorIds.CrmFieldNotFound, ErrorKind.ObjectNotFound,
                $"The field '{field}' does not exist on {_schema.Name} or the sync user cannot see it.",
                $"Check the field's API name and the sync user's field-level security, then run {ShellAction.SyncFields}.", $"{_schema.Name}.{field}");
        return described.Name;
    }
}
