using System.Text.RegularExpressions;

namespace CrmSync.PowerShell.Tests.Module;

/// <summary>
/// Reads the hand-written CrmSync.psd1 as text: <c>Key = 'value'</c> and <c>Key = @('a', 'b')</c> entries at any depth.
/// Enough for the checks here without PowerShell's parser.
/// </summary>
public sealed partial class ModuleManifest
{
    private readonly string text;

    public ModuleManifest(string path)
    {
        Path = path;
        text = File.ReadAllText(path);
    }

    public string Path { get; }

    /// <summary>The single-quoted scalar value of <paramref name="key"/>, or null.</summary>
    public string? Scalar(string key)
    {
        Match match = Regex.Match(text, $@"(?m)^\s*{Regex.Escape(key)}\s*=\s*'([^']*)'");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>The items of the <c>@( ... )</c> array value of <paramref name="key"/>, or null when it is not an array.</summary>
    public IReadOnlyList<string>? Array(string key)
    {
        Match match = Regex.Match(text, $@"(?ms)^\s*{Regex.Escape(key)}\s*=\s*@\((.*?)\)");
        if (!match.Success)
            return null;
        string body = CommentPattern().Replace(match.Groups[1].Value, "");
        return QuotedPattern().Matches(body).Select(m => m.Groups[1].Value).ToList();
    }

    [GeneratedRegex(@"#[^\r\n]*")]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex QuotedPattern();
}
