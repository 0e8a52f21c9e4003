using System.Text;
using System.Text.RegularExpressions;

namespace CrmSync.Engine.Schema;

/// <summary>
/// A case-insensitive wildcard over one name: <c>*</c> matches any run of characters, <c>?</c> exactly one; every
/// other character matches itself. (PowerShell's WildcardPattern cannot be used: the engine has no PowerShell reference.)
/// </summary>
public sealed class NameWildcard
{
    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="pattern"/>.</summary>
    public NameWildcard(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        var builder = new StringBuilder("^");
        foreach (var c in pattern)
            builder.Append(c switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        builder.Append('$');
        _regex = new Regex(builder.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    /// <summary>True when the pattern contains <c>*</c> or <c>?</c>.</summary>
    public bool HasWildcards => Pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>True when <paramref name="name"/> matches.</summary>
    public bool IsMatch(string name) => name is not null && _regex.IsMatch(name);

    /// <summary>True when no pattern is given or any of <paramref name="patterns"/> matches <paramref name="name"/>.</summary>
    public static bool MatchesAny(IReadOnlyCollection<NameWildcard>? patterns, string name) =>
        patterns is null || patterns.Count == 0 || patterns.Any(p => p.IsMatch(name));

    /// <summary>Compiles a filter list; null or empty means "everything".</summary>
    public static IReadOnlyList<NameWildcard> Compile(IEnumerable<string>? patterns) =>
        patterns?.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => new NameWildcard(p.Trim())).ToList() ?? [];

    /// <inheritdoc />
    public override string ToString() => Pattern;
}
