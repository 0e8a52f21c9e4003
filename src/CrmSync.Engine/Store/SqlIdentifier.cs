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

    private static string Shorten(string? name) => name is null ? "(null)" : name.Length > 80 ? name[..80] + "..." : name;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
