using System.Globalization;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>API versions this client speaks, and the choice among those an org offers.</summary>
public static class SalesforceApiVersion
{
    /// <summary>Used when discovery is not possible or a fixed version is wanted.</summary>
    public const string Default = "59.0";

    /// <summary>The newest version this client was built and tested against.</summary>
    public const string MaxSupported = "62.0";

    /// <summary>The oldest version with every resource we use (sObject Collections upsert needs 46.0).</summary>
    public const string MinSupported = "46.0";

    /// <summary>Highest offered version within [MinSupported, MaxSupported], or null when none fits.</summary>
    public static string? Choose(IEnumerable<string> offered)
    {
        var min = Parse(MinSupported);
        var max = Parse(MaxSupported);
        decimal? best = null;
        foreach (var v in offered)
        {
            if (!decimal.TryParse(v, NumberStyles.Number, CultureInfo.InvariantCulture, out var d)) continue;
            if (d < min || d > max) continue;
            if (best is null || d > best) best = d;
        }
        return best?.ToString("0.0", CultureInfo.InvariantCulture);
    }

    /// <summary>True for "59.0"-shaped versions (checked before a version goes into a URL).</summary>
    public static bool IsWellFormed(string version) =>
        System.Text.RegularExpressions.Regex.IsMatch(version, @"^[0-9]{2,3}\.[0-9]$");

    private static decimal Parse(string v) => decimal.Parse(v, NumberStyles.Number, CultureInfo.InvariantCulture);
}
