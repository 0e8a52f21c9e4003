using System.Text.RegularExpressions;

namespace CrmSync.Engine.Store;

/// <summary>
/// Table and column names that may appear in SQL text. Values always go through parameters; identifiers cannot,
/// so they must match a strict pattern (a letter, then letters, digits or '_', at most 128 characters) and are
/// then double-quoted. Names reserved by SQLite (<c>sqlite_*</c>) are refused.
/// </summary>
public static partial class SqlIdentifier
{
    /// <summary>True when <paramref name="name"/> may be used as a table or column name.</summary>
    public static bool IsValid(string? name) =>
        name is not null && Pattern().IsMatch(name) && !name.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns <paramref name="name"/> double-quoted, or throws when it is not a valid identifier.</summary>
    public static string Quote(string name)
    {
        if (!IsValid(name))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{Shorten(name)}' cannot be used as a table or column name: names start with a letter and contain only " +
                "letters, digits and '_' (at most 128 characters), and may not start with 'sqlite_'.",
                "Use the CRM API name of the object or field.", Shorten(name));
        return "\"" + name + "\"";
    }

    /// <summary>
    /// True when <paramref name="name"/> is a system column name of a synced table: an underscore, a lower-case letter,
    /// then lower-case letters, digits or '_' (at most 128 characters), e.g. <c>_crm_id</c>. No CRM API field name starts
    /// with an underscore, so a system column never collides with a field column.
    /// </summary>
    public static bool IsValidSystemColumn(string? name) => name is not null && SystemColumnPattern().IsMatch(name);

    /// <summary>Returns the system column name <paramref name="name"/> double-quoted, or throws when it is not one (<see cref="IsValidSystemColumn"/>).</summary>
    public static string QuoteSystemColumn(string name)
    {
        if (!IsValidSystemColumn(name))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"'{Shorten(name)}' cannot be used as a system column name: system columns start with '_' and a lower-case " +
                "letter and contain only lower-case letters, digits and '_' (at most 128 characters).",
                "Use one of CrmSync's system column names, such as _crm_id.", Shorten(name));
        return "\"" + name + "\"";
    }

    private static string Shorten(string? name) => name is null ? "(null)" : name.Length > 80 ? name[..80] + "..." : name;

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^_[a-z][a-z0-9_]{0,126}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SystemColumnPattern();
}
