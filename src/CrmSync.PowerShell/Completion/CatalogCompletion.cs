using System.Collections;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Schema;

namespace CrmSync.PowerShell.Completion;

/// <summary>
/// What tab completion offers for -Profile, -Object and field names, read from the local data folder and the profile's field
/// catalog only (never the network). Plain C# (no PowerShell types) so that it is tested directly; the ArgumentCompleter
/// classes only translate. Every method swallows errors and returns no candidates: a completer must never throw.
/// </summary>
public sealed class CatalogCompletion
{
    private readonly CrmSyncPaths paths;

    /// <summary>Completion over the data folder <paramref name="paths"/>.</summary>
    public CatalogCompletion(CrmSyncPaths paths) => this.paths = paths ?? throw new ArgumentNullException(nameof(paths));

    /// <summary>Completion over the data folder named by the environment (CRMSYNC_HOME, else the per-user default).</summary>
    public static CatalogCompletion ForEnvironment(Func<string, string?> getEnvironmentVariable) =>
        new(CrmSyncPaths.FromEnvironment(getEnvironmentVariable));

    /// <summary>The profile names in the data folder that start with (or match) <paramref name="wordToComplete"/>.</summary>
    public IReadOnlyList<string> Profiles(string? wordToComplete)
    {
        try
        {
            return Filter(new ProfileLocator(paths).ListProfiles(), wordToComplete);
        }
        catch (Exception)
        {
            return [];
        }
    }

    /// <summary>The CRM objects with created fields in the profile the command line names (-Profile, -DatabasePath).</summary>
    public IReadOnlyList<string> Objects(IDictionary? boundParameters, string? wordToComplete) =>
        FromCatalog(boundParameters, wordToComplete, FieldCatalogView.ObjectNames);

    /// <summary>
    /// The created field names of the profile the command line names; of the object(s) already given with -Object when they
    /// are literal names, else of every object.
    /// </summary>
    public IReadOnlyList<string> Fields(IDictionary? boundParameters, string? wordToComplete)
    {
        var objects = BoundValues(boundParameters, "Object");
        return FromCatalog(boundParameters, wordToComplete, store =>
        {
            if (objects.Count == 0 || objects.Any(o => new NameWildcard(o).HasWildcards))
                return FieldCatalogView.FieldNames(store);
            return objects.SelectMany(o => FieldCatalogView.FieldNames(store, o))
                .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
        });
    }

    /// <summary>
    /// The values given for <paramref name="name"/> in PowerShell's fakeBoundParameters: a string, an array, or any object
    /// (its ToString()). Empty when absent.
    /// </summary>
    public static IReadOnlyList<string> BoundValues(IDictionary? boundParameters, string name)
    {
        if (boundParameters is null || !boundParameters.Contains(name))
            return [];
        return boundParameters[name] switch
        {
            null => [],
            string s => s.Length == 0 ? [] : [s],
            IEnumerable items => items.Cast<object?>().Select(i => i?.ToString()).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList(),
            var other => other.ToString() is { Length: > 0 } text ? [text] : [],
        };
    }

    private IReadOnlyList<string> FromCatalog(IDictionary? boundParameters, string? wordToComplete,
        Func<Engine.Store.CrmSyncStore, IReadOnlyList<string>> read)
    {
        try
        {
            string profile = BoundValues(boundParameters, "Profile").FirstOrDefault() ?? ProfileName.Default;
            string? databasePath = BoundValues(boundParameters, "DatabasePath").FirstOrDefault();
            if (databasePath is not null)
                databasePath = Path.GetFullPath(databasePath);
            var profiles = new ProfileStore(new ProfileLocator(paths));
            if (!profiles.Exists(profile, databasePath))
                return [];
            using var store = profiles.Open(profile, databasePath);
            return Filter(read(store), wordToComplete);
        }
        catch (Exception)
        {
            return [];
        }
    }

    /// <summary>The candidates that start with <paramref name="word"/> (case-insensitive), or match it when it has wildcards.</summary>
    public static IReadOnlyList<string> Filter(IEnumerable<string> candidates, string? word)
    {
        string typed = (word ?? "").Trim().Trim('\'', '"');
        if (typed.Length == 0)
            return candidates.ToList();
        var pattern = new NameWildcard(typed);
        if (pattern.HasWildcards)
        {
            var wildcard = typed.EndsWith('*') ? pattern : new NameWildcard(typed + "*");
            return candidates.Where(wildcard.IsMatch).ToList();
        }
        return candidates.Where(c => c.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).ToList();
    }
}
